//! The `SLIPWAY_*` build settings, read from the platform env (Heroku config vars).

use libcnb::Env;

/// Whether and how the buildpack ensures pgvector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PgvectorMode {
    /// Never declare pgvector, even if the app uses it.
    Off,
    /// Declare it when the app uses it (the default).
    Auto,
    /// Declare it even when nothing in the app shows it.
    Required,
}

/// The build settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BuildConfig {
    /// `SLIPWAY_CARGO_PROFILE`, default `release`.
    pub(crate) profile: String,
    /// `SLIPWAY_CARGO_FEATURES`, passed as `--features`.
    pub(crate) features: Option<String>,
    /// `SLIPWAY_CARGO_BIN`, passed as `--bin`.
    pub(crate) bin: Option<String>,
    /// `SLIPWAY_CARGO_PACKAGE`, passed as `--package`.
    pub(crate) package: Option<String>,
    /// `SLIPWAY_CARGO_ARGS`, split on whitespace and appended to `cargo build`.
    pub(crate) extra_args: Vec<String>,
    /// `SLIPWAY_WEB_BIN`, the binary that becomes the `web` process.
    pub(crate) web_bin: Option<String>,
    /// `SLIPWAY_PGVECTOR`: `off`, `auto` (default) or `required`.
    pub(crate) pgvector: PgvectorMode,
    /// `SLIPWAY_CACHE_MAX_SIZE`, in bytes: the target dir cache evicts units this build did
    /// not use past it. Unset: 1.2 times what the build used (see `prune`).
    pub(crate) cache_max_bytes: Option<u64>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum ConfigError {
    #[error("{key} is set to `{value}`, which is not one of: {allowed}")]
    NotAllowed {
        key: &'static str,
        value: String,
        allowed: &'static str,
    },
    #[error("{key} is set to `{value}`, which is not a valid {what}")]
    Invalid {
        key: &'static str,
        value: String,
        what: &'static str,
    },
    #[error("{key} must not contain `{flag}`: the buildpack sets it itself")]
    ReservedFlag { key: &'static str, flag: String },
}

/// Flags the buildpack owns; letting `SLIPWAY_CARGO_ARGS` change them would move the output
/// or unlock the lockfile behind the buildpack's back.
const RESERVED_FLAGS: [&str; 5] = [
    "--target-dir",
    "--release",
    "--profile",
    "--unlocked",
    "--manifest-path",
];

impl BuildConfig {
    /// Reads the settings from `env`; unset or empty variables take their defaults.
    pub(crate) fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let get = |key: &str| {
            env.get_string_lossy(key)
                .map(|value| value.trim().to_string())
                .filter(|value| !value.is_empty())
        };
        let profile = get("SLIPWAY_CARGO_PROFILE").unwrap_or_else(|| "release".to_string());
        require_name("SLIPWAY_CARGO_PROFILE", &profile, "Cargo profile name")?;
        let bin = get("SLIPWAY_CARGO_BIN");
        if let Some(bin) = &bin {
            require_name("SLIPWAY_CARGO_BIN", bin, "binary target name")?;
        }
        let package = get("SLIPWAY_CARGO_PACKAGE");
        if let Some(package) = &package {
            require_name("SLIPWAY_CARGO_PACKAGE", package, "package name")?;
        }
        let web_bin = get("SLIPWAY_WEB_BIN");
        if let Some(web_bin) = &web_bin {
            require_name("SLIPWAY_WEB_BIN", web_bin, "binary target name")?;
        }
        let extra_args = parse_extra_args(get("SLIPWAY_CARGO_ARGS").as_deref())?;
        Ok(Self {
            profile,
            features: get("SLIPWAY_CARGO_FEATURES"),
            bin,
            package,
            extra_args,
            web_bin,
            pgvector: parse_pgvector_mode(get("SLIPWAY_PGVECTOR").as_deref())?,
            cache_max_bytes: get("SLIPWAY_CACHE_MAX_SIZE")
                .map(|value| parse_size("SLIPWAY_CACHE_MAX_SIZE", &value))
                .transpose()?,
        })
    }

    /// The `cargo build` arguments these settings select.
    pub(crate) fn cargo_build_args(&self) -> Vec<String> {
        let mut args = vec!["build".to_string(), "--locked".to_string()];
        if self.profile == "release" {
            args.push("--release".to_string());
        } else {
            args.extend(["--profile".to_string(), self.profile.clone()]);
        }
        if let Some(features) = &self.features {
            args.extend(["--features".to_string(), features.clone()]);
        }
        if let Some(package) = &self.package {
            args.extend(["--package".to_string(), package.clone()]);
        }
        if let Some(bin) = &self.bin {
            args.extend(["--bin".to_string(), bin.clone()]);
        }
        args.extend(self.extra_args.iter().cloned());
        args
    }
}

fn require_name(key: &'static str, value: &str, what: &'static str) -> Result<(), ConfigError> {
    let valid = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid {
        Ok(())
    } else {
        Err(ConfigError::Invalid {
            key,
            value: value.to_string(),
            what,
        })
    }
}

fn parse_extra_args(value: Option<&str>) -> Result<Vec<String>, ConfigError> {
    let args: Vec<String> = value
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_string)
        .collect();
    for (index, arg) in args.iter().enumerate() {
        let flag = arg.split('=').next().unwrap_or_default();
        if RESERVED_FLAGS.contains(&flag) {
            return Err(ConfigError::ReservedFlag {
                key: "SLIPWAY_CARGO_ARGS",
                flag: flag.to_string(),
            });
        }
        let config_value = match arg.strip_prefix("--config") {
            Some("") => args.get(index + 1).map(String::as_str),
            Some(rest) => rest.strip_prefix('='),
            None => None,
        };
        if let Some(value) = config_value
            && moves_the_build_output(value)
        {
            return Err(ConfigError::ReservedFlag {
                key: "SLIPWAY_CARGO_ARGS",
                flag: format!("--config {value}"),
            });
        }
    }
    Ok(args)
}

/// A size such as `2G`, `1.5GB`, `500M`, `512MiB` or `1000000` (bytes); units are powers of
/// 1024, as `du -h` prints them.
fn parse_size(key: &'static str, value: &str) -> Result<u64, ConfigError> {
    let invalid = || ConfigError::Invalid {
        key,
        value: value.to_string(),
        what: "size (a number of bytes, or with a unit: 500M, 2G, 1.5GB; at least 1 byte, under 8 EiB)",
    };
    let upper = value.to_ascii_uppercase();
    let digits_end = upper
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(upper.len());
    let (number, unit) = upper.split_at(digits_end);
    let exponent = match unit.trim() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 1,
        "M" | "MB" | "MIB" => 2,
        "G" | "GB" | "GIB" => 3,
        "T" | "TB" | "TIB" => 4,
        _ => return Err(invalid()),
    };
    let number: f64 = number.parse().map_err(|_| invalid())?;
    let bytes = number * 1024_f64.powi(exponent);
    if !bytes.is_finite() || bytes < 1.0 || bytes >= 2_f64.powi(63) {
        return Err(invalid());
    }
    // In range and positive, checked above; sizes need no fraction of a byte.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    Ok(bytes as u64)
}

/// Whether a `--config` value could move cargo's output out of the cached target dir: a
/// `build.target-dir` or `build.build-dir` key (a command-line `--config` beats the
/// buildpack's environment), or a config file, which could hold either.
fn moves_the_build_output(value: &str) -> bool {
    match value.split_once('=') {
        Some((key, _)) => {
            let key: String = key
                .chars()
                .filter(|c| !c.is_whitespace() && *c != '"')
                .collect();
            matches!(key.as_str(), "build.target-dir" | "build.build-dir")
        }
        None => true,
    }
}

fn parse_pgvector_mode(value: Option<&str>) -> Result<PgvectorMode, ConfigError> {
    match value.map(str::to_ascii_lowercase).as_deref() {
        None | Some("auto") => Ok(PgvectorMode::Auto),
        Some("off") => Ok(PgvectorMode::Off),
        Some("required") => Ok(PgvectorMode::Required),
        Some(_) => Err(ConfigError::NotAllowed {
            key: "SLIPWAY_PGVECTOR",
            value: value.unwrap_or_default().to_string(),
            allowed: "off, auto, required",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        let mut env = Env::new();
        for (key, value) in pairs {
            env.insert(key, value);
        }
        env
    }

    #[test]
    fn defaults_build_release_and_lock() {
        let config = BuildConfig::from_env(&Env::new()).unwrap();
        assert_eq!(
            config.cargo_build_args(),
            ["build", "--locked", "--release"]
        );
        assert_eq!(config.pgvector, PgvectorMode::Auto);
    }

    #[test]
    fn settings_become_cargo_arguments() {
        let config = BuildConfig::from_env(&env(&[
            ("SLIPWAY_CARGO_PROFILE", "dev"),
            ("SLIPWAY_CARGO_FEATURES", "metrics,tls"),
            ("SLIPWAY_CARGO_PACKAGE", "api"),
            ("SLIPWAY_CARGO_BIN", "server"),
            ("SLIPWAY_CARGO_ARGS", " --jobs 2  -v "),
            ("SLIPWAY_PGVECTOR", "Required"),
        ]))
        .unwrap();
        assert_eq!(
            config.cargo_build_args(),
            [
                "build",
                "--locked",
                "--profile",
                "dev",
                "--features",
                "metrics,tls",
                "--package",
                "api",
                "--bin",
                "server",
                "--jobs",
                "2",
                "-v"
            ]
        );
        assert_eq!(config.pgvector, PgvectorMode::Required);
    }

    #[test]
    fn cache_sizes_take_units() {
        let size = |value: &str| parse_size("SLIPWAY_CACHE_MAX_SIZE", value);
        assert_eq!(size("2G"), Ok(2 << 30));
        assert_eq!(size("1.5gb"), Ok(3 << 29));
        assert_eq!(size("500 MiB"), Ok(500 << 20));
        assert_eq!(size("1000"), Ok(1000));
        for bad in ["", "G", "-1G", "0", "2X", "1e3", "1..2G", "99999999999T"] {
            assert!(size(bad).is_err(), "{bad}");
        }
        let config = BuildConfig::from_env(&Env::new()).unwrap();
        assert_eq!(config.cache_max_bytes, None);
        let config = BuildConfig::from_env(&env(&[("SLIPWAY_CACHE_MAX_SIZE", " 2G ")])).unwrap();
        assert_eq!(config.cache_max_bytes, Some(2 << 30));
        let error = BuildConfig::from_env(&env(&[("SLIPWAY_CACHE_MAX_SIZE", "lots")])).unwrap_err();
        assert_eq!(
            error.to_string(),
            "SLIPWAY_CACHE_MAX_SIZE is set to `lots`, which is not a valid size (a number of bytes, or with a unit: 500M, 2G, 1.5GB; at least 1 byte, under 8 EiB)"
        );
    }

    #[test]
    fn bad_values_name_the_key() {
        let error = BuildConfig::from_env(&env(&[("SLIPWAY_PGVECTOR", "yes")])).unwrap_err();
        assert_eq!(
            error.to_string(),
            "SLIPWAY_PGVECTOR is set to `yes`, which is not one of: off, auto, required"
        );
        let error =
            BuildConfig::from_env(&env(&[("SLIPWAY_CARGO_PROFILE", "rel ease")])).unwrap_err();
        assert!(
            error.to_string().starts_with("SLIPWAY_CARGO_PROFILE"),
            "{error}"
        );
        let error = BuildConfig::from_env(&env(&[("SLIPWAY_CARGO_ARGS", "--target-dir=/tmp")]))
            .unwrap_err();
        assert_eq!(
            error,
            ConfigError::ReservedFlag {
                key: "SLIPWAY_CARGO_ARGS",
                flag: "--target-dir".to_string()
            }
        );
        for moving in [
            "--config build.build-dir=\"/tmp/x\"",
            "--config=build.target-dir='/tmp/x'",
            "--config more.toml",
        ] {
            let error = BuildConfig::from_env(&env(&[("SLIPWAY_CARGO_ARGS", moving)])).unwrap_err();
            assert!(
                matches!(error, ConfigError::ReservedFlag { ref flag, .. } if flag.starts_with("--config ")),
                "{moving}: {error}"
            );
        }
        let fine = BuildConfig::from_env(&env(&[(
            "SLIPWAY_CARGO_ARGS",
            "--config net.git-fetch-with-cli=true",
        )]));
        assert!(fine.is_ok());
    }
}
