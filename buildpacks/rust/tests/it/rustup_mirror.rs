//! End-to-end tests of the rustup-init download through a mirror (`RUSTUP_UPDATE_ROOT`, a
//! documented setting): a local HTTP server plays the mirror, the packaged buildpack runs
//! under the local CNB platform. A bad checksum or a failed download must stop the build with
//! its titled message, print no mirror credentials, and leave nothing that could be reused as
//! an installed toolchain.

use crate::support::mirror::{Request, RustupMirror};
use crate::support::{build, build_fails_with, fixture, strip_ansi};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::Path;

const TRIPLE: &str = "x86_64-unknown-linux-gnu";
const SECRET: &str = "mirror-s3cret-pw";

/// Builds the tiny app with `RUSTUP_UPDATE_ROOT` set; asserts that the build failed with a
/// user error titled `title`, that no secret is printed, and returns the output.
fn failed_build_output(root: &Path, update_root: &str, title: &str) -> String {
    let output = build_fails_with(
        &fixture("tiny"),
        root,
        &[("RUSTUP_UPDATE_ROOT", update_root)],
        title,
    );
    assert!(output.contains("RUSTUP_UPDATE_ROOT"), "{output}");
    assert!(
        !output.contains(SECRET),
        "the mirror password leaked:\n{output}"
    );
    assert!(
        !output.contains("Verified SHA-256") && !output.contains("Running `rustup-init"),
        "nothing may be run after a failed download:\n{output}"
    );
    output
}

/// Asserts the failed build left no installer, no toolchain and no toolchain metadata in its
/// layers dir, and cached no toolchain layer.
fn assert_no_toolchain_left(root: &Path) {
    let layer = root.join("layers/slipway_rust/toolchain");
    for leftover in ["rustup-init", "rustup", "cargo"] {
        assert!(
            !layer.join(leftover).exists(),
            "{leftover} was left in the toolchain layer"
        );
    }
    let layer_toml = root.join("layers/slipway_rust/toolchain.toml");
    if layer_toml.exists() {
        let table: toml::Table =
            toml::from_str(&std::fs::read_to_string(&layer_toml).unwrap()).unwrap();
        let metadata = table.get("metadata").and_then(toml::Value::as_table);
        assert!(
            metadata.is_none_or(toml::Table::is_empty),
            "a failed install must not be marked installed: {table}"
        );
    }
    // The lifecycle's cache (`-cache-dir`) records cached layers in this file; a failed build
    // never reaches the exporter, so nothing of it may be there.
    let cached = std::fs::read_to_string(
        root.join("cache/committed/io.buildpacks.lifecycle.cache.metadata"),
    )
    .unwrap_or_default();
    assert!(
        !cached.contains("toolchain"),
        "a failed toolchain layer must not be cached: {cached}"
    );
}

#[test]
fn rustup_init_checksum_mismatch_stops_the_build_and_installs_nothing() {
    let installer =
        b"#!/bin/sh\necho 'a tampered rustup-init ran' > /tmp/slipway-tampered\n".to_vec();
    let actual = hex::encode(Sha256::digest(&installer));
    let published = hex::encode(Sha256::digest(b"the real rustup-init"));
    let mirror = RustupMirror::start(BTreeMap::from([
        (format!("/rustup/dist/{TRIPLE}/rustup-init"), installer),
        (
            format!("/rustup/dist/{TRIPLE}/rustup-init.sha256"),
            format!("{published}  rustup-init\n").into_bytes(),
        ),
    ]));
    let root = tempfile::tempdir().unwrap();
    // Basic-auth credentials in the URL, as a private mirror needs; a trailing slash too.
    let update_root = format!(
        "http://mirror-user:{SECRET}@127.0.0.1:{}/rustup/",
        mirror.port()
    );

    let output = failed_build_output(root.path(), &update_root, "rustup-init checksum mismatch");

    let shown_url = format!(
        "http://***@127.0.0.1:{}/rustup/dist/{TRIPLE}/rustup-init",
        mirror.port()
    );
    assert!(
        output.contains(&format!(
            "{shown_url} has SHA-256 {actual}, but the published checksum is {published}"
        )),
        "the message names the URL and both checksums:\n{output}"
    );
    assert!(output.contains("it was not run"), "{output}");
    assert!(
        output.contains(
            "check that the mirror serves the same files as https://static.rust-lang.org/rustup"
        ),
        "{output}"
    );
    assert_eq!(
        mirror.requests(),
        [
            Request {
                path: format!("/rustup/dist/{TRIPLE}/rustup-init.sha256"),
                authorized: true
            },
            Request {
                path: format!("/rustup/dist/{TRIPLE}/rustup-init"),
                authorized: true
            },
        ],
        "the checksum and the installer come from the mirror, with the URL's credentials"
    );
    assert_no_toolchain_left(root.path());
}

#[test]
fn rustup_init_download_failures_name_the_url() {
    let mirror = RustupMirror::start(BTreeMap::from([(
        format!("/dist/{TRIPLE}/rustup-init.sha256"),
        b"<html><body>Mirror maintenance</body></html>\n".to_vec(),
    )]));
    let port = mirror.port();
    let root = tempfile::tempdir().unwrap();

    // A checksum file that holds no checksum (a captive portal, a maintenance page).
    let output = failed_build_output(
        root.path(),
        &format!("http://127.0.0.1:{port}"),
        "Unable to read the rustup-init checksum",
    );
    assert!(
        output.contains(&format!(
            "http://127.0.0.1:{port}/dist/{TRIPLE}/rustup-init.sha256 does not hold a SHA-256 checksum"
        )),
        "{output}"
    );
    assert_no_toolchain_left(root.path());

    // 404: the mirror does not have the file.
    let output = failed_build_output(
        root.path(),
        &format!("http://user:{SECRET}@127.0.0.1:{port}/missing"),
        "Unable to download rustup-init",
    );
    assert!(
        output.contains(&format!(
            "downloading http://***@127.0.0.1:{port}/missing/dist/{TRIPLE}/rustup-init.sha256 failed: the server answered HTTP 404"
        )),
        "{output}"
    );
    assert!(
        output.contains("it must serve `dist/<triple>/rustup-init` and its `.sha256`"),
        "{output}"
    );
    assert_no_toolchain_left(root.path());
    assert_eq!(
        mirror.requests().len(),
        2,
        "one request per build: {:?}",
        mirror.requests()
    );

    // Unreachable: the mirror is gone, nothing listens on its port.
    drop(mirror);
    let output = failed_build_output(
        root.path(),
        &format!("http://user:{SECRET}@127.0.0.1:{port}"),
        "Unable to download rustup-init",
    );
    assert!(
        output.contains(&format!(
            "downloading http://***@127.0.0.1:{port}/dist/{TRIPLE}/rustup-init.sha256 failed: could not connect or read: Connection refused"
        )),
        "{output}"
    );
    assert!(output.contains("Connection refused"), "{output}");
    assert_no_toolchain_left(root.path());
}

/// rustup itself prints the URLs it cannot download, credentials included; the buildpack
/// streams its output through a filter.
#[test]
fn rustup_dist_server_credentials_are_not_printed_when_rustup_fails() {
    let dist_server = RustupMirror::start(BTreeMap::new());
    let port = dist_server.port();
    let root = tempfile::tempdir().unwrap();
    let outcome = build(
        &fixture("tiny"),
        root.path(),
        &[(
            "RUSTUP_DIST_SERVER",
            &format!("http://mirror-user:{SECRET}@127.0.0.1:{port}"),
        )],
    );
    assert!(!outcome.success());
    let output = strip_ansi(&outcome.output);
    assert!(
        output.contains("Verified SHA-256"),
        "rustup-init itself comes from the real update root: {output}"
    );
    assert!(
        output.contains("! Error: Installing the Rust toolchain failed"),
        "{output}"
    );
    assert!(
        output.contains(&format!("http://***@127.0.0.1:{port}/dist/")),
        "rustup's own message names the (redacted) URL:\n{output}"
    );
    assert!(!output.contains(SECRET), "the password leaked:\n{output}");
    assert!(!output.contains("mirror-user"), "{output}");
    let requests = dist_server.requests();
    assert!(
        !requests.is_empty() && requests.iter().all(|r| r.authorized),
        "rustup asked the dist server, with the credentials: {requests:?}"
    );
}
