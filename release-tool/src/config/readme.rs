//! The README's settings table, rendered from the declarations
//! (`tests/docs.rs` checks that the README holds exactly this table).

use super::setting::About;
use super::table::ALL;

/// A Markdown code span, or nothing.
fn code(text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!("`{text}`")
    }
}

/// `a` and `b` with a space between, either possibly empty.
fn join(a: &str, b: &str) -> String {
    [a, b]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// One row: setting, flag, environment, `slipway.toml` key, default.
fn row(about: &About) -> String {
    let flag = about.flag.map_or_else(String::new, |flag| {
        code(&format!(
            "{flag} {}",
            about.values.unwrap_or(about.value_name)
        ))
    });
    let file = join(&code(about.file_key.unwrap_or("")), about.file_note);
    let default = join(&code(about.default.unwrap_or("")), about.default_note);
    format!(
        "| {} | {} | {} | {} | {} |",
        about.name,
        flag.replace('|', "\\|"),
        code(about.env),
        file,
        default
    )
    .replace("|  |", "| |")
}

/// The README's settings table.
pub(crate) fn table() -> String {
    let mut lines = vec![
        "| setting | flag | environment | `slipway.toml` key | default |".to_owned(),
        "|---|---|---|---|---|".to_owned(),
    ];
    lines.extend(ALL.iter().map(|setting| row(setting.about())));
    lines.join("\n") + "\n"
}
