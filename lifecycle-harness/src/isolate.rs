//! Running a program in its own mount namespace, with bind mounts, as a given user, and
//! optionally chrooted into another root file system.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The shell that sets the namespace up and then replaces itself with the program, so the
/// program keeps the child's pid (killing the child kills the program).
///
/// Arguments: `<root> <uid:gid or ""> [<host path> <path in root>]... -- <program> <args>...`
const SETUP: &str = r#"set -e
root="$1"; user="$2"; shift 2
while [ "$1" != "--" ]; do mkdir -p "$root$2"; mount --bind "$1" "$root$2"; shift 2; done
shift
if [ "$root" = / ]; then
  [ -z "$user" ] || exec setpriv --reuid="${user%:*}" --regid="${user#*:}" --clear-groups -- "$@"
  exec "$@"
fi
mkdir -p "$root/proc" "$root/dev"
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
[ -z "$user" ] || exec chroot --userspec="$user" "$root" "$@"
exec chroot "$root" "$@"
"#;

/// Where and as whom a program runs.
#[derive(Debug, Clone)]
pub(crate) struct Isolation {
    /// `/` for the host's file system, or a root file system to chroot into.
    pub(crate) root: PathBuf,
    /// Host paths bound at paths inside `root`.
    pub(crate) binds: Vec<(PathBuf, PathBuf)>,
    /// The user and group to run as; `None` keeps root.
    pub(crate) user: Option<(u32, u32)>,
}

impl Isolation {
    /// A command that runs `program` with `args` isolated like this. Its env is cleared: the
    /// caller adds exactly the env the program should see.
    pub(crate) fn command<I, S>(&self, program: &Path, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut command = Command::new("unshare");
        command
            .args([
                "--mount",
                "--propagation",
                "private",
                "--",
                "sh",
                "-c",
                SETUP,
                "sh",
            ])
            .arg(&self.root)
            .arg(
                self.user
                    .map(|(uid, gid)| format!("{uid}:{gid}"))
                    .unwrap_or_default(),
            );
        for (host, inside) in &self.binds {
            command.arg(host).arg(inside);
        }
        command.arg("--").arg(program).args(args);
        command.env_clear();
        command
    }

    /// The same isolation, as `user`.
    pub(crate) fn as_user(&self, user: Option<(u32, u32)>) -> Self {
        Self {
            user,
            ..self.clone()
        }
    }
}
