//! Output: one human line per step, with its duration, on stderr; with
//! `--format json`, also one JSON document on stdout at the end. Everything
//! printed passes through `redact`.

use std::io::Write;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use crate::errors::{ExitClass, Failure};
use crate::redact::{redact, redact_json};

/// `--format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Human,
    Json,
    /// Human lines on stderr and GitHub Actions annotations on stdout (`lint` only).
    Github,
}

impl Format {
    /// Parses `human`, `json` or `github`, in any case.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "human" => Ok(Format::Human),
            "json" => Ok(Format::Json),
            "github" => Ok(Format::Github),
            _ => Err("not an output format".to_owned()),
        }
    }
}

/// How a step ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Status {
    Ok,
    Skipped,
    Warning,
    Failed,
}

impl Status {
    fn label(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Skipped => "skipped",
            Status::Warning => "warning",
            Status::Failed => "FAILED",
        }
    }
}

/// Collects the steps of one command and prints them.
pub(crate) struct Report {
    command: &'static str,
    format: Format,
    steps: Vec<Value>,
    warnings: Vec<String>,
    notes: Vec<String>,
    fields: Map<String, Value>,
}

impl Report {
    pub(crate) fn new(command: &'static str, format: Format) -> Self {
        Self {
            command,
            format,
            steps: Vec::new(),
            warnings: Vec::new(),
            notes: Vec::new(),
            fields: Map::new(),
        }
    }

    /// Whether the output is for people only (no JSON document).
    pub(crate) fn is_human(&self) -> bool {
        self.format != Format::Json
    }

    /// Prints a GitHub Actions workflow command on stdout, with `--format github`.
    pub(crate) fn annotate(&self, command: &str) {
        if self.format == Format::Github {
            let mut stdout = std::io::stdout().lock();
            let _ = writeln!(stdout, "{}", redact(command));
        }
    }

    /// Records a step that started at `started` and prints its line.
    pub(crate) fn step(&mut self, name: &str, status: Status, started: Instant, detail: &str) {
        self.step_took(name, status, started.elapsed(), detail);
    }

    /// Records a step that took `took` and prints its line.
    pub(crate) fn step_took(&mut self, name: &str, status: Status, took: Duration, detail: &str) {
        let detail = redact(detail);
        eprintln_redacted(&format!(
            "slipway-release | {name:<9} {:<7} {:>9} | {detail}",
            status.label(),
            show_duration(took)
        ));
        self.steps.push(json!({
            "name": name,
            "status": status.label().to_ascii_lowercase(),
            "duration_ms": u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
            "detail": detail,
        }));
    }

    /// Prints a warning now and lists it in the JSON.
    pub(crate) fn warn(&mut self, text: &str) {
        let text = redact(text);
        eprintln_redacted(&format!("slipway-release | WARNING: {text}"));
        self.warnings.push(text);
    }

    /// Prints an informational line now (not a warning) and lists it in the JSON.
    pub(crate) fn note(&mut self, text: &str) {
        let text = redact(text);
        eprintln_redacted(&format!("slipway-release |   note: {text}"));
        self.notes.push(text);
    }

    /// Sets a top-level field of the JSON document.
    pub(crate) fn set(&mut self, key: &str, value: Value) {
        self.fields.insert(key.to_owned(), value);
    }

    /// Prints the error (if any) and the JSON document, and returns the exit class.
    pub(crate) fn finish(self, outcome: &Result<(), Failure>) -> ExitClass {
        let class = match outcome {
            Ok(()) => ExitClass::Ok,
            Err(failure) => failure.class,
        };
        if let Err(failure) = outcome {
            eprintln_redacted(&failure.render());
        }
        if self.format == Format::Json {
            let mut document = Map::new();
            document.insert("command".to_owned(), json!(self.command));
            document.insert("ok".to_owned(), json!(outcome.is_ok()));
            document.insert("exit_code".to_owned(), json!(class.code()));
            document.insert("steps".to_owned(), Value::Array(self.steps));
            document.insert("warnings".to_owned(), json!(self.warnings));
            document.insert("notes".to_owned(), json!(self.notes));
            document.extend(self.fields);
            document.insert(
                "error".to_owned(),
                outcome.as_ref().err().map_or(Value::Null, Failure::to_json),
            );
            print_json(&Value::Object(document));
        }
        class
    }
}

/// Prints one JSON document on stdout, every string in it redacted before it
/// is serialised (after, a secret holding `"` or `\` would be escaped and slip
/// through).
pub(crate) fn print_json(value: &Value) {
    let mut value = value.clone();
    redact_json(&mut value);
    let text = serde_json::to_string_pretty(&value)
        .unwrap_or_else(|e| format!("{{\"error\": \"{}\"}}", redact(&e.to_string())));
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{text}");
}

/// Prints a line on stdout, secrets hidden.
pub(crate) fn println_redacted(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{}", redact(text));
}

/// Prints a line on stderr, secrets hidden.
pub(crate) fn eprintln_redacted(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "{}", redact(text));
}

/// `12 ms`, `3.4 s`, `2 m 05 s`.
pub(crate) fn show_duration(took: Duration) -> String {
    let ms = took.as_millis();
    if ms < 1_000 {
        format!("{ms} ms")
    } else if ms < 60_000 {
        format!("{:.1} s", took.as_secs_f64())
    } else {
        format!("{} m {:02} s", took.as_secs() / 60, took.as_secs() % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_well() {
        assert_eq!(show_duration(Duration::from_millis(12)), "12 ms");
        assert_eq!(show_duration(Duration::from_millis(3_400)), "3.4 s");
        assert_eq!(show_duration(Duration::from_secs(125)), "2 m 05 s");
    }
}
