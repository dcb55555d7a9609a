//! `--format`: how a command prints its outcome. A leaf: it imports nothing
//! from the crate.

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Human,
    Json,
    /// Human lines on stderr and GitHub Actions annotations on stdout (`lint` only).
    Github,
}

impl Format {
    /// Parses `human`, `json` or `github`, in any case.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "human" => Ok(Format::Human),
            "json" => Ok(Format::Json),
            "github" => Ok(Format::Github),
            _ => Err("not an output format".to_owned()),
        }
    }
}
