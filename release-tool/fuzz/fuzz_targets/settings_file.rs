//! `slipway.toml` text: parsing it and every value in it, and rendering the
//! error a person reads, must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Some(message) = slipway_release::fuzzing::settings_file(text) {
        // Every error names the file (and, for the file's content, a line).
        assert!(message.contains("slipway.toml"), "{message}");
    }
});
