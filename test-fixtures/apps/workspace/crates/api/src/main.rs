fn main() {
    println!("api ran");
}
