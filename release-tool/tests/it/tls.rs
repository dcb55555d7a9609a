//! `sslmode` against real PostgreSQL servers with TLS: the shared cluster
//! (a certificate for `localhost` signed by the test CA), a cluster of the
//! test's own with a self-signed certificate (what Heroku Postgres presents),
//! and one with TLS off. Whether a session really used TLS is read from
//! `pg_stat_ssl` by a migration running in slipway's own session.

use std::process::Output;

use crate::support::cluster::OwnCluster;
use crate::support::{TestDb, app_with_migrations, assert_exit, shared_ca, slipway, stderr};

/// An app whose one migration records whether its own session uses TLS.
fn tls_probe_app() -> tempfile::TempDir {
    app_with_migrations(&[(
        "1_tls_seen.sql",
        "CREATE TABLE tls_seen AS\n  SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid();\n",
    )])
}

fn run(url: &str) -> Output {
    let app = tls_probe_app();
    slipway(app.path(), url)
        .args(["run", "--backup", "none", "--connect-timeout", "5s"])
        .output()
        .unwrap()
}

/// Runs the probe in a fresh database of `cluster` with `query` appended to
/// the URL (with `host` in place of 127.0.0.1); returns the output and, when
/// it ran, whether the session used TLS.
fn probe(cluster: &OwnCluster, name: &str, host: &str, query: &str) -> (Output, Option<bool>) {
    cluster.exec("postgres", &format!("CREATE DATABASE {name}"));
    let url = cluster.url_for(name).replace("127.0.0.1", host) + query;
    let out = run(&url);
    let seen = cluster.text(
        name,
        "CASE WHEN to_regclass('tls_seen') IS NULL THEN NULL ELSE (xpath('/row/ssl/text()', \
         query_to_xml('SELECT ssl FROM tls_seen', false, true, '')))[1]::text END",
    );
    let seen = match seen.as_str() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    };
    (out, seen)
}

#[test]
fn against_a_self_signed_server_disable_is_plain_and_prefer_require_and_herokus_default_use_tls() {
    let cluster = OwnCluster::start_with(&[("SLIPWAY_PG_TLS", "self-signed")]);

    let (out, tls) = probe(&cluster, "mode_disable", "127.0.0.1", "?sslmode=disable");
    assert_exit(&out, 0);
    assert_eq!(tls, Some(false), "sslmode=disable must not use TLS");

    let (out, tls) = probe(&cluster, "mode_prefer", "127.0.0.1", "?sslmode=prefer");
    assert_exit(&out, 0);
    assert_eq!(tls, Some(true), "sslmode=prefer must use TLS when offered");

    let (out, tls) = probe(&cluster, "mode_require", "127.0.0.1", "?sslmode=require");
    assert_exit(&out, 0);
    assert_eq!(
        tls,
        Some(true),
        "sslmode=require encrypts without verifying"
    );

    // Heroku's DATABASE_URL has no sslmode, and its server's certificate is
    // not signed by a public CA: the default must still connect over TLS.
    let (out, tls) = probe(&cluster, "mode_heroku_default", "127.0.0.1", "");
    assert_exit(&out, 0);
    assert_eq!(tls, Some(true), "no sslmode (Heroku's URL) must use TLS");
}

#[test]
fn verify_full_refuses_a_certificate_its_root_did_not_sign() {
    let cluster = OwnCluster::start_with(&[("SLIPWAY_PG_TLS", "self-signed")]);
    let query = format!("?sslmode=verify-full&sslrootcert={}", shared_ca().display());
    let (out, tls) = probe(&cluster, "verify_unknown_ca", "localhost", &query);
    assert_exit(&out, 3);
    assert_eq!(tls, None, "nothing may run over an unverified connection");
    let err = stderr(&out);
    assert!(err.contains("TLS"), "{err}");
    assert!(err.contains("sslrootcert"), "{err}");
}

#[test]
fn require_with_sslrootcert_verifies_the_ca_as_libpq_does() {
    // libpq: "if a root CA file exists, the behavior of sslmode=require will
    // be the same as that of verify-ca". pg_dump (libpq) does so; slipway's
    // own connection must not be laxer than the backup's.
    let cluster = OwnCluster::start_with(&[("SLIPWAY_PG_TLS", "self-signed")]);
    let query = format!("?sslmode=require&sslrootcert={}", shared_ca().display());
    let (out, tls) = probe(&cluster, "require_root", "127.0.0.1", &query);
    assert_exit(&out, 3);
    assert_eq!(tls, None);
}

#[test]
fn verify_full_with_the_ca_connects_and_a_host_name_mismatch_is_exit_3() {
    let db = TestDb::new();
    let ca = shared_ca();
    let good = db.url.replace("127.0.0.1", "localhost")
        + &format!("?sslmode=verify-full&sslrootcert={}", ca.display());
    let out = run(&good);
    assert_exit(&out, 0);
    assert_eq!(db.text("SELECT ssl FROM tls_seen"), "true");

    // The certificate names `localhost`; 127.0.0.1 is a different name.
    let other = TestDb::new();
    let mismatch =
        other.url.clone() + &format!("?sslmode=verify-full&sslrootcert={}", ca.display());
    let out = run(&mismatch);
    assert_exit(&out, 3);
    let err = stderr(&out);
    assert!(err.contains("TLS certificate was not accepted"), "{err}");
    assert!(err.contains("host name"), "{err}");
    assert!(err.contains("TLS"), "{err}");
    assert!(err.contains("127.0.0.1"), "{err}");
    assert!(!other.table_exists("tls_seen"));
}

#[test]
fn against_a_server_without_tls_require_fails_and_prefer_falls_back_to_plain() {
    let cluster = OwnCluster::start_with(&[("SLIPWAY_PG_TLS", "off")]);

    let (out, tls) = probe(&cluster, "plain_require", "127.0.0.1", "?sslmode=require");
    assert_exit(&out, 3);
    assert_eq!(tls, None);
    assert!(stderr(&out).contains("TLS"), "{}", stderr(&out));

    let (out, tls) = probe(&cluster, "plain_prefer", "127.0.0.1", "?sslmode=prefer");
    assert_exit(&out, 0);
    assert_eq!(tls, Some(false));
}

// Found here: with aws-lc-rs (reqwest) and ring (sqlx) both linked, rustls
// could not pick a crypto provider and slipway panicked on verify-ca. Now only
// ring is compiled, and nothing installs a provider by hand.
#[test]
fn verify_ca_checks_the_ca_but_not_the_host_name() {
    let db = TestDb::new();
    let url = db.url.clone() + &format!("?sslmode=verify-ca&sslrootcert={}", shared_ca().display());
    let out = run(&url);
    assert_exit(&out, 0);
    assert_eq!(db.text("SELECT ssl FROM tls_seen"), "true");
}
