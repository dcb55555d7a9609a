//! Transfers: the records Heroku's data API keeps for captures and restores.

use serde::Deserialize;

/// How many of a failed transfer's last log lines an error shows.
pub(crate) const FAILED_LOG_LINES: usize = 5;

/// A transfer as `GET /client/v11/apps/{app}/transfers/{uuid}` returns it.
/// Only the fields slipway reads; Heroku sends more.
#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct Transfer {
    #[serde(default)]
    pub(crate) uuid: Option<String>,
    #[serde(default)]
    pub(crate) num: Option<u64>,
    #[serde(default)]
    pub(crate) from_name: Option<String>,
    #[serde(default)]
    pub(crate) from_type: Option<String>,
    #[serde(default)]
    pub(crate) to_type: Option<String>,
    #[serde(default)]
    pub(crate) to_url: Option<String>,
    #[serde(default)]
    pub(crate) schedule: Option<serde_json::Value>,
    #[serde(default)]
    pub(crate) options: Option<TransferOptions>,
    #[serde(default)]
    pub(crate) created_at: Option<String>,
    #[serde(default)]
    pub(crate) finished_at: Option<String>,
    #[serde(default)]
    pub(crate) canceled_at: Option<String>,
    #[serde(default)]
    pub(crate) succeeded: Option<bool>,
    #[serde(default)]
    pub(crate) processed_bytes: Option<u64>,
    #[serde(default)]
    pub(crate) logs: Option<Vec<TransferLog>>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub(crate) struct TransferOptions {
    #[serde(default)]
    pub(crate) pgbackups_name: Option<String>,
}

#[derive(Clone, Debug, Deserialize)]
pub(crate) struct TransferLog {
    #[serde(default)]
    pub(crate) created_at: Option<String>,
    #[serde(default)]
    pub(crate) message: String,
}

impl Transfer {
    /// The name the Heroku CLI shows and `pg:backups:restore` accepts:
    /// `b005` for a manual backup, `a005` for a scheduled one, `r005` for a
    /// restore, `c005` for a copy, `oNAME` for a legacy pgbackups one.
    pub(crate) fn name(&self) -> String {
        if let Some(legacy) = self
            .options
            .as_ref()
            .and_then(|o| o.pgbackups_name.as_deref())
        {
            return format!("o{legacy}");
        }
        let num = self.num.map(|n| format!("{n:03}")).unwrap_or_default();
        format!("{}{num}", self.prefix())
    }

    fn prefix(&self) -> char {
        let to_restore = self.to_type.as_deref() == Some("pg_restore");
        let scheduled = self.schedule.as_ref().is_some_and(|s| !s.is_null());
        match (self.from_type.as_deref() == Some("pg_dump"), to_restore) {
            (true, true) => 'c',
            (true, false) if scheduled => 'a',
            (false, true) => 'r',
            _ => 'b',
        }
    }

    /// Whether this transfer is a backup stored by PGBackups (what `heroku
    /// pg:backups` lists).
    pub(crate) fn is_backup(&self) -> bool {
        self.from_type.as_deref() == Some("pg_dump") && self.to_type.as_deref() == Some("gof3r")
    }

    pub(crate) fn is_finished(&self) -> bool {
        self.finished_at.is_some()
    }

    pub(crate) fn succeeded(&self) -> bool {
        self.succeeded == Some(true)
    }

    /// The last `FAILED_LOG_LINES` log lines, `created_at message`.
    pub(crate) fn last_log_lines(&self) -> Vec<String> {
        let logs = self.logs.as_deref().unwrap_or_default();
        logs[logs.len().saturating_sub(FAILED_LOG_LINES)..]
            .iter()
            .map(|log| match &log.created_at {
                Some(at) => format!("{at} {}", log.message),
                None => log.message.clone(),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use indoc::indoc;

    use super::*;

    #[test]
    fn names_follow_the_heroku_cli() {
        let manual: Transfer = serde_json::from_str(
            r#"{"num": 5, "from_type": "pg_dump", "to_type": "gof3r", "schedule": null}"#,
        )
        .unwrap();
        assert_eq!(manual.name(), "b005");
        assert!(manual.is_backup());
        let scheduled: Transfer = serde_json::from_str(
            r#"{"num": 1234, "from_type": "pg_dump", "to_type": "gof3r", "schedule": {"name": "daily"}}"#,
        )
        .unwrap();
        assert_eq!(scheduled.name(), "a1234");
        let restore: Transfer =
            serde_json::from_str(r#"{"num": 7, "from_type": "gof3r", "to_type": "pg_restore"}"#)
                .unwrap();
        assert_eq!(restore.name(), "r007");
        let legacy: Transfer =
            serde_json::from_str(r#"{"num": 7, "options": {"pgbackups_name": "b001"}}"#).unwrap();
        assert_eq!(legacy.name(), "ob001");
    }

    #[test]
    fn last_log_lines_keep_the_tail() {
        let transfer: Transfer = serde_json::from_str(indoc! {r#"
            {"finished_at": "2026-01-01T00:00:00Z", "succeeded": false, "logs": [
              {"created_at": "t1", "message": "one"},
              {"created_at": "t2", "message": "two"},
              {"created_at": "t3", "message": "three"},
              {"created_at": "t4", "message": "four"},
              {"created_at": "t5", "message": "five"},
              {"message": "six"}
            ]}
        "#})
        .unwrap();
        assert!(transfer.is_finished());
        assert!(!transfer.succeeded());
        assert_eq!(
            transfer.last_log_lines(),
            ["t2 two", "t3 three", "t4 four", "t5 five", "six"]
        );
    }
}
