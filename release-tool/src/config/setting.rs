//! What a setting is: how a person meets it ([`About`]) and how its text
//! becomes a value ([`Setting`]). The settings themselves are in `table.rs`.

/// One setting as a person meets it.
#[derive(Debug)]
pub(crate) struct About {
    /// The README's name for it.
    pub(crate) name: &'static str,
    /// The command-line flag (`--lock-wait`), if it has one.
    pub(crate) flag: Option<&'static str>,
    /// The flag's value in `--help` (`DURATION`).
    pub(crate) value_name: &'static str,
    /// The values as the README's flag column lists them, when there are few
    /// (`off|auto|required`); else the README shows `value_name`.
    pub(crate) values: Option<&'static str>,
    pub(crate) env: &'static str,
    /// Its key in `slipway.toml`, if the file may set it.
    pub(crate) file_key: Option<&'static str>,
    /// What the README's file column adds: how the file's value reads, or
    /// why there is none.
    pub(crate) file_note: &'static str,
    /// The default, as `--help` and the README show it.
    pub(crate) default: Option<&'static str>,
    /// What the README's default column adds to the default, or says
    /// instead when there is none (Markdown).
    pub(crate) default_note: &'static str,
    /// The help line of `--help`.
    pub(crate) help: &'static str,
    /// How the value's secrets are registered for redaction before anything prints, for a
    /// value that may hold a password: it is then never shown in `--help`, and a refused value
    /// is echoed without its credentials. `None` for a value that holds none.
    pub(crate) secret: Option<fn(&str)>,
    /// What a good value looks like, for the fix line of a bad one.
    pub(crate) expected: &'static str,
}

/// One setting and how its text becomes a value.
pub(crate) struct Setting<T> {
    pub(crate) about: About,
    pub(crate) parse: fn(&str) -> Result<T, String>,
    pub(crate) default: fn() -> T,
}

/// What every setting offers whatever its type, so that they can be listed.
pub(crate) trait Declared: Sync {
    fn about(&self) -> &About;
    /// Parses `text` as the setting would, keeping only whether it is valid.
    fn check(&self, text: &str) -> Result<(), String>;
}

impl<T> Declared for Setting<T> {
    fn about(&self) -> &About {
        &self.about
    }

    fn check(&self, text: &str) -> Result<(), String> {
        (self.parse)(text).map(drop)
    }
}

/// Fields most settings leave empty, to spread into each declaration.
pub(super) const NONE: About = About {
    name: "",
    flag: None,
    value_name: "",
    values: None,
    env: "",
    file_key: None,
    file_note: "",
    default: None,
    default_note: "",
    help: "",
    secret: None,
    expected: "",
};
