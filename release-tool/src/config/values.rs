//! The parsers of the settings that are numbers or sizes (durations are
//! `crate::duration`'s).

/// More retries than this would only stretch a release that the lock wait
/// bounds anyway.
const MAX_LOCK_RETRIES: u32 = 100;

/// The text as given, for the settings `resolve` reads itself.
// A `Setting`'s parser returns a `Result`, even when nothing can fail.
#[allow(clippy::unnecessary_wraps)]
pub(super) fn text(text: &str) -> Result<String, String> {
    Ok(text.to_owned())
}

/// Parses sizes such as `64MiB`, `1GiB`, `500kB` or a number of bytes. Units
/// are binary, as PostgreSQL's (`kB` is 1024 bytes).
pub(crate) fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        other => return Err(format!("unknown unit {other:?}")),
    };
    let number: u64 = number
        .parse()
        .map_err(|_| "expected a whole number before the unit".to_owned())?;
    number
        .checked_mul(1 << shift)
        .ok_or_else(|| "too large".to_owned())
}

/// Parses how many backups to keep: at least one, the one just taken.
pub(super) fn parse_keep(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(0) => Err("keeping 0 backups would delete the one just taken".to_owned()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

/// Parses how many lock-timeout retries to make, from 0 to [`MAX_LOCK_RETRIES`].
pub(super) fn parse_retries(text: &str) -> Result<u32, String> {
    match text.trim().parse::<u32>() {
        Ok(n) if n > MAX_LOCK_RETRIES => Err(format!("more than {MAX_LOCK_RETRIES}")),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_binary_units() {
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("64MB"), Ok(64 << 20));
        assert_eq!(parse_size(" 1 GiB "), Ok(1 << 30));
        assert_eq!(parse_size("500000"), Ok(500_000));
        assert_eq!(parse_size("2kB"), Ok(2048));
        assert!(parse_size("64 furlongs").is_err());
        assert!(parse_size("MiB").is_err());
        assert!(parse_size("-1MiB").is_err());
    }

    #[test]
    fn retries_are_a_bounded_whole_number() {
        assert_eq!(parse_retries("0"), Ok(0));
        assert_eq!(parse_retries(" 3 "), Ok(3));
        assert!(parse_retries("-1").is_err());
        assert!(parse_retries("three").is_err());
        assert!(parse_retries("101").is_err());
    }

    #[test]
    fn keep_must_be_positive() {
        assert_eq!(parse_keep("3"), Ok(3));
        assert!(parse_keep("0").is_err());
        assert!(parse_keep("-1").is_err());
    }
}
