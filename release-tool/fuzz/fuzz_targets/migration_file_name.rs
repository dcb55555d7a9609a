//! Migration file names, as a directory listing hands them over (bytes,
//! read lossily as sqlx does): the parse must never panic and must keep its
//! promises (checked inside `migration_file_name`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    slipway_release::fuzzing::migration_file_name(&String::from_utf8_lossy(data));
});
