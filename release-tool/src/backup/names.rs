//! Backup names: `slipway-<UTC time>-<database>.dump`, sortable by time, and
//! the one rule for telling a slipway dump (and which database it is of)
//! from anything else in a shared folder or bucket.

use std::collections::BTreeSet;
use std::time::{Duration, SystemTime};

/// `slipway-<middle>.dump`: the middle (`<time>-<database>`) of a name
/// slipway made, or `None` for any other file or key.
fn dump_middle(name: &str) -> Option<&str> {
    name.strip_prefix("slipway-")
        .and_then(|rest| rest.strip_suffix(".dump"))
        .filter(|middle| !middle.is_empty() && !middle.contains('/'))
}

/// Whether `name` is a slipway dump (of any database).
pub(crate) fn is_dump_name(name: &str) -> bool {
    dump_middle(name).is_some()
}

/// A backup name: `slipway-<UTC time>-<database>.dump`, sortable by time.
pub(crate) fn backup_name(database: &str, now: SystemTime) -> String {
    format!("slipway-{}-{}.dump", stamp(now), name_safe(database))
}

/// `20261122T031942.123Z`: RFC 3339 to the millisecond, without `-` and `:`
/// (so that the first `-` of a name ends its time stamp).
fn stamp(time: SystemTime) -> String {
    humantime::format_rfc3339_millis(time)
        .to_string()
        .chars()
        .filter(|c| !matches!(c, '-' | ':'))
        .collect()
}

/// The name of a backup of the same database taken one millisecond after
/// backup `name`: a free name when `name` is taken, that still parses back to
/// its database and sorts after it.
pub(crate) fn later_name(name: &str) -> Option<String> {
    let time = humantime::parse_rfc3339(&backup_time(name)?).ok()?;
    let (_, database) = name.strip_prefix("slipway-")?.split_once('-')?;
    Some(format!(
        "slipway-{}-{database}",
        stamp(time + Duration::from_millis(1))
    ))
}

/// For a name older versions gave the second (third...) backup taken within
/// one millisecond, `slipway-<time>-<database>-<N>.dump` while
/// `slipway-<time>-<database>.dump` is in `names`: that first name and N.
/// Without the first one in `names` it is the name of a backup of database
/// `<database>-<N>`, so the names listed with it decide.
pub(crate) fn legacy_sequence(name: &str, names: &BTreeSet<&str>) -> Option<(String, u32)> {
    let (first_stem, number) = name.strip_suffix(".dump")?.rsplit_once('-')?;
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number: u32 = number.parse().ok().filter(|n| *n >= 2)?;
    let first = format!("{first_stem}.dump");
    names.contains(first.as_str()).then_some((first, number))
}

/// For a backup that records no database (an older version's), whether its
/// name, listed together with `names`, can only be a backup of `database`.
// A name holds a file-name-safe form of the database (`rv.coll` and `rv-coll`
// both become `rv-coll`), so it can only decide for a database whose name is
// its own safe form and has no `-` (which `-N` names also use): any other
// reading could prune or restore another database's backup.
pub(crate) fn is_unambiguous_backup_of(name: &str, database: &str, names: &BTreeSet<&str>) -> bool {
    let own_safe_form = database
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_');
    if database.is_empty() || !own_safe_form {
        return false;
    }
    may_be_backup_of(name, database, names)
}

/// Whether `name`, listed together with `names`, may be a backup of
/// `database` (of it, or of another database with the same safe form).
pub(crate) fn may_be_backup_of(name: &str, database: &str, names: &BTreeSet<&str>) -> bool {
    match legacy_sequence(name, names) {
        Some((first, _)) => is_backup_of(&first, database),
        None => is_backup_of(name, database),
    }
}

/// When backup `name` (as [`backup_name`] makes them) was taken, as RFC 3339.
pub(crate) fn backup_time(name: &str) -> Option<String> {
    let stamp = name.strip_prefix("slipway-")?.split_once('-')?.0;
    // 20261122T031942.123Z -> 2026-11-22T03:19:42.123Z
    let (date, time) = stamp.split_once('T')?;
    let (clock, fraction) = time.strip_suffix('Z')?.split_at_checked(6)?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if date.len() != 8 || !digits(date) || !digits(clock) {
        return None;
    }
    if !fraction.is_empty() && !fraction.strip_prefix('.').is_some_and(digits) {
        return None;
    }
    Some(format!(
        "{}-{}-{}T{}:{}:{}{fraction}Z",
        &date[..4],
        &date[4..6],
        &date[6..],
        &clock[..2],
        &clock[2..4],
        &clock[4..]
    ))
}

/// `database` with everything but ASCII letters, digits and `_` replaced by `-`.
fn name_safe(database: &str) -> String {
    database
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Whether `name` (as [`backup_name`] makes them) names `database`'s safe form.
// The time stamp has no `-`, so the database is all after the first.
fn is_backup_of(name: &str, database: &str) -> bool {
    dump_middle(name)
        .and_then(|middle| middle.split_once('-'))
        .is_some_and(|(_, of)| of == name_safe(database))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backups_belong_to_the_database_they_name() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_790_000_000);
        let name = backup_name("app-production", now);
        assert!(is_backup_of(&name, "app-production"));
        assert!(!is_backup_of(&name, "app"));
        assert!(!is_backup_of(&name, "production"));
        assert!(!is_backup_of(&backup_name("app", now), "app-production"));
        assert!(!is_backup_of("notes.dump", "notes"));
    }

    #[test]
    fn a_name_decides_only_for_databases_no_other_name_shares() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_790_000_000);
        let none = BTreeSet::new();
        assert!(is_unambiguous_backup_of(
            &backup_name("app_1", now),
            "app_1",
            &none
        ));
        for (taken_of, asked_for) in [
            ("rv.coll", "rv-coll"),
            ("rv-coll", "rv.coll"),
            ("rv-coll", "rv-coll"),
            ("a b", "a-b"),
            ("é", "-"),
        ] {
            let name = backup_name(taken_of, now);
            assert!(
                !is_unambiguous_backup_of(&name, asked_for, &none),
                "{name} for {asked_for}"
            );
        }
    }

    #[test]
    fn a_backup_name_tells_when_it_was_taken() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_millis(1_790_000_000_123);
        assert_eq!(
            backup_time(&backup_name("app", now)).as_deref(),
            Some("2026-09-21T14:13:20.123Z")
        );
        assert_eq!(
            backup_time("slipway-20240101T120000Z-db.dump").as_deref(),
            Some("2024-01-01T12:00:00Z")
        );
        for foreign in [
            "notes.dump",
            "slipway-yesterday-db.dump",
            "slipway-2024T1200Z-db.dump",
        ] {
            assert_eq!(backup_time(foreign), None, "{foreign}");
        }
    }

    #[test]
    fn a_later_name_is_a_millisecond_later_and_of_the_same_database() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_millis(1_700_000_000_999);
        let name = backup_name("app-2", t);
        let later = later_name(&name).unwrap();
        assert_eq!(later, backup_name("app-2", t + Duration::from_millis(1)));
        assert!(later > name);
        assert!(is_backup_of(&later, "app-2"));
        assert_eq!(later_name("notes.dump"), None);
    }

    #[test]
    fn legacy_dash_n_names_belong_to_the_database_whose_first_name_is_listed() {
        let first = "slipway-20240101T120000.000Z-app.dump";
        let second = "slipway-20240101T120000.000Z-app-2.dump";
        let with_first: BTreeSet<&str> = [first, second].into();
        assert_eq!(
            legacy_sequence(second, &with_first),
            Some((first.to_owned(), 2))
        );
        assert!(is_unambiguous_backup_of(second, "app", &with_first));
        assert!(!is_unambiguous_backup_of(second, "app-2", &with_first));
        // Alone, it may be the first backup of `app-2`, `app.2` or `app 2`:
        // a name cannot tell which.
        let alone: BTreeSet<&str> = [second].into();
        assert!(!is_unambiguous_backup_of(second, "app-2", &alone));
        assert!(!is_unambiguous_backup_of(second, "app", &alone));
    }

    #[test]
    fn names_sort_by_time_and_are_safe() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        assert_eq!(
            backup_name("my db", t),
            "slipway-20231114T221320.000Z-my-db.dump"
        );
        let later = backup_name("my db", t + Duration::from_millis(1));
        assert!(later > backup_name("my db", t));
    }

    #[test]
    fn recognises_slipway_names_only() {
        assert!(is_dump_name("slipway-20261122T031942Z-app.dump"));
        assert!(is_dump_name("slipway-20261122T031942Z-app-2.dump"));
        for name in [
            "backup.dump",
            "slipway-.dump",
            "slipway-x.dump.json",
            "other/slipway-x.dump",
            "slipway-x.sql",
        ] {
            assert!(!is_dump_name(name), "{name}");
        }
    }
}
