//! Plain-text tables for the terminal, aligned by display width: a CJK or full-width
//! character takes two columns (Unicode East Asian Width W/F, the ranges below), so Chinese
//! headers and names line up with numbers.

/// Display width of `s` in a terminal: two columns for each wide character (the CJK,
/// Hangul and full-width ranges of Unicode's East Asian Width property), one otherwise.
pub fn width(s: &str) -> usize {
    s.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F
            | 0x2E80..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6 => 2,
            _ => 1,
        })
        .sum()
}

/// How a column is aligned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text: padded on the right.
    Left,
    /// Numbers: padded on the left.
    Right,
}

/// `s` padded with spaces to `w` display columns.
fn aligned(s: &str, w: usize, align: Align) -> String {
    let fill = " ".repeat(w.saturating_sub(width(s)));
    match align {
        Align::Left => format!("{s}{fill}"),
        Align::Right => format!("{fill}{s}"),
    }
}

/// The lines of a table: `header` then `rows`, each column as wide as its widest cell,
/// columns two spaces apart, trailing spaces trimmed. `align[c]` aligns column `c` (left when
/// missing); a row shorter than the header leaves its last cells empty.
pub fn render(header: &[&str], rows: &[Vec<String>], align: &[Align]) -> Vec<String> {
    let cell = |r: &[String], c: usize| r.get(c).map_or("", String::as_str).to_string();
    let widths: Vec<usize> = (0..header.len())
        .map(|c| {
            rows.iter()
                .map(|r| width(&cell(r, c)))
                .chain([width(header[c])])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<String>| {
        cells
            .iter()
            .enumerate()
            .map(|(c, s)| aligned(s, widths[c], align.get(c).copied().unwrap_or(Align::Left)))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let mut out = vec![line(header.iter().map(|s| s.to_string()).collect())];
    out.extend(
        rows.iter()
            .map(|r| line((0..header.len()).map(|c| cell(r, c)).collect())),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_text_takes_two_columns() {
        assert_eq!(width("芙蓉区"), 6);
        assert_eq!(width("a（b）"), 6);
        assert_eq!(width("km²"), 3);
    }

    #[test]
    fn columns_line_up_by_display_width() {
        let rows = vec![
            vec!["芙蓉区".to_string(), "34.6".to_string()],
            vec!["abc".to_string(), "5".to_string()],
        ];
        let lines = render(&["名称", "覆盖率 %"], &rows, &[Align::Left, Align::Right]);
        // every line ends at the same display column: 6 + 2 + 8
        for l in &lines {
            assert_eq!(width(l), 16, "{l:?}");
        }
        assert_eq!(lines[2], "abc            5");
    }
}
