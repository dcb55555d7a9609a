//! Which process types the image declares.

use libcnb::data::launch::{Process, ProcessBuilder, ProcessType};

/// A binary target that the build produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BinTarget {
    pub(crate) package: String,
    pub(crate) name: String,
}

/// Which binary serves `web`, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WebChoice {
    Chosen { bin: String, reason: &'static str },
    Undecided { reason: String },
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum ProcessError {
    #[error(
        "SLIPWAY_WEB_BIN is `{wanted}`, but the build produced no such binary (it produced: {available})"
    )]
    WebBinNotBuilt { wanted: String, available: String },
    #[error("binary `{0}` cannot be a process type name")]
    InvalidName(String),
}

/// Picks the `web` binary: `SLIPWAY_WEB_BIN`, else the only binary, else the binary named
/// after its package (when exactly one is). The `migrator` the release phase runs (`SeaORM`'s)
/// serves no HTTP, so only `SLIPWAY_WEB_BIN` can make it `web`.
pub(crate) fn choose_web(
    bins: &[BinTarget],
    web_bin: Option<&str>,
    migrator: Option<&str>,
) -> Result<WebChoice, ProcessError> {
    if let Some(wanted) = web_bin {
        return if bins.iter().any(|bin| bin.name == wanted) {
            Ok(WebChoice::Chosen {
                bin: wanted.to_string(),
                reason: "set by SLIPWAY_WEB_BIN",
            })
        } else {
            Err(ProcessError::WebBinNotBuilt {
                wanted: wanted.to_string(),
                available: names(bins),
            })
        };
    }
    let candidates: Vec<BinTarget> = bins
        .iter()
        .filter(|bin| Some(bin.name.as_str()) != migrator)
        .cloned()
        .collect();
    if let [only] = candidates.as_slice() {
        return Ok(WebChoice::Chosen {
            bin: only.name.clone(),
            reason: if candidates.len() == bins.len() {
                "the only binary"
            } else {
                "the only binary besides the migrator"
            },
        });
    }
    let bins = candidates.as_slice();
    let named_after_package: Vec<&BinTarget> =
        bins.iter().filter(|bin| bin.name == bin.package).collect();
    if let [bin] = named_after_package.as_slice() {
        return Ok(WebChoice::Chosen {
            bin: bin.name.clone(),
            reason: "named after its package",
        });
    }
    Ok(WebChoice::Undecided {
        reason: format!(
            "the build produced {} binaries ({}) and {} of them is named after its package",
            bins.len(),
            names(bins),
            if named_after_package.is_empty() {
                "none"
            } else {
                "more than one"
            },
        ),
    })
}

fn names(bins: &[BinTarget]) -> String {
    bins.iter()
        .map(|bin| bin.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The process types: one per binary, `web` for the chosen one, and `release` when asked.
///
/// `web` is the default process. A binary literally named `web` or `release` keeps only the
/// role the buildpack gives that name.
pub(crate) fn build_processes(
    bins: &[BinTarget],
    web: &WebChoice,
    release: bool,
) -> Result<Vec<Process>, ProcessError> {
    let mut processes = Vec::new();
    if let WebChoice::Chosen { bin, .. } = web {
        processes.push(process("web", bin, &[])?.default(true).build());
    }
    if release {
        processes.push(process("release", "slipway-release", &["run"])?.build());
    }
    for bin in bins {
        if processes.iter().any(|p| p.r#type.as_str() == bin.name) {
            continue;
        }
        processes.push(process(&bin.name, &bin.name, &[])?.build());
    }
    Ok(processes)
}

fn process(name: &str, command: &str, args: &[&str]) -> Result<ProcessBuilder, ProcessError> {
    let process_type: ProcessType = name
        .parse()
        .map_err(|_| ProcessError::InvalidName(name.to_string()))?;
    let mut command_line = vec![command.to_string()];
    command_line.extend(args.iter().map(|arg| (*arg).to_string()));
    Ok(ProcessBuilder::new(process_type, command_line))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bins(pairs: &[(&str, &str)]) -> Vec<BinTarget> {
        pairs
            .iter()
            .map(|(package, name)| BinTarget {
                package: (*package).to_string(),
                name: (*name).to_string(),
            })
            .collect()
    }

    #[test]
    fn the_only_binary_is_web() {
        let choice = choose_web(&bins(&[("app", "server")]), None, None).unwrap();
        assert_eq!(
            choice,
            WebChoice::Chosen {
                bin: "server".into(),
                reason: "the only binary"
            }
        );
    }

    #[test]
    fn the_binary_named_after_its_package_is_web() {
        let choice = choose_web(&bins(&[("api", "api"), ("api", "worker")]), None, None).unwrap();
        assert!(matches!(choice, WebChoice::Chosen { bin, .. } if bin == "api"));
    }

    #[test]
    fn setting_wins_and_must_name_a_built_binary() {
        let built = bins(&[("api", "api"), ("api", "worker")]);
        let choice = choose_web(&built, Some("worker"), None).unwrap();
        assert!(matches!(choice, WebChoice::Chosen { bin, .. } if bin == "worker"));
        let error = choose_web(&built, Some("nope"), None).unwrap_err();
        assert_eq!(
            error.to_string(),
            "SLIPWAY_WEB_BIN is `nope`, but the build produced no such binary (it produced: api, worker)"
        );
    }

    #[test]
    fn the_seaorm_migrator_is_not_web_unless_named() {
        let built = bins(&[("seaorm-app", "seaorm-app"), ("migration", "migration")]);
        let choice = choose_web(&built, None, Some("migration")).unwrap();
        assert_eq!(
            choice,
            WebChoice::Chosen {
                bin: "seaorm-app".into(),
                reason: "the only binary besides the migrator"
            }
        );
        // Without the migrator known, both are named after their package: no web.
        assert!(matches!(
            choose_web(&built, None, None).unwrap(),
            WebChoice::Undecided { .. }
        ));
        let choice = choose_web(&built, Some("migration"), Some("migration")).unwrap();
        assert!(matches!(choice, WebChoice::Chosen { bin, .. } if bin == "migration"));
        // A migrator alone leaves no web process.
        let only = bins(&[("migration", "migration")]);
        assert!(matches!(
            choose_web(&only, None, Some("migration")).unwrap(),
            WebChoice::Undecided { .. }
        ));
    }

    #[test]
    fn ambiguity_says_why() {
        let choice = choose_web(&bins(&[("ws", "alpha"), ("ws", "beta")]), None, None).unwrap();
        let WebChoice::Undecided { reason } = choice else {
            panic!("expected no web process");
        };
        assert!(reason.contains("2 binaries (alpha, beta)"), "{reason}");
        assert!(reason.contains("none of them"), "{reason}");
    }

    #[test]
    fn processes_include_each_binary_web_and_release() {
        let built = bins(&[("api", "api"), ("api", "worker")]);
        let web = choose_web(&built, None, None).unwrap();
        let processes = build_processes(&built, &web, true).unwrap();
        let summary: Vec<(String, Vec<String>, bool)> = processes
            .iter()
            .map(|p| (p.r#type.to_string(), p.command.clone(), p.default))
            .collect();
        assert_eq!(
            summary,
            [
                ("web".to_string(), vec!["api".to_string()], true),
                (
                    "release".to_string(),
                    vec!["slipway-release".to_string(), "run".to_string()],
                    false
                ),
                ("api".to_string(), vec!["api".to_string()], false),
                ("worker".to_string(), vec!["worker".to_string()], false),
            ]
        );
    }
}
