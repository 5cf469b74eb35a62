//! CQL2 text (OGC 21-065r2 §8, Annex A BNF), the subset listed in the module docs: a
//! tokenizer and a recursive-descent parser with one token of lookahead.
//!
//! Why this file is long: a tokenizer and a recursive-descent parser for the CQL2 text grammar
//! (OGC 21-065r2 Annex A), one function per grammar rule; splitting the grammar would scatter
//! it.

use super::{CmpOp, Cql2Error, Expr, GeomArg, ParseContext, QueryableType, Scalar, SpatialOp};
use geo::{Coord, Geometry, LineString, MultiLineString, MultiPoint, MultiPolygon, Point, Polygon};

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// Bare word: keyword or property name.
    Word(String),
    /// `"quoted"` property name.
    Quoted(String),
    /// `'string'`.
    Str(String),
    /// Number.
    Num(f64),
    /// `( ) ,`
    Punct(char),
    /// `= <> != < <= > >=`
    Op(String),
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    /// Character index where it starts.
    pos: usize,
}

fn tokenize(src: &str) -> Result<Vec<Token>, Cql2Error> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let tok = match c {
            '(' | ')' | ',' => {
                i += 1;
                Tok::Punct(c)
            }
            '=' => {
                i += 1;
                Tok::Op("=".into())
            }
            '<' | '>' | '!' => {
                let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
                if matches!(two.as_str(), "<>" | "<=" | ">=" | "!=") {
                    i += 2;
                    Tok::Op(two)
                } else if c == '!' {
                    return Err(Cql2Error::at_char(i, "unexpected `!`; use `<>` or NOT"));
                } else {
                    i += 1;
                    Tok::Op(c.to_string())
                }
            }
            '\'' => {
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(Cql2Error::at_char(start, "unterminated string")),
                        Some('\'') if chars.get(i + 1) == Some(&'\'') => {
                            s.push('\'');
                            i += 2;
                        }
                        Some('\'') => {
                            i += 1;
                            break;
                        }
                        Some(&ch) => {
                            s.push(ch);
                            i += 1;
                        }
                    }
                }
                Tok::Str(s)
            }
            '"' => {
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => return Err(Cql2Error::at_char(start, "unterminated quoted name")),
                        Some('"') => {
                            i += 1;
                            break;
                        }
                        Some(&ch) => {
                            s.push(ch);
                            i += 1;
                        }
                    }
                }
                Tok::Quoted(s)
            }
            c if c.is_ascii_digit()
                || ((c == '-' || c == '+' || c == '.')
                    && chars
                        .get(i + 1)
                        .is_some_and(|n| n.is_ascii_digit() || *n == '.')) =>
            {
                let mut j = i + 1;
                while j < chars.len() {
                    let d = chars[j];
                    let exp_sign = (d == '-' || d == '+') && matches!(chars[j - 1], 'e' | 'E');
                    if d.is_ascii_digit() || d == '.' || d == 'e' || d == 'E' || exp_sign {
                        j += 1;
                    } else {
                        break;
                    }
                }
                let text: String = chars[i..j].iter().collect();
                let v: f64 = text
                    .parse()
                    .map_err(|_| Cql2Error::at_char(i, format!("bad number `{text}`")))?;
                i = j;
                Tok::Num(v)
            }
            c if c.is_alphabetic() || c == '_' => {
                let mut j = i + 1;
                while j < chars.len()
                    && (chars[j].is_alphanumeric() || matches!(chars[j], '_' | '.' | ':'))
                {
                    j += 1;
                }
                let w: String = chars[i..j].iter().collect();
                i = j;
                Tok::Word(w)
            }
            other => return Err(Cql2Error::at_char(i, format!("unexpected `{other}`"))),
        };
        out.push(Token { tok, pos: start });
    }
    Ok(out)
}

const KEYWORDS: &[&str] = &[
    "AND",
    "OR",
    "NOT",
    "LIKE",
    "ILIKE",
    "BETWEEN",
    "IN",
    "IS",
    "NULL",
    "TRUE",
    "FALSE",
    "TIMESTAMP",
    "DATE",
    "CASEI",
];

/// The deepest nesting of `NOT` and parentheses a text filter may have.
///
/// The parser is recursive descent, so each level costs stack; without a cap a 40 KB URL of
/// `NOT NOT NOT …` overflowed a server thread's stack and aborted the whole process (newcomer
/// attack, stop 22). 64 matches the nesting cap of GeoJSON import; real filters use a handful.
pub(crate) const MAX_NESTING: usize = 64;

struct Parser<'a> {
    toks: Vec<Token>,
    i: usize,
    end: usize,
    ctx: ParseContext<'a>,
    /// Current `NOT` / parenthesis nesting, at most [`MAX_NESTING`].
    depth: usize,
}

/// Parses a CQL2 text expression.
///
/// # Errors
/// [`Cql2Error`] with the 1-based character position of the problem.
pub fn parse_text(src: &str, ctx: &ParseContext<'_>) -> Result<Expr, Cql2Error> {
    let toks = tokenize(src)?;
    if toks.is_empty() {
        return Err(Cql2Error::at_char(0, "empty filter"));
    }
    let mut p = Parser {
        toks,
        i: 0,
        end: src.chars().count(),
        ctx: *ctx,
        depth: 0,
    };
    let e = p.expr()?;
    if let Some(t) = p.peek() {
        return Err(Cql2Error::at_char(
            t.pos,
            format!(
                "unexpected {} after a complete expression",
                describe(&t.tok)
            ),
        ));
    }
    Ok(e)
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Word(w) => format!("`{w}`"),
        Tok::Quoted(w) => format!("`\"{w}\"`"),
        Tok::Str(s) => format!("string '{s}'"),
        Tok::Num(n) => format!("number {n}"),
        Tok::Punct(c) => format!("`{c}`"),
        Tok::Op(o) => format!("`{o}`"),
    }
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.i)
    }
    fn peek_at(&self, k: usize) -> Option<&Tok> {
        self.toks.get(self.i + k).map(|t| &t.tok)
    }
    fn pos(&self) -> usize {
        self.peek().map_or(self.end, |t| t.pos)
    }
    fn next(&mut self) -> Option<Token> {
        let t = self.toks.get(self.i).cloned();
        self.i += 1;
        t
    }
    fn is_kw(&self, kw: &str) -> bool {
        matches!(self.peek().map(|t| &t.tok), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(kw))
    }
    fn eat_kw(&mut self, kw: &str) -> bool {
        if self.is_kw(kw) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn expect_kw(&mut self, kw: &str) -> Result<(), Cql2Error> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            Err(self.unexpected(&format!("`{kw}`")))
        }
    }
    fn expect_punct(&mut self, c: char) -> Result<(), Cql2Error> {
        match self.peek().map(|t| &t.tok) {
            Some(Tok::Punct(p)) if *p == c => {
                self.i += 1;
                Ok(())
            }
            _ => Err(self.unexpected(&format!("`{c}`"))),
        }
    }
    fn is_punct(&self, c: char) -> bool {
        matches!(self.peek().map(|t| &t.tok), Some(Tok::Punct(p)) if *p == c)
    }
    fn unexpected(&self, wanted: &str) -> Cql2Error {
        match self.peek() {
            Some(t) => Cql2Error::at_char(
                t.pos,
                format!("expected {wanted}, found {}", describe(&t.tok)),
            ),
            None => Cql2Error::at_char(self.end, format!("expected {wanted}, found the end")),
        }
    }

    fn expr(&mut self) -> Result<Expr, Cql2Error> {
        let mut parts = vec![self.term()?];
        while self.eat_kw("OR") {
            parts.push(self.term()?);
        }
        Ok(if parts.len() == 1 {
            parts.pop().unwrap_or(Expr::Bool(false))
        } else {
            Expr::Or(parts)
        })
    }

    fn term(&mut self) -> Result<Expr, Cql2Error> {
        let mut parts = vec![self.factor()?];
        while self.eat_kw("AND") {
            parts.push(self.factor()?);
        }
        Ok(if parts.len() == 1 {
            parts.pop().unwrap_or(Expr::Bool(true))
        } else {
            Expr::And(parts)
        })
    }

    /// Enters one level of `NOT` or parentheses, refusing past [`MAX_NESTING`].
    fn descend(&mut self) -> Result<(), Cql2Error> {
        if self.depth >= MAX_NESTING {
            return Err(Cql2Error::at_char(
                self.pos(),
                format!("the filter nests NOT and parentheses deeper than {MAX_NESTING} levels"),
            ));
        }
        self.depth += 1;
        Ok(())
    }

    fn factor(&mut self) -> Result<Expr, Cql2Error> {
        if self.is_kw("NOT") {
            self.descend()?;
            self.i += 1;
            let inner = self.factor()?;
            self.depth -= 1;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Expr, Cql2Error> {
        if self.is_punct('(') {
            self.descend()?;
            self.i += 1;
            let e = self.expr()?;
            self.expect_punct(')')?;
            self.depth -= 1;
            return Ok(e);
        }
        // A boolean literal on its own (not the left side of a comparison).
        if (self.is_kw("TRUE") || self.is_kw("FALSE"))
            && !matches!(self.peek_at(1), Some(Tok::Op(_)))
        {
            let v = self.is_kw("TRUE");
            self.i += 1;
            return Ok(Expr::Bool(v));
        }
        if let Some(Tok::Word(w)) = self.peek().map(|t| &t.tok) {
            if let Some(op) = SpatialOp::parse(w) {
                self.i += 1;
                self.expect_punct('(')?;
                let a = self.geom_arg()?;
                self.expect_punct(',')?;
                let b = self.geom_arg()?;
                self.expect_punct(')')?;
                return Ok(Expr::Spatial(op, a, b));
            }
            if w.len() > 2
                && (w[..2].eq_ignore_ascii_case("T_") || w[..2].eq_ignore_ascii_case("A_"))
                && matches!(self.peek_at(1), Some(Tok::Punct('(')))
            {
                return Err(Cql2Error::at_char(
                    self.pos(),
                    format!("function `{w}` is not supported (temporal and array functions are not implemented)"),
                ));
            }
        }
        self.predicate()
    }

    fn predicate(&mut self) -> Result<Expr, Cql2Error> {
        let left = self.scalar()?;
        if let Some(Tok::Op(op)) = self.peek().map(|t| t.tok.clone()) {
            self.i += 1;
            let op = CmpOp::parse(&op).ok_or_else(|| self.unexpected("a comparison"))?;
            let right = self.scalar()?;
            return Ok(Expr::Compare(op, left, right));
        }
        let negated = self.eat_kw("NOT");
        let e = if self.eat_kw("LIKE") {
            Expr::Like(left, self.scalar()?)
        } else if self.eat_kw("ILIKE") {
            let pat = self.scalar()?;
            Expr::Like(Scalar::CaseI(Box::new(left)), Scalar::CaseI(Box::new(pat)))
        } else if self.eat_kw("BETWEEN") {
            let low = self.scalar()?;
            self.expect_kw("AND")?;
            let high = self.scalar()?;
            Expr::Between(left, low, high)
        } else if self.eat_kw("IN") {
            self.expect_punct('(')?;
            let mut list = vec![self.scalar()?];
            while self.is_punct(',') {
                self.i += 1;
                list.push(self.scalar()?);
            }
            self.expect_punct(')')?;
            Expr::In(left, list)
        } else if !negated && self.eat_kw("IS") {
            let not = self.eat_kw("NOT");
            self.expect_kw("NULL")?;
            let e = Expr::IsNull(left);
            return Ok(if not { Expr::Not(Box::new(e)) } else { e });
        } else {
            return Err(
                self.unexpected("a comparison operator, LIKE, BETWEEN, IN or IS [NOT] NULL")
            );
        };
        Ok(if negated { Expr::Not(Box::new(e)) } else { e })
    }

    fn property(&self, name: &str, pos: usize) -> Result<Scalar, Cql2Error> {
        match self.ctx.queryables.get(name) {
            Some(q) if q.kind == QueryableType::Geometry => Err(Cql2Error::at_char(
                pos,
                format!(
                    "`{name}` is a geometry: use it in a spatial function such as S_INTERSECTS"
                ),
            )),
            Some(_) => Ok(Scalar::Property(name.to_string())),
            None => Err(Cql2Error::at_char(
                pos,
                format!(
                    "unknown property `{name}`; queryables: {}",
                    self.ctx.queryables.names().join(", ")
                ),
            )),
        }
    }

    fn scalar(&mut self) -> Result<Scalar, Cql2Error> {
        let pos = self.pos();
        let Some(t) = self.next() else {
            return Err(Cql2Error::at_char(
                self.end,
                "expected a value, found the end",
            ));
        };
        match t.tok {
            Tok::Str(s) => Ok(Scalar::Str(s)),
            Tok::Num(n) => Ok(Scalar::Num(n)),
            Tok::Quoted(name) => self.property(&name, pos),
            Tok::Word(w) => {
                let up = w.to_ascii_uppercase();
                match up.as_str() {
                    "TRUE" => Ok(Scalar::Bool(true)),
                    "FALSE" => Ok(Scalar::Bool(false)),
                    "TIMESTAMP" | "DATE" => {
                        self.expect_punct('(')?;
                        let spos = self.pos();
                        let s = match self.next().map(|t| t.tok) {
                            Some(Tok::Str(s)) => s,
                            _ => return Err(Cql2Error::at_char(spos, "expected a quoted date")),
                        };
                        self.expect_punct(')')?;
                        if up == "DATE" {
                            chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                                .map(Scalar::Date)
                                .map_err(|_| {
                                    Cql2Error::at_char(spos, format!("bad DATE '{s}' (YYYY-MM-DD)"))
                                })
                        } else {
                            chrono::DateTime::parse_from_rfc3339(&s)
                                .map(|t| Scalar::Timestamp(t.with_timezone(&chrono::Utc)))
                                .map_err(|_| {
                                    Cql2Error::at_char(
                                        spos,
                                        format!("bad TIMESTAMP '{s}' (RFC 3339, e.g. 2026-01-01T00:00:00Z)"),
                                    )
                                })
                        }
                    }
                    "CASEI" => {
                        self.expect_punct('(')?;
                        let inner = self.scalar()?;
                        self.expect_punct(')')?;
                        Ok(Scalar::CaseI(Box::new(inner)))
                    }
                    "ACCENTI" => Err(Cql2Error::at_char(pos, "ACCENTI is not supported")),
                    _ if KEYWORDS.contains(&up.as_str()) => Err(Cql2Error::at_char(
                        pos,
                        format!("expected a value, found keyword `{w}`"),
                    )),
                    _ if matches!(self.peek().map(|t| &t.tok), Some(Tok::Punct('('))) => {
                        Err(Cql2Error::at_char(pos, format!("unknown function `{w}`")))
                    }
                    _ => self.property(&w, pos),
                }
            }
            other => Err(Cql2Error::at_char(
                pos,
                format!("expected a value, found {}", describe(&other)),
            )),
        }
    }

    fn geom_arg(&mut self) -> Result<GeomArg, Cql2Error> {
        let pos = self.pos();
        let name = match self.peek().map(|t| &t.tok) {
            Some(Tok::Quoted(n)) => Some(n.clone()),
            Some(Tok::Word(w)) if !is_geometry_keyword(w) => Some(w.clone()),
            _ => None,
        };
        if let Some(name) = name {
            self.i += 1;
            return match self.ctx.queryables.get(&name) {
                Some(q) if q.kind == QueryableType::Geometry => Ok(GeomArg::Property(name)),
                Some(_) => Err(Cql2Error::at_char(
                    pos,
                    format!("`{name}` is not a geometry"),
                )),
                None => Err(Cql2Error::at_char(
                    pos,
                    format!(
                        "unknown property `{name}`; queryables: {}",
                        self.ctx.queryables.names().join(", ")
                    ),
                )),
            };
        }
        self.geometry_literal().map(GeomArg::Literal)
    }

    fn coord(&mut self) -> Result<Coord<f64>, Cql2Error> {
        let a = self.number()?;
        let b = self.number()?;
        // An optional height is read and dropped.
        if matches!(self.peek().map(|t| &t.tok), Some(Tok::Num(_))) {
            self.i += 1;
        }
        let (lon, lat) = self.ctx.crs.to_lon_lat(a, b);
        Ok(Coord { x: lon, y: lat })
    }

    fn number(&mut self) -> Result<f64, Cql2Error> {
        let pos = self.pos();
        match self.next().map(|t| t.tok) {
            Some(Tok::Num(n)) if n.is_finite() => Ok(n),
            _ => Err(Cql2Error::at_char(pos, "expected a coordinate number")),
        }
    }

    /// `( x y, x y, … )`
    fn coord_list(&mut self) -> Result<Vec<Coord<f64>>, Cql2Error> {
        self.expect_punct('(')?;
        let mut v = vec![self.coord()?];
        while self.is_punct(',') {
            self.i += 1;
            v.push(self.coord()?);
        }
        self.expect_punct(')')?;
        Ok(v)
    }

    /// `( (ring), (ring) )`
    fn polygon_body(&mut self) -> Result<Polygon<f64>, Cql2Error> {
        let pos = self.pos();
        self.expect_punct('(')?;
        let mut rings = vec![self.ring(pos)?];
        while self.is_punct(',') {
            self.i += 1;
            let p = self.pos();
            rings.push(self.ring(p)?);
        }
        self.expect_punct(')')?;
        let exterior = rings.remove(0);
        Ok(Polygon::new(exterior, rings))
    }

    fn ring(&mut self, pos: usize) -> Result<LineString<f64>, Cql2Error> {
        let c = self.coord_list()?;
        if c.len() < 4 || c.first() != c.last() {
            return Err(Cql2Error::at_char(
                pos,
                "a polygon ring needs at least 4 positions, the last equal to the first",
            ));
        }
        Ok(LineString::new(c))
    }

    fn geometry_literal(&mut self) -> Result<Geometry<f64>, Cql2Error> {
        let pos = self.pos();
        let Some(Tok::Word(w)) = self.peek().map(|t| t.tok.clone()) else {
            return Err(self.unexpected("a geometry (POINT, POLYGON, BBOX, …) or `geometry`"));
        };
        self.i += 1;
        // Optional Z / M / ZM after the type name.
        if let Some(Tok::Word(z)) = self.peek().map(|t| &t.tok) {
            if matches!(z.to_ascii_uppercase().as_str(), "Z" | "M" | "ZM") {
                self.i += 1;
            }
        }
        let g = match w.to_ascii_uppercase().as_str() {
            "POINT" => {
                self.expect_punct('(')?;
                let c = self.coord()?;
                self.expect_punct(')')?;
                Geometry::Point(Point(c))
            }
            "LINESTRING" => Geometry::LineString(LineString::new(self.coord_list()?)),
            "POLYGON" => Geometry::Polygon(self.polygon_body()?),
            "MULTIPOINT" => {
                self.expect_punct('(')?;
                let mut pts = Vec::new();
                loop {
                    if self.is_punct('(') {
                        self.i += 1;
                        pts.push(Point(self.coord()?));
                        self.expect_punct(')')?;
                    } else {
                        pts.push(Point(self.coord()?));
                    }
                    if !self.is_punct(',') {
                        break;
                    }
                    self.i += 1;
                }
                self.expect_punct(')')?;
                Geometry::MultiPoint(MultiPoint(pts))
            }
            "MULTILINESTRING" => {
                self.expect_punct('(')?;
                let mut lines = vec![LineString::new(self.coord_list()?)];
                while self.is_punct(',') {
                    self.i += 1;
                    lines.push(LineString::new(self.coord_list()?));
                }
                self.expect_punct(')')?;
                Geometry::MultiLineString(MultiLineString(lines))
            }
            "MULTIPOLYGON" => {
                self.expect_punct('(')?;
                let mut polys = vec![self.polygon_body()?];
                while self.is_punct(',') {
                    self.i += 1;
                    polys.push(self.polygon_body()?);
                }
                self.expect_punct(')')?;
                Geometry::MultiPolygon(MultiPolygon(polys))
            }
            "BBOX" | "ENVELOPE" => {
                self.expect_punct('(')?;
                let mut v = vec![self.number()?];
                while self.is_punct(',') {
                    self.i += 1;
                    v.push(self.number()?);
                }
                self.expect_punct(')')?;
                super::json::bbox_geometry(&v, self.ctx.crs)
                    .map_err(|m| Cql2Error::at_char(pos, m))?
            }
            _ => {
                return Err(Cql2Error::at_char(
                    pos,
                    format!("unknown geometry type `{w}`"),
                ))
            }
        };
        Ok(g)
    }
}

fn is_geometry_keyword(w: &str) -> bool {
    matches!(
        w.to_ascii_uppercase().as_str(),
        "POINT"
            | "LINESTRING"
            | "POLYGON"
            | "MULTIPOINT"
            | "MULTILINESTRING"
            | "MULTIPOLYGON"
            | "BBOX"
            | "ENVELOPE"
            | "GEOMETRYCOLLECTION"
    )
}
