use super::*;

#[test]
fn args_carry_profile_channel_components_and_targets() {
    let spec = ToolchainSpec {
        channel: "1.95.0".into(),
        components: vec!["rustfmt".into()],
        targets: vec!["wasm32-unknown-unknown".into()],
        profile: "minimal".into(),
    };
    assert_eq!(
        rustup_init_args(&spec).join(" "),
        "-y --no-modify-path --profile minimal --default-toolchain 1.95.0 --component rustfmt --target wasm32-unknown-unknown"
    );
}

#[test]
fn checksum_files_must_start_with_a_sha256() {
    let digest = "A".repeat(64);
    assert_eq!(
        parse_checksum(format!("{digest}  rustup-init\n").as_bytes(), "u").unwrap(),
        "a".repeat(64)
    );
    let error = parse_checksum(b"<html>not found</html>", "http://u:p@h/x.sha256").unwrap_err();
    assert_eq!(
        error.to_string(),
        "http://***@h/x.sha256 does not hold a SHA-256 checksum (64 hex digits); it starts with `<html>not`"
    );
    assert!(parse_checksum(b"", "u").is_err());
}

#[test]
fn arches_map_to_rust_triples() {
    assert_eq!(rust_triple("arm64").unwrap(), "aarch64-unknown-linux-gnu");
    assert_eq!(rust_triple("amd64").unwrap(), "x86_64-unknown-linux-gnu");
    assert!(rust_triple("riscv64").is_err());
}

#[test]
fn metadata_survives_the_lifecycles_json_round_trip() {
    let metadata = ToolchainLayerMetadata {
        spec: ToolchainSpec {
            channel: "1.95.0".into(),
            components: vec![],
            targets: vec!["aarch64-unknown-linux-gnu".into()],
            profile: "minimal".into(),
        },
        arch: "arm64".into(),
        distro_name: "ubuntu".into(),
        distro_version: "24.04".into(),
    };
    assert_eq!(
        crate::layers::tests::lifecycle_round_trip(&metadata),
        metadata
    );
}

#[test]
fn only_named_channels_and_minor_versions_move() {
    for moving in [
        "stable",
        "beta",
        "nightly",
        "1.95",
        "stable-x86_64-unknown-linux-gnu",
    ] {
        assert!(is_moving_channel(moving), "{moving}");
    }
    for pinned in [
        "1.95.0",
        "nightly-2026-01-01",
        "beta-2026-01-01",
        "1.95.0-aarch64-unknown-linux-gnu",
    ] {
        assert!(!is_moving_channel(pinned), "{pinned}");
    }
}
