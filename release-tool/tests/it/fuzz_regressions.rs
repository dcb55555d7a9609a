//! What the cargo-fuzz targets (`release-tool/fuzz/`, run by
//! `scripts/fuzz.sh`) exercise, kept in the normal test suite: their seeds,
//! the edge cases worth a fixed place, and every crash they ever found.
//! The entry points are the same functions the fuzz targets call.

use slipway_release::fuzzing::{migration_file_name, settings_file};

fn seeds(target: &str) -> Vec<Vec<u8>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/seeds")
        .join(target);
    let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| std::fs::read(entry.unwrap().path()).unwrap())
        .collect();
    seeds.sort();
    assert!(!seeds.is_empty(), "no seeds in {}", dir.display());
    seeds
}

#[test]
fn migration_file_names_from_the_seeds_and_the_edges_parse_without_panicking() {
    let edges: &[&str] = &[
        "",
        "_",
        "_.sql",
        "1_.sql",
        "-1_negative.sql",
        "+1_plus.sql",
        "9223372036854775807_max.sql",
        "9223372036854775808_overflow.sql",
        "1_a.sql.sql",
        "1__double_underscore.up.sql",
        "1_.up.sql",
        "1_x.down.sql",
        "1_x.SQL",
        "1_caf\u{e9}_\u{1f600}.sql",
        "1_\u{fffd}.sql",
        " 1_space.sql",
        "1 _space.sql",
        "0x10_hex.sql",
    ];
    for seed in seeds("migration_file_name") {
        migration_file_name(&String::from_utf8_lossy(&seed));
    }
    for name in edges {
        migration_file_name(name);
    }
}

#[test]
fn settings_files_from_the_seeds_and_the_edges_never_panic_and_errors_name_the_file() {
    let deep = format!("a = {}1{}", "[".repeat(200), "]".repeat(200));
    let edges: Vec<String> = vec![
        String::new(),
        "\u{feff}lock_wait = \"5s\"".to_owned(),
        "lock_wait = \"99999999999999999999h\"".to_owned(),
        "lock_timeout = \"0\"".to_owned(),
        "lock_timeout = \"1ns\"".to_owned(),
        "backup_keep = 99999999999999999999".to_owned(),
        "backup_keep = -1".to_owned(),
        "pgvector_min_version = \"1.2.3.4\"".to_owned(),
        "pgvector_min_version = \"\"".to_owned(),
        "backup = \"s3://\"".to_owned(),
        "backup = \"file:\"".to_owned(),
        "pgvector = { mode = \"auto\" }".to_owned(),
        "[lock_wait]\n".to_owned(),
        "lock_wait = \"5s\"\nlock_wait = \"6s\"".to_owned(),
        "\n\n\nx = \n".to_owned(),
        deep,
    ];
    for seed in seeds("settings_file") {
        if let Ok(text) = String::from_utf8(seed) {
            let _ = settings_file(&text);
        }
    }
    for text in &edges {
        if let Some(message) = settings_file(text) {
            assert!(message.contains("slipway.toml"), "{text:?}: {message}");
        }
    }
    // The seed with every key is valid; a wrong one names its line and key.
    let all_keys = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fuzz/seeds/settings_file/all_keys.toml"),
    )
    .unwrap();
    assert_eq!(settings_file(&all_keys), None);
    let message = settings_file("\nlock_wait = \"99999999999999999999h\"").unwrap();
    assert!(
        message.contains("slipway.toml, line 2, key `lock_wait`"),
        "{message}"
    );
}
