//! A dependency-free web app: answers every HTTP request with a greeting.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

const GREETING: &str = "hello from tiny";

fn main() -> std::io::Result<()> {
    let port = std::env::var("PORT").unwrap_or_else(|_| "8080".to_string());
    let listener = TcpListener::bind(("127.0.0.1", port.parse::<u16>().unwrap_or(8080)))?;
    eprintln!("tiny listening on port {port}");
    for stream in listener.incoming() {
        let mut stream = stream?;
        let mut request_line = String::new();
        BufReader::new(&stream).read_line(&mut request_line)?;
        let body = format!("{GREETING}\n");
        write!(
            stream,
            "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
            body.len()
        )?;
    }
    Ok(())
}
