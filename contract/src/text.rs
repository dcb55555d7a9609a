//! Positions in text, for messages that name a line (and a column). The
//! release tool and the buildpack both number lines in the files they read
//! (`slipway.toml`, `sqlx.toml`, `rust-toolchain.toml`, migrations), so the rule
//! lives here, in the crate they share; so does the way both print a size.

/// The 1-based line of byte `offset` in `text`; an offset past the end is the
/// last line.
#[must_use]
pub fn line_of(text: &str, offset: usize) -> usize {
    line_and_column(text, offset).0
}

/// The 1-based line and column of byte `offset` in `text`. The column counts
/// characters, not bytes, as an editor does; an offset inside a character
/// counts as that character.
#[must_use]
pub fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..char_boundary_at_or_before(text, offset)];
    let line_start = before.rfind('\n').map_or(0, |at| at + 1);
    (
        before.matches('\n').count() + 1,
        before[line_start..].chars().count() + 1,
    )
}

/// The byte offset of the `position`th character (1-based), as PostgreSQL
/// reports an error's position; a position past the end is the end.
#[must_use]
pub fn offset_of_character(text: &str, position: usize) -> usize {
    text.char_indices()
        .nth(position.saturating_sub(1))
        .map_or(text.len(), |(offset, _)| offset)
}

/// A TOML value's type with its article, for messages: `an integer`, `a string`.
#[must_use]
pub fn a_toml_type(value: &toml::Value) -> &'static str {
    match value {
        toml::Value::String(_) => "a string",
        toml::Value::Integer(_) => "an integer",
        toml::Value::Float(_) => "a float",
        toml::Value::Boolean(_) => "a boolean",
        toml::Value::Datetime(_) => "a date-time",
        toml::Value::Array(_) => "an array",
        toml::Value::Table(_) => "a table",
    }
}

/// The largest char boundary in `text` at or before `offset`.
fn char_boundary_at_or_before(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// `512 B`, `8.0 KiB`, `2.3 GiB`: a size in bytes, in powers of 1024 as `du -h` prints them.
#[must_use]
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = f64_from(bytes);
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[allow(clippy::cast_precision_loss)] // Only for showing a size to one decimal.
fn f64_from(bytes: u64) -> f64 {
    bytes as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_like_du() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(64 << 20), "64.0 MiB");
        assert_eq!(human_bytes(3 << 29), "1.5 GiB");
    }

    #[test]
    fn lines_are_one_based() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 4), 3);
        assert_eq!(line_of("a\nb\nc", 99), 3);
    }

    #[test]
    fn columns_count_characters() {
        let text = "SELECT 1;\nSELECT é, nope;\n";
        let nope = text.find("nope").unwrap();
        assert_eq!(line_and_column(text, nope), (2, 11));
        // Inside the two bytes of `é`: that character's column.
        let e = text.find('é').unwrap();
        assert_eq!(line_and_column(text, e + 1), (2, 8));
    }

    #[test]
    fn character_positions_become_byte_offsets() {
        let text = "é, nope";
        assert_eq!(offset_of_character(text, 1), 0);
        assert_eq!(offset_of_character(text, 2), 2);
        assert_eq!(offset_of_character(text, 99), text.len());
    }
}
