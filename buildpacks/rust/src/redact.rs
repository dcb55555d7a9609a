//! Keeps mirror credentials (`https://user:password@host/...`) out of the build output.

use slipway_contract::url_user_info;
use std::io::Write;

/// `url` with the `user:password@` part (Basic auth for a private mirror) replaced by `***`,
/// so that it can be printed. The whole user info goes: a mirror token may be the user name.
pub(crate) fn redact_credentials(url: &str) -> String {
    match url_user_info(url, false) {
        Some((scheme, info)) => format!("{scheme}://***@{}", info.rest),
        None => url.to_string(),
    }
}

/// The secret parts of `url`: its `user:password` and its password, longest first.
pub(crate) fn secrets_in_url(url: &str) -> Vec<String> {
    let Some((_, info)) = url_user_info(url, false) else {
        return Vec::new();
    };
    let mut secrets = vec![info.userinfo.to_string()];
    if let Some(password) = info.password.filter(|p| !p.is_empty()) {
        secrets.push(password.to_string());
    }
    secrets
}

/// A writer that replaces `secrets` with `***`, line by line (`\n` or `\r`), before passing
/// the text on. A line is held back until it ends, so a secret split across writes is caught.
pub(crate) struct RedactingWriter<W: Write> {
    inner: W,
    secrets: Vec<String>,
    pending: Vec<u8>,
    /// Output from the line holding this on is dropped.
    last_line: Option<&'static str>,
    done: bool,
}

impl<W: Write> RedactingWriter<W> {
    pub(crate) fn new(inner: W, secrets: Vec<String>) -> Self {
        Self {
            inner,
            secrets,
            pending: Vec::new(),
            last_line: None,
            done: false,
        }
    }

    /// Drops the first line that holds `marker` and everything after it.
    pub(crate) fn ending_at(mut self, marker: &'static str) -> Self {
        self.last_line = Some(marker);
        self
    }

    fn write_redacted(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        if self.done {
            return Ok(());
        }
        let mut text = String::from_utf8_lossy(bytes).into_owned();
        if let Some(marker) = self.last_line
            && let Some(start) = text.find(marker)
        {
            let line_start = text[..start].rfind(['\n', '\r']).map_or(0, |at| at + 1);
            text.truncate(line_start);
            self.done = true;
        }
        for secret in &self.secrets {
            text = text.replace(secret.as_str(), "***");
        }
        self.inner.write_all(text.as_bytes())
    }
}

impl<W: Write> Write for RedactingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        if let Some(end) = self
            .pending
            .iter()
            .rposition(|b| matches!(b, b'\n' | b'\r'))
        {
            let complete: Vec<u8> = self.pending.drain(..=end).collect();
            self.write_redacted(&complete)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let rest = std::mem::take(&mut self.pending);
        if !rest.is_empty() {
            self.write_redacted(&rest)?;
        }
        self.inner.flush()
    }
}

impl<W: Write> Drop for RedactingWriter<W> {
    fn drop(&mut self) {
        // The last, unterminated line; a failure to print it cannot be reported from here.
        let _ = self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_redacted_from_urls() {
        assert_eq!(
            redact_credentials("https://user:s3cret@mirror.example/rustup/dist/x/rustup-init"),
            "https://***@mirror.example/rustup/dist/x/rustup-init"
        );
        assert_eq!(
            redact_credentials("http://token@127.0.0.1:8080"),
            "http://***@127.0.0.1:8080"
        );
        assert_eq!(
            redact_credentials("https://static.rust-lang.org/rustup/dist/x?a=b@c"),
            "https://static.rust-lang.org/rustup/dist/x?a=b@c"
        );
        assert_eq!(redact_credentials("not a url"), "not a url");
    }

    #[test]
    fn secrets_are_the_userinfo_and_the_password() {
        assert_eq!(
            secrets_in_url("https://user:s3cret@mirror.example/x"),
            ["user:s3cret", "s3cret"]
        );
        assert_eq!(secrets_in_url("https://token@mirror.example"), ["token"]);
        assert!(secrets_in_url("https://mirror.example/a@b").is_empty());
    }

    #[test]
    fn the_writer_redacts_secrets_split_across_writes() {
        let mut out = Vec::new();
        {
            let mut writer = RedactingWriter::new(&mut out, secrets_in_url("http://u:pw-42@h"));
            for chunk in [
                "error: could not download 'http://u:p",
                "w-42@h/dist/x'\nprogress\r",
                "the password pw-42 alone, unterminated",
            ] {
                writer.write_all(chunk.as_bytes()).unwrap();
            }
        }
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "error: could not download 'http://***@h/dist/x'\nprogress\rthe password *** alone, unterminated"
        );
    }

    #[test]
    fn the_writer_can_end_at_a_line() {
        let mut out = Vec::new();
        {
            let mut writer = RedactingWriter::new(&mut out, vec![]).ending_at("installed now");
            for chunk in [
                "info: done\nRust is installed",
                " now. Great!\n\nTo get started you need Cargo's bin directory\n",
                "in your PATH\n",
            ] {
                writer.write_all(chunk.as_bytes()).unwrap();
            }
        }
        assert_eq!(String::from_utf8(out).unwrap(), "info: done\n");
    }
}
