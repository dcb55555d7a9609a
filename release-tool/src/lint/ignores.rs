//! squawk's ignore comments, for the findings squawk does not make itself
//! (slipway's own, `locks.rs`): squawk applies them only to its own.

use std::collections::{HashMap, HashSet};

use squawk_linter::ignore::{IgnoreKind, ignore_rule_info};
use squawk_syntax::{SyntaxKind, SyntaxNode};

use super::Position;
use super::rules::RuleId;

/// squawk's ignore comments, read the way squawk reads them, for the
/// findings squawk does not make: `-- squawk-ignore <rule>, ...` on the line
/// of a statement or the line before, `-- squawk-ignore-file [<rule>...]`.
#[derive(Debug, Default)]
pub(super) struct IgnoreComments {
    whole_file: bool,
    file: HashSet<String>,
    lines: HashMap<usize, HashSet<String>>,
}

impl IgnoreComments {
    pub(super) fn read(text: &str, file: &SyntaxNode) -> Self {
        let mut ignores = Self::default();
        for token in file
            .descendants_with_tokens()
            .filter_map(|element| element.as_token().cloned())
            .filter(|t| t.kind() == SyntaxKind::COMMENT)
        {
            let Some((names, _, kind)) = ignore_rule_info(&token) else {
                continue;
            };
            let names: HashSet<String> = names
                .split(',')
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_owned)
                .collect();
            match kind {
                IgnoreKind::File if names.is_empty() => ignores.whole_file = true,
                IgnoreKind::File => ignores.file.extend(names),
                IgnoreKind::Line => {
                    let line = Position::at(text, usize::from(token.text_range().start())).line;
                    ignores.lines.entry(line).or_default().extend(names);
                }
            }
        }
        ignores
    }

    /// Whether a comment silences `rule` for a statement starting at `start`.
    pub(super) fn covers(&self, text: &str, start: usize, rule: RuleId) -> bool {
        let name = rule.name();
        if self.whole_file || self.file.contains(&name) {
            return true;
        }
        let line = Position::at(text, start).line;
        [line, line.saturating_sub(1)]
            .iter()
            .any(|l| self.lines.get(l).is_some_and(|names| names.contains(&name)))
    }
}
