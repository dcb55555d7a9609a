//! Which Rust toolchain the app asks for: `rust-toolchain.toml` or `rust-toolchain`.
//!
//! The format is rustup's: <https://rust-lang.github.io/rustup/overrides.html#the-toolchain-file>.

use serde::{Deserialize, Serialize};
use slipway_contract::text::line_of;
use std::path::Path;

/// What to install: the channel plus extra components and targets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ToolchainSpec {
    pub(crate) channel: String,
    pub(crate) components: Vec<String>,
    pub(crate) targets: Vec<String>,
    pub(crate) profile: String,
}

/// Where the spec came from, for the build output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SpecOrigin {
    File(&'static str),
    BuildpackDefault,
}

/// A toolchain file that rustup would not accept, or that the buildpack cannot honour.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{file}{}: {problem}", line.map(|line| format!(" line {line}")).unwrap_or_default())]
pub(crate) struct ToolchainFileError {
    pub(crate) file: &'static str,
    pub(crate) line: Option<usize>,
    pub(crate) problem: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ToolchainToml {
    toolchain: ToolchainTable,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ToolchainTable {
    channel: Option<String>,
    path: Option<String>,
    #[serde(default)]
    components: Vec<String>,
    #[serde(default)]
    targets: Vec<String>,
    profile: Option<String>,
}

const PROFILES: [&str; 3] = ["minimal", "default", "complete"];

/// Reads the app's toolchain file, or falls back to `default_channel`.
///
/// Like rustup, `rust-toolchain` wins when both files exist.
pub(crate) fn read_toolchain_spec(
    app_dir: &Path,
    default_channel: &str,
) -> Result<(ToolchainSpec, SpecOrigin), ToolchainFileError> {
    for file in ["rust-toolchain", "rust-toolchain.toml"] {
        let path = app_dir.join(file);
        if !path.is_file() {
            continue;
        }
        let text = std::fs::read_to_string(&path).map_err(|error| ToolchainFileError {
            file,
            line: None,
            problem: format!("cannot be read: {error}"),
        })?;
        return parse_toolchain_file(file, &text).map(|spec| (spec, SpecOrigin::File(file)));
    }
    Ok((
        ToolchainSpec {
            channel: default_channel.to_string(),
            components: Vec::new(),
            targets: Vec::new(),
            profile: "minimal".to_string(),
        },
        SpecOrigin::BuildpackDefault,
    ))
}

/// Parses a toolchain file. The legacy `rust-toolchain` may hold just a channel name.
pub(crate) fn parse_toolchain_file(
    file: &'static str,
    text: &str,
) -> Result<ToolchainSpec, ToolchainFileError> {
    let trimmed = text.trim();
    let is_bare_channel =
        file == "rust-toolchain" && !trimmed.contains('[') && !trimmed.contains('\n');
    if is_bare_channel {
        validate_channel(file, Some(1), trimmed)?;
        return Ok(ToolchainSpec {
            channel: trimmed.to_string(),
            components: Vec::new(),
            targets: Vec::new(),
            profile: "minimal".to_string(),
        });
    }
    let parsed: ToolchainToml = toml::from_str(text).map_err(|error| ToolchainFileError {
        file,
        line: error.span().map(|span| line_of(text, span.start)),
        problem: error.message().trim().to_string(),
    })?;
    spec_from_table(file, text, parsed.toolchain)
}

fn spec_from_table(
    file: &'static str,
    text: &str,
    table: ToolchainTable,
) -> Result<ToolchainSpec, ToolchainFileError> {
    let line_of_key = |key: &str| {
        text.lines()
            .position(|line| line.trim_start().starts_with(key))
            .map(|index| index + 1)
    };
    if table.path.is_some() {
        return Err(ToolchainFileError {
            file,
            line: line_of_key("path"),
            problem: "`path` (a custom local toolchain) cannot be installed by the buildpack; use `channel`".to_string(),
        });
    }
    let Some(channel) = table.channel else {
        return Err(ToolchainFileError {
            file,
            line: None,
            problem: "the [toolchain] table has no `channel`".to_string(),
        });
    };
    validate_channel(file, line_of_key("channel"), &channel)?;
    let profile = table.profile.unwrap_or_else(|| "minimal".to_string());
    if !PROFILES.contains(&profile.as_str()) {
        return Err(ToolchainFileError {
            file,
            line: line_of_key("profile"),
            problem: format!("profile `{profile}` is not one of: {}", PROFILES.join(", ")),
        });
    }
    for (key, names) in [
        ("components", &table.components),
        ("targets", &table.targets),
    ] {
        if let Some(bad) = names.iter().find(|name| !is_plain_name(name)) {
            return Err(ToolchainFileError {
                file,
                line: line_of_key(key),
                problem: format!("`{bad}` is not a valid entry of `{key}`"),
            });
        }
    }
    Ok(ToolchainSpec {
        channel,
        components: table.components,
        targets: table.targets,
        profile,
    })
}

fn validate_channel(
    file: &'static str,
    line: Option<usize>,
    channel: &str,
) -> Result<(), ToolchainFileError> {
    if is_plain_name(channel) {
        Ok(())
    } else {
        Err(ToolchainFileError {
            file,
            line,
            problem: format!(
                "`{channel}` is not a toolchain channel (expected e.g. `stable`, `1.95.0` or `nightly-2025-06-01`)"
            ),
        })
    }
}

fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use indoc::indoc;

    #[test]
    fn reads_channel_components_targets_and_profile() {
        let spec = parse_toolchain_file(
            "rust-toolchain.toml",
            indoc! {r#"
                [toolchain]
                channel = "1.95.0"
                components = ["rustfmt", "clippy"]
                targets = ["wasm32-unknown-unknown"]
                profile = "minimal"
            "#},
        )
        .unwrap();
        assert_eq!(spec.channel, "1.95.0");
        assert_eq!(spec.components, ["rustfmt", "clippy"]);
        assert_eq!(spec.targets, ["wasm32-unknown-unknown"]);
        assert_eq!(spec.profile, "minimal");
    }

    #[test]
    fn legacy_file_may_hold_only_a_channel() {
        let spec = parse_toolchain_file("rust-toolchain", "nightly-2025-06-01\n").unwrap();
        assert_eq!(spec.channel, "nightly-2025-06-01");
        assert!(spec.components.is_empty());
    }

    #[test]
    fn errors_name_the_file_line_and_problem() {
        let error = parse_toolchain_file(
            "rust-toolchain.toml",
            indoc! {r#"
                [toolchain]
                channel = "1.95.0"
                componets = ["rustfmt"]
            "#},
        )
        .unwrap_err();
        assert_eq!(error.line, Some(3));
        assert!(error.problem.contains("componets"), "{error}");

        let error = parse_toolchain_file(
            "rust-toolchain.toml",
            "[toolchain]\nchannel = \"stable; rm -rf /\"\n",
        )
        .unwrap_err();
        assert_eq!(error.line, Some(2));
        assert!(
            error
                .to_string()
                .starts_with("rust-toolchain.toml line 2: `stable; rm -rf /`")
        );

        let error =
            parse_toolchain_file("rust-toolchain.toml", "[toolchain]\npath = \"/opt/rust\"\n")
                .unwrap_err();
        assert!(error.problem.contains("`path`"), "{error}");
    }

    #[test]
    fn falls_back_to_the_buildpack_default() {
        let app = tempfile::tempdir().unwrap();
        let (spec, origin) = read_toolchain_spec(app.path(), "1.95.0").unwrap();
        assert_eq!(spec.channel, "1.95.0");
        assert_eq!(spec.profile, "minimal");
        assert_eq!(origin, SpecOrigin::BuildpackDefault);
    }
}
