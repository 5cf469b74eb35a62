//! The outline of a band around line pieces, by a distance field on a grid and marching
//! squares: the polygon of a network service area (see [`super::search::service_area`]).
//!
//! 1. A grid of vertices `cell_m` apart covers the pieces with a margin; each vertex holds its
//!    distance to the nearest piece, computed exactly to that piece. The nearest piece is
//!    found as in a Euclidean distance transform: the vertices around each piece are seeded
//!    with it, then two raster passes over the grid (Danielsson's 8SSEDT order: forward with
//!    the left, lower-left, lower and lower-right neighbours then back along the row;
//!    backward mirrored) give each vertex its neighbours' nearest piece when that is nearer,
//!    out to two cells beyond the radius (farther vertices are "far"). The cost is a few
//!    distance evaluations per vertex of the band, whatever the pieces' overlap; computing
//!    every piece's distance over its whole neighbourhood cost 5–10 times as much in a city
//!    centre, where reached streets are split every ~12 m and each vertex lies within the
//!    radius of dozens of pieces.
//! 2. Holes: the vertices farther than `radius_m` from every piece that cannot be reached from
//!    the edge of the grid through such vertices are enclosed by the band. Enclosed regions of
//!    at most `fill_holes_m2` are filled (a city block whose sides were all reached is
//!    reachable: its doors face those streets); larger ones (a lake, a rail yard) stay holes.
//! 3. Marching squares trace the level `radius_m` of the field with linear interpolation
//!    along cell edges (saddles decided by the mean of the four corners), oriented with the
//!    inside on the left: outer rings counter-clockwise, holes clockwise.
//!
//! Everything is in a local plane in metres (the graph's projection). The outline departs from
//! the exact buffer by a small fraction of a cell where it is straight and by under a tenth of
//! a cell at round ends (the unit tests measure it); the cost grows with the area of the grid
//! over `cell_m²` and with the number of pieces, not with how they overlap (the buffering and
//! union this replaced did).

use geo::{Area, Contains, Coord, LineString, MultiPolygon, Polygon};

/// Grid of distances.
struct Field {
    x0: f64,
    y0: f64,
    cell: f64,
    nx: usize,
    ny: usize,
    /// Distance of vertex `(i, j)` at `j * nx + i`, metres (`f64::INFINITY`: far;
    /// `f64::NEG_INFINITY`: a filled hole).
    d: Vec<f64>,
}

impl Field {
    fn at(&self, i: usize, j: usize) -> f64 {
        self.d[j * self.nx + i]
    }
    fn pos(&self, i: usize, j: usize) -> Coord<f64> {
        Coord {
            x: self.x0 + i as f64 * self.cell,
            y: self.y0 + j as f64 * self.cell,
        }
    }
}

/// No piece near a grid vertex.
const NO_PIECE: u32 = u32::MAX;

/// A piece ready for distances: its start, its direction and 1 / its length² (0 for a point).
struct Seg {
    a: Coord<f64>,
    ab: Coord<f64>,
    inv_len2: f64,
}

impl Seg {
    fn new(a: Coord<f64>, b: Coord<f64>) -> Self {
        let ab = Coord {
            x: b.x - a.x,
            y: b.y - a.y,
        };
        let len2 = ab.x * ab.x + ab.y * ab.y;
        Seg {
            a,
            ab,
            inv_len2: if len2 > 0.0 { 1.0 / len2 } else { 0.0 },
        }
    }

    /// Squared distance from `p` to the segment, and the nearest point of the segment.
    fn foot(&self, p: Coord<f64>) -> (f64, Coord<f64>) {
        let t = (((p.x - self.a.x) * self.ab.x + (p.y - self.a.y) * self.ab.y) * self.inv_len2)
            .clamp(0.0, 1.0);
        let f = Coord {
            x: self.a.x + t * self.ab.x,
            y: self.a.y + t * self.ab.y,
        };
        let (dx, dy) = (f.x - p.x, f.y - p.y);
        (dx * dx + dy * dy, f)
    }

    /// Squared distance from `p` to the segment.
    fn distance2(&self, p: Coord<f64>) -> f64 {
        let t = (((p.x - self.a.x) * self.ab.x + (p.y - self.a.y) * self.ab.y) * self.inv_len2)
            .clamp(0.0, 1.0);
        let (dx, dy) = (
            self.a.x + t * self.ab.x - p.x,
            self.a.y + t * self.ab.y - p.y,
        );
        dx * dx + dy * dy
    }
}

/// The band of `radius_m` around `pieces` (segments in a plane, metres), traced on a grid of
/// `cell_m`, with enclosed holes of at most `fill_holes_m2` filled (module docs). Empty when
/// there are no pieces or a parameter is not positive.
pub fn band_outline(
    pieces: &[[Coord<f64>; 2]],
    radius_m: f64,
    cell_m: f64,
    fill_holes_m2: f64,
) -> MultiPolygon<f64> {
    let positive = |x: f64| x.is_finite() && x > 0.0;
    if pieces.is_empty() || !positive(radius_m) || !positive(cell_m) {
        return MultiPolygon(Vec::new());
    }
    let (mut minx, mut miny, mut maxx, mut maxy) = (
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    );
    for [a, b] in pieces {
        for p in [a, b] {
            minx = minx.min(p.x);
            miny = miny.min(p.y);
            maxx = maxx.max(p.x);
            maxy = maxy.max(p.y);
        }
    }
    // A cell of margin beyond the band: the grid's edge is always outside (farther than
    // `radius_m + cell_m` from every piece, where the outline's interpolation is capped).
    let margin = radius_m + cell_m;
    let (x0, y0) = (minx - margin, miny - margin);
    let nx = ((maxx + margin - x0) / cell_m).ceil() as usize + 1;
    let ny = ((maxy + margin - y0) / cell_m).ceil() as usize + 1;
    let n = nx * ny;
    let pos = |i: usize, j: usize| Coord {
        x: x0 + i as f64 * cell_m,
        y: y0 + j as f64 * cell_m,
    };
    // The pieces with what the distance needs precomputed (start, direction, 1 / length²).
    let segs: Vec<Seg> = pieces.iter().map(|&[a, b]| Seg::new(a, b)).collect();
    // The nearest piece of each vertex (`NO_PIECE`: none within reach) and the squared
    // distance to it (square roots are taken once at the end). Seeds: the corners of the
    // cells that each piece's bounding box touches.
    let mut near = vec![NO_PIECE; n];
    let mut d = vec![f64::INFINITY; n];
    let inv = 1.0 / cell_m;
    for (k, (s, [a, b])) in segs.iter().zip(pieces).enumerate() {
        // Every piece lies a margin inside the grid: the quotients are positive, and the
        // conversion truncates them (a floor); the cell's far side is one more.
        let (i0, j0) = (
            ((a.x.min(b.x) - x0) * inv) as usize,
            ((a.y.min(b.y) - y0) * inv) as usize,
        );
        let (i1, j1) = (
            (((a.x.max(b.x) - x0) * inv) as usize + 1).min(nx - 1),
            (((a.y.max(b.y) - y0) * inv) as usize + 1).min(ny - 1),
        );
        for j in j0..=j1 {
            for i in i0..=i1 {
                let v = j * nx + i;
                let e = s.distance2(pos(i, j));
                if e < d[v] {
                    d[v] = e;
                    near[v] = k as u32;
                }
            }
        }
    }
    // Then each vertex takes its neighbours' nearest piece if it is nearer (two raster
    // passes over the grid, as in Danielsson's 8SSEDT distance transform, with exact
    // distances to the propagated pieces), up to two cells beyond the radius.
    let far = radius_m + 2.0 * cell_m;
    let lim2 = far * far;
    let relax = |near: &mut [u32], d: &mut [f64], v: usize, u: usize, p: Coord<f64>| {
        let k = near[u];
        if k == NO_PIECE || k == near[v] {
            return;
        }
        let e = segs[k as usize].distance2(p);
        if e < d[v] && e <= lim2 {
            d[v] = e;
            near[v] = k;
        }
    };
    for j in 0..ny {
        let row = j * nx;
        for i in 0..nx {
            let v = row + i;
            if near[v] == NO_PIECE
                && (i == 0 || near[v - 1] == NO_PIECE)
                && (j == 0
                    || (near[v - nx] == NO_PIECE
                        && (i == 0 || near[v - nx - 1] == NO_PIECE)
                        && (i + 1 == nx || near[v - nx + 1] == NO_PIECE)))
            {
                continue;
            }
            let p = pos(i, j);
            if i > 0 {
                relax(&mut near, &mut d, v, v - 1, p);
            }
            if j > 0 {
                relax(&mut near, &mut d, v, v - nx, p);
                if i > 0 {
                    relax(&mut near, &mut d, v, v - nx - 1, p);
                }
                if i + 1 < nx {
                    relax(&mut near, &mut d, v, v - nx + 1, p);
                }
            }
        }
        for i in (0..nx.saturating_sub(1)).rev() {
            let v = row + i;
            if near[v + 1] != NO_PIECE {
                relax(&mut near, &mut d, v, v + 1, pos(i, j));
            }
        }
    }
    for j in (0..ny).rev() {
        let row = j * nx;
        for i in (0..nx).rev() {
            let v = row + i;
            if near[v] == NO_PIECE
                && (i + 1 == nx || near[v + 1] == NO_PIECE)
                && (j + 1 == ny
                    || (near[v + nx] == NO_PIECE
                        && (i + 1 == nx || near[v + nx + 1] == NO_PIECE)
                        && (i == 0 || near[v + nx - 1] == NO_PIECE)))
            {
                continue;
            }
            let p = pos(i, j);
            if i + 1 < nx {
                relax(&mut near, &mut d, v, v + 1, p);
            }
            if j + 1 < ny {
                relax(&mut near, &mut d, v, v + nx, p);
                if i + 1 < nx {
                    relax(&mut near, &mut d, v, v + nx + 1, p);
                }
                if i > 0 {
                    relax(&mut near, &mut d, v, v + nx - 1, p);
                }
            }
        }
        for i in 1..nx {
            let v = row + i;
            if near[v - 1] != NO_PIECE {
                relax(&mut near, &mut d, v, v - 1, pos(i, j));
            }
        }
    }
    for x in &mut d {
        *x = x.sqrt();
    }
    let mut f = Field {
        x0,
        y0,
        cell: cell_m,
        nx,
        ny,
        d,
    };
    fill_holes(&mut f, radius_m, fill_holes_m2);
    // Far vertices count as one cell beyond the band for interpolation (a vertex next to an
    // inside one is never far: it is within `radius_m + cell_m` of the same piece).
    let mut rings = trace(&f, radius_m, radius_m + cell_m);
    round_off(&mut rings, &f, &near, &segs, radius_m);
    assemble(rings)
}

/// Adds to each segment of the outline its midpoint moved onto the exact level `r` of the
/// distance to the nearest piece (among the nearest pieces of the corners of the cell it
/// lies in): marching squares draw a round end as chords between cell edges, which cut it
/// short by 1 % of a capsule's area on a grid of half the radius; with the midpoints, 0.2 %
/// (unit tests). A midpoint whose move would exceed half a cell is left out.
fn round_off(rings: &mut [LineString<f64>], f: &Field, near: &[u32], segs: &[Seg], r: f64) {
    let inv = 1.0 / f.cell;
    for ring in rings {
        let pts = &ring.0;
        let mut out = Vec::with_capacity(2 * pts.len());
        for w in pts.windows(2) {
            let (p, q) = (w[0], w[1]);
            out.push(p);
            let m = Coord {
                x: 0.5 * (p.x + q.x),
                y: 0.5 * (p.y + q.y),
            };
            // The cell of the midpoint (the outline lies inside the grid).
            let i = (((m.x - f.x0) * inv).max(0.0) as usize).min(f.nx - 2);
            let j = (((m.y - f.y0) * inv).max(0.0) as usize).min(f.ny - 2);
            let mut best: Option<(f64, Coord<f64>)> = None;
            for v in [
                j * f.nx + i,
                j * f.nx + i + 1,
                (j + 1) * f.nx + i,
                (j + 1) * f.nx + i + 1,
            ] {
                let k = near[v];
                if k == NO_PIECE {
                    continue;
                }
                let (d2, foot) = segs[k as usize].foot(m);
                if best.is_none_or(|(b, _)| d2 < b) {
                    best = Some((d2, foot));
                }
            }
            if let Some((d2, foot)) = best {
                let d = d2.sqrt();
                if d > 1e-9 && (d - r).abs() < 0.5 * f.cell {
                    let k = r / d;
                    out.push(Coord {
                        x: foot.x + k * (m.x - foot.x),
                        y: foot.y + k * (m.y - foot.y),
                    });
                }
            }
        }
        if let Some(&first) = out.first() {
            out.push(first);
        }
        ring.0 = out;
    }
}

/// Sets the value of enclosed outside regions of at most `max_m2` to −∞ (module docs).
fn fill_holes(f: &mut Field, r: f64, max_m2: f64) {
    let (nx, ny) = (f.nx, f.ny);
    let outside: Vec<bool> = f.d.iter().map(|&d| d > r).collect();
    // 0: unvisited; 1: reached from the grid's edge; 2: enclosed (visited).
    let mut mark = vec![0u8; nx * ny];
    let mut stack: Vec<usize> = Vec::new();
    let mut flood = |start: usize, tag: u8, mark: &mut Vec<u8>, out: &mut Vec<usize>| {
        stack.push(start);
        mark[start] = tag;
        while let Some(k) = stack.pop() {
            out.push(k);
            let (i, j) = (k % nx, k / nx);
            let mut visit = |n: usize| {
                if mark[n] == 0 && outside[n] {
                    mark[n] = tag;
                    stack.push(n);
                }
            };
            if i > 0 {
                visit(k - 1);
            }
            if i + 1 < nx {
                visit(k + 1);
            }
            if j > 0 {
                visit(k - nx);
            }
            if j + 1 < ny {
                visit(k + nx);
            }
        }
    };
    let mut scratch = Vec::new();
    // The margin makes every edge vertex outside.
    flood(0, 1, &mut mark, &mut scratch);
    let cell_m2 = f.cell * f.cell;
    let mut fill = Vec::new();
    for k in 0..nx * ny {
        if mark[k] == 0 && outside[k] {
            scratch.clear();
            flood(k, 2, &mut mark, &mut scratch);
            if scratch.len() as f64 * cell_m2 <= max_m2 {
                fill.extend_from_slice(&scratch);
            }
        }
    }
    for h in fill {
        f.d[h] = f64::NEG_INFINITY;
    }
}

/// Marching squares at level `r`, inside (`d <= r`) on the left (module docs); values are
/// capped at `cap` for interpolation.
fn trace(f: &Field, r: f64, cap: f64) -> Vec<LineString<f64>> {
    let (nx, ny) = (f.nx, f.ny);
    let inside = |i: usize, j: usize| f.at(i, j) <= r;
    // Crossing ids: horizontal edge (i, j)–(i+1, j) → 2k, vertical (i, j)–(i, j+1) → 2k + 1,
    // with k = j * nx + i.
    let crossing = |i0: usize, j0: usize, i1: usize, j1: usize| -> (usize, Coord<f64>) {
        let (da, db) = (f.at(i0, j0), f.at(i1, j1));
        let (da, db) = (da.min(cap), db.min(cap));
        let t = if (db - da).abs() > 1e-12 {
            ((r - da) / (db - da)).clamp(0.0, 1.0)
        } else {
            0.5
        };
        let (a, b) = (f.pos(i0, j0), f.pos(i1, j1));
        let id = if j0 == j1 {
            2 * (j0 * nx + i0.min(i1))
        } else {
            2 * (j0.min(j1) * nx + i0) + 1
        };
        (
            id,
            Coord {
                x: a.x + t * (b.x - a.x),
                y: a.y + t * (b.y - a.y),
            },
        )
    };
    // Per crossing id: the next crossing along the outline and the crossing's point (index
    // into `points`), `NO_PIECE` when the edge is not crossed.
    let mut next = vec![NO_PIECE; 2 * nx * ny];
    let mut point_of = vec![NO_PIECE; 2 * nx * ny];
    let mut points: Vec<Coord<f64>> = Vec::new();
    for j in 0..ny - 1 {
        for i in 0..nx - 1 {
            // Corners counter-clockwise from the bottom left.
            let corners = [(i, j), (i + 1, j), (i + 1, j + 1), (i, j + 1)];
            let ins = corners.map(|(a, b)| inside(a, b));
            if ins.iter().all(|&x| x) || ins.iter().all(|&x| !x) {
                continue;
            }
            // Crossings met going counter-clockwise around the cell, with their direction.
            let mut xs = [(0usize, false); 4];
            let mut n = 0;
            for e in 0..4 {
                let (a, b) = (corners[e], corners[(e + 1) % 4]);
                if ins[e] != ins[(e + 1) % 4] {
                    let (id, p) = crossing(a.0, a.1, b.0, b.1);
                    if point_of[id] == NO_PIECE {
                        point_of[id] = points.len() as u32;
                        points.push(p);
                    }
                    // true: leaving the inside (in → out).
                    xs[n] = (id, ins[e]);
                    n += 1;
                }
            }
            let connected = if n == 4 {
                let mean = corners
                    .iter()
                    .map(|&(a, b)| f.at(a, b).min(cap))
                    .sum::<f64>()
                    / 4.0;
                mean <= r
            } else {
                true
            };
            for k in 0..n {
                if !xs[k].1 {
                    continue;
                }
                // Insides joined: the next crossing (an entry); apart: the previous one.
                let partner = if connected {
                    xs[(k + 1) % n].0
                } else {
                    xs[(k + n - 1) % n].0
                };
                next[xs[k].0] = partner as u32;
            }
        }
    }
    // Chain the segments into rings.
    let mut rings: Vec<LineString<f64>> = Vec::new();
    let mut used = vec![false; next.len()];
    for s in 0..next.len() {
        if next[s] == NO_PIECE || used[s] {
            continue;
        }
        let mut ring = Vec::new();
        let mut c = s;
        loop {
            used[c] = true;
            ring.push(points[point_of[c] as usize]);
            match next[c] {
                n if n != NO_PIECE && n as usize != s && !used[n as usize] => c = n as usize,
                _ => break,
            }
        }
        if ring.len() >= 3 {
            ring.push(ring[0]);
            rings.push(LineString(ring));
        }
    }
    rings
}

/// Outer rings (counter-clockwise) with the holes (clockwise) each contains, the smallest
/// containing outer ring taking a hole.
fn assemble(rings: Vec<LineString<f64>>) -> MultiPolygon<f64> {
    let signed = |r: &LineString<f64>| Polygon::new(r.clone(), vec![]).signed_area();
    let mut outers: Vec<(LineString<f64>, f64, Vec<LineString<f64>>)> = Vec::new();
    let mut holes = Vec::new();
    for r in rings {
        let a = signed(&r);
        if a > 0.0 {
            outers.push((r, a, Vec::new()));
        } else if a < 0.0 {
            holes.push(r);
        }
    }
    let shells: Vec<Polygon<f64>> = outers
        .iter()
        .map(|(r, _, _)| Polygon::new(r.clone(), vec![]))
        .collect();
    for h in holes {
        let probe = h.0[0];
        let best = shells
            .iter()
            .enumerate()
            .filter(|(_, s)| s.contains(&probe))
            .min_by(|a, b| outers[a.0].1.total_cmp(&outers[b.0].1))
            .map(|(k, _)| k);
        if let Some(k) = best {
            outers[k].2.push(h);
        }
    }
    MultiPolygon(
        outers
            .into_iter()
            .map(|(r, _, hs)| Polygon::new(r, hs))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::PI;

    fn c(x: f64, y: f64) -> Coord<f64> {
        Coord { x, y }
    }

    #[test]
    fn a_segment_gives_a_capsule_of_the_exact_area() {
        // 200 m long, radius 25 m: 200 · 50 + π · 25² = 11 963.5 m².
        let mp = band_outline(&[[c(0.0, 0.0), c(200.0, 0.0)]], 25.0, 5.0, 0.0);
        assert_eq!(mp.0.len(), 1);
        assert!(mp.0[0].interiors().is_empty());
        let expected = 200.0 * 50.0 + PI * 625.0;
        let a = mp.unsigned_area();
        assert!((a / expected - 1.0).abs() < 0.005, "{a} vs {expected}");
        // Counter-clockwise outer ring.
        assert!(mp.0[0].signed_area() > 0.0);
    }

    #[test]
    fn small_enclosed_blocks_are_filled_and_large_ones_stay_holes() {
        // A square street block 100 m a side: the band (25 m) leaves a 50 m × 50 m hole.
        let sq = |s: f64| {
            vec![
                [c(0.0, 0.0), c(s, 0.0)],
                [c(s, 0.0), c(s, s)],
                [c(s, s), c(0.0, s)],
                [c(0.0, s), c(0.0, 0.0)],
            ]
        };
        let outer = 150.0 * 150.0 - (4.0 - PI) * 625.0;
        let open = band_outline(&sq(100.0), 25.0, 5.0, 0.0);
        assert_eq!(open.0.len(), 1);
        assert_eq!(open.0[0].interiors().len(), 1);
        let a = open.unsigned_area();
        assert!((a - (outer - 2500.0)).abs() < 0.01 * outer, "{a}");
        // Filling holes up to 1 ha closes it.
        let filled = band_outline(&sq(100.0), 25.0, 5.0, 10_000.0);
        assert!(filled.0[0].interiors().is_empty());
        assert!((filled.unsigned_area() / outer - 1.0).abs() < 0.01);
        // A 400 m block leaves a 350 m × 350 m hole (12 ha), larger than 1 ha: kept.
        let big = band_outline(&sq(400.0), 25.0, 5.0, 10_000.0);
        assert_eq!(big.0[0].interiors().len(), 1);
    }

    #[test]
    fn pieces_apart_give_separate_polygons() {
        let mp = band_outline(
            &[[c(0.0, 0.0), c(10.0, 0.0)], [c(500.0, 0.0), c(510.0, 0.0)]],
            25.0,
            5.0,
            0.0,
        );
        assert_eq!(mp.0.len(), 2);
        assert!(band_outline(&[], 25.0, 5.0, 0.0).0.is_empty());
    }
}
