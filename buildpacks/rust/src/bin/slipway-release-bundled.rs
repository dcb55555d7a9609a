//! The `slipway-release` binary as shipped inside the buildpack: the buildpack copies it into
//! a launch layer as `bin/slipway-release`. All logic lives in the release-tool library.

// This bin shares the package's dependency list with the buildpack bin but uses none of it.
use {
    bullet_stream as _, cyclonedx_bom as _, filetime as _, fun_run as _, hex as _, indoc as _,
    libcnb as _, serde as _, serde_json as _, sha2 as _, slipway_contract as _, thiserror as _,
    toml as _, ureq as _,
};
#[cfg(test)]
use {fs2 as _, libcnb_test as _, slipway_lifecycle_harness as _, tempfile as _};

fn main() -> std::process::ExitCode {
    slipway_release::main()
}
