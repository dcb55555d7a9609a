//! Records which rustc compiled this app, so a test can check the toolchain file was honoured.

fn main() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    let output = std::process::Command::new(rustc).arg("--version").output();
    let version = output
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    println!("cargo:rustc-env=FIXTURE_RUSTC_VERSION={version}");
}
