//! `slipway-release`: the release-phase binary. All logic lives in the library;
//! this only hands the process over to it and returns its exit code.

// The dependencies belong to the library; this binary only calls it.
#![allow(unused_crate_dependencies)]

fn main() -> std::process::ExitCode {
    slipway_release::main()
}
