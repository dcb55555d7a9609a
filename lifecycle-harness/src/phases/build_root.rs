//! One build root: its directories, laid out for a build, and the app image named after it.

use super::{Platform, PlatformError};
use crate::CNB_USER;
use crate::app::copy_app;
use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

/// The dirs of one build root (`<root>/…`).
pub(crate) struct Dirs {
    pub(crate) root: PathBuf,
    pub(crate) workspace: PathBuf,
    pub(crate) layers: PathBuf,
    pub(crate) cache: PathBuf,
    pub(crate) platform: PathBuf,
    pub(crate) buildpacks: PathBuf,
    pub(crate) home: PathBuf,
    pub(crate) logs: PathBuf,
}

impl Platform {
    /// Lays out `root` for a build: a fresh copy of the app, fresh layers, the user's env, the
    /// order and the buildpacks dir; the cache is kept.
    pub(crate) fn prepare(
        &self,
        app_source: &Path,
        root: &Path,
        user_env: &BTreeMap<String, String>,
    ) -> Result<Dirs, PlatformError> {
        let io_error = |what: &str| {
            let what = format!("{what} in {}", root.display());
            move |error| PlatformError::Io { what, error }
        };
        std::fs::create_dir_all(root).map_err(io_error("creating the build root"))?;
        let root = root
            .canonicalize()
            .map_err(io_error("resolving the build root"))?;
        // The detector and builder run as the CNB user and read the buildpacks and platform
        // dirs in the root; a test's temp dir is 0700.
        std::fs::set_permissions(&root, std::os::unix::fs::PermissionsExt::from_mode(0o755))
            .map_err(io_error("opening the build root to the CNB user"))?;
        let dirs = Dirs::new(&root);
        for fresh in [&dirs.workspace, &dirs.layers, &dirs.platform, &dirs.image()] {
            if fresh.exists() {
                std::fs::remove_dir_all(fresh).map_err(io_error("clearing the last build"))?;
            }
        }
        copy_app(app_source, &dirs.workspace).map_err(io_error("copying the app"))?;
        let env_dir = dirs.platform.join("env");
        for dir in [&env_dir, &dirs.layers, &dirs.cache, &dirs.home, &dirs.logs] {
            std::fs::create_dir_all(dir).map_err(io_error("creating the build dirs"))?;
        }
        for (name, value) in user_env {
            std::fs::write(env_dir.join(name), value).map_err(io_error("writing the user env"))?;
        }
        let link = dirs.buildpacks.join(&self.escaped_id).join(&self.version);
        if !link.exists() {
            std::fs::create_dir_all(dirs.buildpacks.join(&self.escaped_id))
                .map_err(io_error("creating the buildpacks dir"))?;
            std::os::unix::fs::symlink(&self.buildpack_dir, &link)
                .map_err(io_error("linking the buildpack"))?;
        }
        let order = format!(
            "[[order]]\n[[order.group]]\nid = \"{}\"\nversion = \"{}\"\n",
            self.id, self.version
        );
        std::fs::write(root.join("order.toml"), order).map_err(io_error("writing order.toml"))?;
        // What a builder's /cnb/run.toml says: the run image the app image is exported on.
        let run = format!("[[images]]\nimage = \"{}\"\n", self.tools.run_image);
        std::fs::write(dirs.run_toml(), run).map_err(io_error("writing run.toml"))?;
        // The builder runs as the CNB user: it owns the app dir and its home, as in a builder.
        for owned in [&dirs.workspace, &dirs.home] {
            chown_tree(owned, CNB_USER).map_err(io_error("handing the app to the CNB user"))?;
        }
        Ok(dirs)
    }

    /// The app image's name in the registry, the same for every build into `root`.
    pub(crate) fn image_name(&self, root: &Path) -> String {
        let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        let name: String = root
            .to_string_lossy()
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        format!(
            "{}/slipway-apps/{}:latest",
            self.tools.registry,
            name.trim_matches('-')
        )
    }
}

impl Dirs {
    /// The platform's `run.toml` (a builder's `/cnb/run.toml`).
    pub(crate) fn run_toml(&self) -> PathBuf {
        self.root.join("run.toml")
    }

    pub(crate) fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
            workspace: root.join("workspace"),
            layers: root.join("layers"),
            cache: root.join("cache"),
            platform: root.join("platform"),
            buildpacks: root.join("buildpacks"),
            home: root.join("home"),
            logs: root.join("logs"),
        }
    }

    /// Where the exporter writes the app image.
    pub(crate) fn image(&self) -> PathBuf {
        self.root.join("image")
    }
}

/// `chown -R`, without following symlinks.
fn chown_tree(path: &Path, (uid, gid): (u32, u32)) -> io::Result<()> {
    std::os::unix::fs::lchown(path, Some(uid), Some(gid))?;
    if std::fs::symlink_metadata(path)?.is_dir() {
        for entry in std::fs::read_dir(path)? {
            chown_tree(&entry?.path(), (uid, gid))?;
        }
    }
    Ok(())
}
