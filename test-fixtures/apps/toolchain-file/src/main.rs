//! Prints the compiler version it was built with (set by build.rs).

fn main() {
    println!("built with {}", env!("FIXTURE_RUSTC_VERSION"));
}
