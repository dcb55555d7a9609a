//! libcnb-test integration tests: `pack build` against `heroku/builder:24` in Docker.
//! They need Docker and pack, so they are ignored here; CI runs them with `--ignored`
//! (`.github/workflows/ci.yml`, filtered to this module: `integration_test::`).

use libcnb_test::{BuildConfig, ContainerConfig, PackResult, TestRunner, assert_contains};
use std::io::{Read, Write};
use std::time::Duration;

/// A build of `app` with `INTEGRATION_TEST_BUILDER` (default `heroku/builder:24`), compiled
/// for the runner's glibc target (Heroku's run images are glibc-based).
fn config(app: &str) -> BuildConfig {
    let builder =
        std::env::var("INTEGRATION_TEST_BUILDER").unwrap_or_else(|_| "heroku/builder:24".into());
    let triple = match std::env::consts::ARCH {
        "aarch64" => "aarch64-unknown-linux-gnu",
        _ => "x86_64-unknown-linux-gnu",
    };
    let mut config = BuildConfig::new(builder, format!("../../test-fixtures/apps/{app}"));
    config.target_triple(triple);
    config
}

#[test]
#[ignore = "integration test"]
fn tiny_app_builds_and_serves_http() {
    TestRunner::default().build(config("tiny"), |context| {
        assert_contains!(context.pack_stdout, "Using Rust");
        assert_contains!(context.pack_stdout, "(the only binary)");
        let mut container = ContainerConfig::new();
        container.env("PORT", "8080").expose_port(8080);
        context.start_container(container, |container| {
            std::thread::sleep(Duration::from_secs(2));
            let mut stream =
                std::net::TcpStream::connect(container.address_for_port(8080)).unwrap();
            stream
                .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
                .unwrap();
            let mut response = String::new();
            stream.read_to_string(&mut response).unwrap();
            assert_contains!(response, "hello from tiny");
        });
        context.rebuild(config("tiny"), |rebuild| {
            assert_contains!(rebuild.pack_stdout, "Reusing the cached Rust");
        });
    });
}

#[test]
#[ignore = "integration test"]
fn missing_lockfile_fails_with_a_titled_error() {
    let mut build = config("no-lockfile");
    build.expected_pack_result(PackResult::Failure);
    TestRunner::default().build(build, |context| {
        assert_contains!(context.pack_stderr, "No Cargo.lock found");
    });
}
