# shellcheck shell=bash
# What the scripts (and benchmarks/) share. Sourced, never run:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# It sets `scripts_dir` and `repo_root` (absolute paths) and `log_name` (the script's file name
# without `.sh`: the prefix of its log lines; a script may set another after sourcing this).
# It changes no shell option and no directory.

# CDPATH unset: with it exported, `cd` would print the folder too.
scripts_dir="$(CDPATH='' cd -- "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(dirname "$scripts_dir")"
log_name="$(basename "$0" .sh)"

# Prints `[<log_name>] <message>` on stderr: stdout is left to each script's answer.
log() { printf '[%s] %s\n' "$log_name" "$*" >&2; }

# Logs the message and exits 1.
die() {
  log "$*"
  exit 1
}

# A TCP port on 127.0.0.1 that nothing listens on now.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Exports each KEY=VALUE line of $1 (what `lifecycle-env.sh start` prints). Take the text from
# an assignment first (`env_text="$(cmd)"`): under `set -e` that stops the script when cmd
# fails, where an argument's command substitution would not.
export_key_values() {
  local key value
  while IFS='=' read -r key value; do
    export "$key=$value"
  done <<<"$1"
}

# `apt-get install` of the packages, quietly and without recommends, through sudo when not root.
# `apt-get update` runs before the first install of the script; set apt_updated=0 after adding a
# source to have it run again.
apt_updated=0
apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if [ "$apt_updated" -eq 0 ]; then
    $sudo apt-get update -qq
    apt_updated=1
  fi
  # Through `env`: sudo resets the environment.
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# The one option of a script that keeps a build cache in DIR: `--clean` deletes DIR, to start
# cold; anything else is a usage error (exit 2).
clean_option() {
  local dir="$1"
  shift
  if [ "${1:-}" = "--clean" ]; then
    rm -rf "$dir"
  elif [ -n "${1:-}" ]; then
    echo "usage: $0 [--clean]" >&2
    exit 2
  fi
}

# Builds the lifecycle harness (lifecycle-harness/) and prints the path of its
# `slipway-lifecycle` binary, in CARGO_TARGET_DIR when that is set.
lifecycle_harness() {
  (cd "$repo_root" && cargo build -q -p slipway-lifecycle-harness) || return
  printf '%s\n' "${CARGO_TARGET_DIR:-$repo_root/target}/debug/slipway-lifecycle"
}

# Runs `command args...` (a function or program) in a subshell that holds an exclusive flock on
# FILE. Under the scripts' `set -e`, the script stops when the lock cannot be opened or taken
# (naming FILE) or when the command fails. Call it as a command of its own, not on the left of
# `||` or `&&`, nor in `$(...)`: bash ignores `set -e` there.
#
# The lock is fd 9 of that subshell: a long-lived process the command starts (a server) must not
# inherit it (`9>&-`), or it would hold the lock after the command returns. The redirection is
# on the subshell, so fd 9 is open inside it; on a command substitution
# (`x="$(flock 9; ...)" 9>FILE`) it is not, because the substitution runs first.
with_lock() {
  local file="$1"
  shift
  (
    flock 9 || die "could not lock $file"
    "$@"
  ) 9>"$file"
}
