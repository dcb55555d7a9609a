//! The settings' command-line flags and environment variables, built for
//! clap from the table, and the values a command line gave, with where each
//! came from.

use std::fmt::Write as _;

use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Command};

use super::setting::About;
use super::table::ALL;
use super::{ConfigError, Origin, Raw};

/// The settings a command line (flag or environment variable) set, still as
/// text so that a bad value can be reported with where it came from.
#[derive(Debug, Default)]
pub(crate) struct SettingArgs {
    given: Vec<(&'static str, String, Origin)>,
}

impl SettingArgs {
    /// The setting's value from the command line or the environment (`None` for a setting
    /// without a flag: see [`environment_value`]).
    pub(crate) fn raw(&self, about: &About) -> Raw {
        let flag = about.flag?;
        self.given
            .iter()
            .find(|(given, _, _)| *given == flag)
            .map(|(_, value, origin)| (value.clone(), origin.clone()))
    }
}

/// The value of a setting without a flag, read from its variable: trimmed, and unset when
/// blank. A value that is not UTF-8 is refused, naming the variable, rather than read as
/// unset (a secret key or a tools folder would silently be another).
pub(crate) fn environment_value(about: &About) -> Result<Raw, ConfigError> {
    let origin = Origin::Env(about.env);
    match std::env::var(about.env) {
        Ok(value) => {
            let value = value.trim();
            Ok((!value.is_empty()).then(|| (value.to_owned(), origin)))
        }
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => Err(ConfigError::InvalidValue {
            origin,
            value: "(not shown: it is not valid UTF-8)".to_owned(),
            problem: "it is not valid UTF-8".to_owned(),
            expected: "UTF-8 text",
        }),
    }
}

/// clap's id of a setting: its flag without the dashes.
fn id(flag: &'static str) -> &'static str {
    flag.trim_start_matches('-')
}

/// The help line: the table's text, its variable, default and file key.
fn help_line(about: &About) -> String {
    let default = about
        .default
        .map_or_else(String::new, |default| format!(" [default: {default}]"));
    let key = about
        .file_key
        .map_or_else(String::new, |key| format!(" [slipway.toml: {key}]"));
    format!("{} [env: {}]{default}{key}", about.help, about.env)
}

/// The clap argument of a setting that has a flag.
fn arg(about: &About, flag: &'static str) -> Arg {
    Arg::new(id(flag))
        .long(id(flag))
        .value_name(about.value_name)
        .action(ArgAction::Set)
        .value_parser(clap::value_parser!(String))
        .global(true)
        .env(about.env)
        .hide_env(true)
        .hide_env_values(about.secret.is_some())
        .help(help_line(about))
}

/// `--help`'s list of the settings that have no flag, read from the environment only.
fn environment_only_help() -> String {
    let mut text = "Read from the environment only:\n".to_owned();
    for about in ALL.iter().map(|setting| setting.about()) {
        if about.flag.is_none() {
            let default = about
                .default
                .map_or_else(String::new, |default| format!(" [default: {default}]"));
            // Writing to a String cannot fail.
            let _ = write!(
                text,
                "  {}\n          {}{default}\n\n",
                about.env, about.help
            );
        }
    }
    text
}

impl clap::Args for SettingArgs {
    fn augment_args(cmd: Command) -> Command {
        cmd.args(ALL.iter().filter_map(|setting| {
            let about = setting.about();
            about.flag.map(|flag| arg(about, flag))
        }))
        .after_long_help(environment_only_help())
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

impl clap::FromArgMatches for SettingArgs {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let given = ALL
            .iter()
            .filter_map(|setting| {
                let about = setting.about();
                let flag = about.flag?;
                let value = matches.get_one::<String>(id(flag))?.clone();
                let origin = match matches.value_source(id(flag)) {
                    Some(ValueSource::EnvVariable) => Origin::Env(about.env),
                    _ => Origin::Flag(flag),
                };
                Some((flag, value, origin))
            })
            .collect();
        Ok(Self { given })
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(matches)?;
        Ok(())
    }
}
