//! The names of the rules a finding can come from: squawk's, and slipway's
//! own for statements squawk does not flag (see `locks.rs`). Both kinds are
//! named in output and in `-- squawk-ignore` comments the same way.

use std::fmt;

use squawk_linter::Rule;

/// A lock mode of `LOCK TABLE` that blocks the app's writes or reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum LockMode {
    Share,
    ShareRowExclusive,
    Exclusive,
    AccessExclusive,
}

impl LockMode {
    /// The mode as PostgreSQL's documentation names it.
    pub(crate) fn name(self) -> &'static str {
        match self {
            LockMode::Share => "SHARE",
            LockMode::ShareRowExclusive => "SHARE ROW EXCLUSIVE",
            LockMode::Exclusive => "EXCLUSIVE",
            LockMode::AccessExclusive => "ACCESS EXCLUSIVE",
        }
    }
}

/// slipway's own rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum SlipwayRule {
    /// `LOCK TABLE` in a mode that blocks writes (ACCESS EXCLUSIVE by default).
    LockTable(LockMode),
    /// `REFRESH MATERIALIZED VIEW` without `CONCURRENTLY`.
    RequireConcurrentRefresh,
    /// `TRUNCATE`.
    Truncate,
}

/// The names of slipway's own rules, for ignore comments.
pub(crate) const SLIPWAY_RULE_NAMES: [&str; 3] =
    ["lock-table", "require-concurrent-refresh", "truncate"];

impl SlipwayRule {
    pub(crate) fn name(self) -> &'static str {
        match self {
            SlipwayRule::LockTable(_) => SLIPWAY_RULE_NAMES[0],
            SlipwayRule::RequireConcurrentRefresh => SLIPWAY_RULE_NAMES[1],
            SlipwayRule::Truncate => SLIPWAY_RULE_NAMES[2],
        }
    }
}

/// The rule a finding comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum RuleId {
    Squawk(Rule),
    Slipway(SlipwayRule),
}

impl RuleId {
    /// The rule's name, as an ignore comment names it.
    pub(crate) fn name(self) -> String {
        match self {
            RuleId::Squawk(rule) => rule.to_string(),
            RuleId::Slipway(rule) => rule.name().to_owned(),
        }
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

impl From<Rule> for RuleId {
    fn from(rule: Rule) -> Self {
        RuleId::Squawk(rule)
    }
}

impl PartialEq<Rule> for RuleId {
    fn eq(&self, other: &Rule) -> bool {
        *self == RuleId::Squawk(*other)
    }
}

impl std::str::FromStr for RuleId {
    type Err = String;

    /// A squawk rule's name, or one of slipway's (`lock-table` reads as
    /// its default mode, ACCESS EXCLUSIVE).
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        let own = match name {
            "lock-table" => Some(SlipwayRule::LockTable(LockMode::AccessExclusive)),
            "require-concurrent-refresh" => Some(SlipwayRule::RequireConcurrentRefresh),
            "truncate" => Some(SlipwayRule::Truncate),
            _ => None,
        };
        match own {
            Some(rule) => Ok(RuleId::Slipway(rule)),
            None => name
                .parse::<Rule>()
                .map(RuleId::Squawk)
                .map_err(|_| format!("no such rule: {name}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_reads_back_as_its_rule() {
        for name in SLIPWAY_RULE_NAMES
            .iter()
            .chain(&["prefer-repack", "require-concurrent-reindex"])
        {
            let rule: RuleId = name.parse().unwrap();
            assert_eq!(rule.name(), *name);
        }
        assert!("no-such-rule".parse::<RuleId>().is_err());
    }
}
