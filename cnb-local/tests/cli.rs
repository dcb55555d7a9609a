//! The `slipway-cnb-local` command line: usage errors and a bad buildpack dir.

// Integration tests share the package's dependency list.
#![allow(unused_crate_dependencies)]

use assert_cmd::Command;

#[test]
fn usage_errors_exit_2_with_the_usage() {
    let assert = Command::cargo_bin("slipway-cnb-local")
        .unwrap()
        .arg("build")
        .assert()
        .code(2);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(
        stderr.contains("build needs --buildpack, --app and --root"),
        "{stderr}"
    );
    assert!(stderr.contains("usage:"), "{stderr}");
}

#[test]
fn a_dir_without_buildpack_toml_is_a_platform_error() {
    let empty = tempfile::tempdir().unwrap();
    let assert = Command::cargo_bin("slipway-cnb-local")
        .unwrap()
        .args(["build", "--buildpack"])
        .arg(empty.path())
        .args(["--app", "/nonexistent", "--root"])
        .arg(empty.path().join("root"))
        .assert()
        .code(3);
    let stderr = String::from_utf8_lossy(&assert.get_output().stderr).into_owned();
    assert!(stderr.contains("buildpack.toml"), "{stderr}");
}
