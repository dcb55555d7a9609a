//! Retrying a migration that failed on `lock_timeout` (SQLSTATE 55P03). A
//! transactional migration that hit it was rolled back whole, so running it
//! again is safe, and another session's lock (a long query, an idle open
//! transaction) is often gone seconds later. `strong_migrations` does the same
//! for Rails. A `-- no-transaction` migration may have done part of its work
//! before the error, so it is never retried.

use std::time::{Duration, Instant};

use super::Migration;
use super::apply::ApplyError;

/// The first pause; each retry doubles it, up to [`MAX_DELAY`].
const FIRST_DELAY: Duration = Duration::from_secs(1);
const MAX_DELAY: Duration = Duration::from_secs(30);

/// How many retries, and the time they must fit in (the lock wait).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RetryPolicy {
    pub(crate) retries: u32,
    pub(crate) lock_wait: Duration,
    pub(crate) lock_timeout: Duration,
}

/// What to do after an attempt failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Next {
    /// Wait this long, then try again.
    RetryAfter(Duration),
    /// Not a lock timeout, or a `-- no-transaction` migration: fail now.
    Fail,
    /// A lock timeout, but the retries are used up.
    RetriesUsedUp,
    /// A lock timeout, but another attempt would not end within the lock wait.
    OutOfTime,
}

/// Whether `error` is a lock timeout of a migration that was rolled back.
pub(crate) fn is_retryable(migration: &Migration, error: &ApplyError) -> bool {
    !migration.no_tx && error.server_code() == Some("55P03")
}

/// The pause before retry number `retry` (1-based): 1 s, 2 s, 4 s, ... 30 s.
pub(crate) fn delay(retry: u32) -> Duration {
    FIRST_DELAY
        .saturating_mul(2_u32.saturating_pow(retry.saturating_sub(1)))
        .min(MAX_DELAY)
}

impl RetryPolicy {
    /// Decides after `retries_done` retries, the first attempt having started
    /// at `first_started`, whether to retry. A retry must be able to end
    /// (its pause plus one `lock_timeout`) within the lock wait.
    pub(crate) fn next(
        &self,
        migration: &Migration,
        error: &ApplyError,
        retries_done: u32,
        first_started: Instant,
    ) -> Next {
        if !is_retryable(migration, error) {
            return Next::Fail;
        }
        if retries_done >= self.retries {
            return Next::RetriesUsedUp;
        }
        let pause = delay(retries_done + 1);
        if !fits_in(
            self.lock_wait,
            first_started.elapsed() + pause + self.lock_timeout,
        ) {
            return Next::OutOfTime;
        }
        Next::RetryAfter(pause)
    }
}

/// Whether something that ends `ends` after the start fits in `limit`. A
/// limit of zero is no limit, as for every slipway duration (a lock wait of 0
/// used to stop every retry: nothing ends within zero).
fn fits_in(limit: Duration, ends: Duration) -> bool {
    limit.is_zero() || ends <= limit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pause_doubles_up_to_thirty_seconds() {
        let secs: Vec<u64> = (1..=7).map(|r| delay(r).as_secs()).collect();
        assert_eq!(secs, [1, 2, 4, 8, 16, 30, 30]);
        assert_eq!(delay(u32::MAX), MAX_DELAY);
    }

    #[test]
    fn a_lock_wait_of_zero_is_no_limit_for_retries() {
        let s = Duration::from_secs;
        // (lock wait, when the retry would end, fits)
        let cases = [
            (s(0), s(0), true),
            (s(0), s(1), true),
            (s(0), Duration::MAX, true),
            (s(10), s(10), true),
            (s(10), s(11), false),
            (Duration::from_millis(1), s(1), false),
        ];
        for (limit, ends, fits) in cases {
            assert_eq!(fits_in(limit, ends), fits, "{limit:?} {ends:?}");
        }
    }
}
