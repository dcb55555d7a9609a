//! How a layer's `bin/`, `lib/` and `env*/` directories modify an environment.
//!
//! Buildpack spec, "Environment > Provided by the Buildpacks" and "Environment Variable
//! Modification Rules".

use std::collections::BTreeMap;
use std::io;
use std::path::Path;

/// When an environment is being prepared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// For a later buildpack's `bin/build` (`env/` + `env.build/`).
    Build,
    /// For a launched process (`env/` + `env.launch/` + `env.launch/<process>/`).
    Launch {
        /// The process type being launched, for process-specific env.
        process: Option<String>,
    },
}

/// Applies one layer's environment to `env`.
///
/// Buildpack spec, "Layer Paths": `<layer>/bin` is prepended to `PATH` and `<layer>/lib` to
/// `LD_LIBRARY_PATH` (and, at build time, `LIBRARY_PATH`), before the layer's env files.
/// Then, "Environment Variable Modification Rules": `env/` applies in every scope, followed by
/// `env.build/` or `env.launch/`, followed by `env.launch/<process>/`.
///
/// # Errors
///
/// An env file that cannot be read.
pub fn apply_layer_env(
    layer_dir: &Path,
    scope: &Scope,
    env: &mut BTreeMap<String, String>,
) -> io::Result<()> {
    prepend_layer_path(layer_dir, "bin", "PATH", env);
    prepend_layer_path(layer_dir, "lib", "LD_LIBRARY_PATH", env);
    if *scope == Scope::Build {
        prepend_layer_path(layer_dir, "lib", "LIBRARY_PATH", env);
    }
    apply_env_dir(&layer_dir.join("env"), env)?;
    match scope {
        Scope::Build => apply_env_dir(&layer_dir.join("env.build"), env)?,
        Scope::Launch { process } => {
            apply_env_dir(&layer_dir.join("env.launch"), env)?;
            if let Some(process) = process {
                apply_env_dir(&layer_dir.join("env.launch").join(process), env)?;
            }
        }
    }
    Ok(())
}

fn prepend_layer_path(
    layer_dir: &Path,
    sub_dir: &str,
    variable: &str,
    env: &mut BTreeMap<String, String>,
) {
    let dir = layer_dir.join(sub_dir);
    if !dir.is_dir() {
        return;
    }
    let dir = dir.to_string_lossy().into_owned();
    let value = match env.get(variable) {
        Some(existing) if !existing.is_empty() => format!("{dir}:{existing}"),
        _ => dir,
    };
    env.insert(variable.to_string(), value);
}

/// How a file in an env dir modifies its variable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Modification {
    Override,
    Default,
    Prepend,
    Append,
}

/// Splits a file name into the variable name and its modification.
///
/// Buildpack spec, "Environment Variable Modification Rules": the suffixes are `.override`,
/// `.default`, `.prepend`, `.append` and `.delim`; since Buildpack API 0.5 a file without a
/// suffix means override. `.delim` files carry a delimiter, not a modification (`None`).
fn parse_file_name(name: &str) -> Option<(&str, Modification)> {
    let Some((variable, suffix)) = name.rsplit_once('.') else {
        return Some((name, Modification::Override));
    };
    match suffix {
        "override" => Some((variable, Modification::Override)),
        "default" => Some((variable, Modification::Default)),
        "prepend" => Some((variable, Modification::Prepend)),
        "append" => Some((variable, Modification::Append)),
        "delim" => None,
        _ => Some((name, Modification::Override)),
    }
}

fn apply_env_dir(dir: &Path, env: &mut BTreeMap<String, String>) -> io::Result<()> {
    let mut names = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(Result::ok)
            .filter(|entry| entry.path().is_file())
            .filter_map(|entry| entry.file_name().to_str().map(str::to_string))
            .collect::<Vec<_>>(),
        Err(error) if error.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(error),
    };
    names.sort();
    for name in names {
        let Some((variable, modification)) = parse_file_name(&name) else {
            continue;
        };
        let value = std::fs::read_to_string(dir.join(&name))?;
        let delim = read_delim(dir, variable)?;
        modify(env, variable, modification, value, &delim);
    }
    Ok(())
}

/// Reads `<VAR>.delim`; Buildpack spec: without it, values are concatenated with no delimiter.
fn read_delim(dir: &Path, variable: &str) -> io::Result<String> {
    match std::fs::read_to_string(dir.join(format!("{variable}.delim"))) {
        Ok(delim) => Ok(delim),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(String::new()),
        Err(error) => Err(error),
    }
}

fn modify(
    env: &mut BTreeMap<String, String>,
    variable: &str,
    modification: Modification,
    value: String,
    delim: &str,
) {
    let new_value = match (modification, env.get(variable)) {
        (Modification::Default, Some(_)) => return,
        (Modification::Prepend, Some(existing)) => format!("{value}{delim}{existing}"),
        (Modification::Append, Some(existing)) => format!("{existing}{delim}{value}"),
        _ => value,
    };
    env.insert(variable.to_string(), new_value);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn layer_with(files: &[(&str, &str)]) -> tempfile::TempDir {
        let layer = tempfile::tempdir().unwrap();
        for (path, contents) in files {
            let path = layer.path().join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, contents).unwrap();
        }
        layer
    }

    fn env_of(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_string(), (*v).to_string()))
            .collect()
    }

    #[test]
    fn default_does_not_replace_a_value_the_user_set() {
        let layer = layer_with(&[
            ("env.launch/MIN.default", "0.5.0"),
            ("env.launch/OTHER.default", "x"),
        ]);
        let mut env = env_of(&[("MIN", "0.8.0")]);
        apply_layer_env(layer.path(), &Scope::Launch { process: None }, &mut env).unwrap();
        assert_eq!(env["MIN"], "0.8.0");
        assert_eq!(env["OTHER"], "x");
    }

    #[test]
    fn override_prepend_append_and_delim() {
        let layer = layer_with(&[
            ("env/A.override", "new"),
            ("env/B", "plain"),
            ("env/C.prepend", "front"),
            ("env/C.delim", ","),
            ("env/D.append", "back"),
        ]);
        let mut env = env_of(&[("A", "old"), ("B", "old"), ("C", "mid"), ("D", "mid")]);
        apply_layer_env(layer.path(), &Scope::Build, &mut env).unwrap();
        assert_eq!(env["A"], "new");
        assert_eq!(env["B"], "plain");
        assert_eq!(env["C"], "front,mid");
        assert_eq!(env["D"], "midback");
    }

    #[test]
    fn scope_selects_build_or_launch_files_and_bin_goes_on_path() {
        let layer = layer_with(&[
            ("env.build/ONLY_BUILD", "b"),
            ("env.launch/ONLY_LAUNCH", "l"),
            ("env.launch/web/WEB_ONLY", "w"),
            ("bin/tool", ""),
        ]);
        let mut launch = env_of(&[("PATH", "/usr/bin")]);
        let scope = Scope::Launch {
            process: Some("web".to_string()),
        };
        apply_layer_env(layer.path(), &scope, &mut launch).unwrap();
        assert!(!launch.contains_key("ONLY_BUILD"));
        assert_eq!(launch["ONLY_LAUNCH"], "l");
        assert_eq!(launch["WEB_ONLY"], "w");
        let bin = layer.path().join("bin");
        assert_eq!(launch["PATH"], format!("{}:/usr/bin", bin.display()));

        let mut build = BTreeMap::new();
        apply_layer_env(layer.path(), &Scope::Build, &mut build).unwrap();
        assert_eq!(build["ONLY_BUILD"], "b");
        assert!(!build.contains_key("ONLY_LAUNCH"));
    }
}
