fn main() {
    println!("jobs ran");
}
