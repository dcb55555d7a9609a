//! SIGTERM (a cancelled release, a dyno stopping) and SIGINT (Ctrl-C) while a
//! backup is being written: the target stops, removes what it started (a
//! partial file, an upload), and reports [`super::BackupError::Interrupted`].

use tokio::signal::unix::{Signal, SignalKind, signal};

/// The two stop signals, listened for from the moment this is made.
pub(crate) struct Termination {
    signals: Option<(Signal, Signal)>,
}

impl Termination {
    /// Starts listening. From now on the signals no longer end the process by
    /// default (<https://docs.rs/tokio/latest/tokio/signal/unix/fn.signal.html>):
    /// call [`exit_on_later_termination`] once the backup is over.
    pub(crate) fn listen() -> Self {
        let signals = match (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
        ) {
            (Ok(term), Ok(int)) => Some((term, int)),
            _ => None,
        };
        Self { signals }
    }

    /// Resolves when a stop signal arrives, with its name; never, when the
    /// handlers could not be installed.
    pub(crate) async fn received(&mut self) -> &'static str {
        match &mut self.signals {
            Some((term, int)) => tokio::select! {
                _ = term.recv() => "SIGTERM",
                _ = int.recv() => "SIGINT",
            },
            None => std::future::pending().await,
        }
    }
}

/// Keeps the default meaning of the stop signals for the rest of the run:
/// exit at once (migrations roll back their transaction when the connection
/// drops, as on a real SIGTERM).
pub(crate) fn exit_on_later_termination() {
    let mut termination = Termination::listen();
    tokio::spawn(async move {
        let signal = termination.received().await;
        eprintln!("slipway-release: {signal} received, stopping");
        let code = if signal == "SIGINT" { 130 } else { 143 };
        std::process::exit(code);
    });
}
