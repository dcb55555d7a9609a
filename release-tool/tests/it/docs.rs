//! The READMEs render as the `CommonMark` spec says they should: every fenced code block is closed by
//! its own fence, and every heading line outside a code block renders as a heading.

use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};
use std::ops::Range;

const READMES: [&str; 3] = [
    "README.md",
    "buildpacks/rust/README.md",
    "test-fixtures/migrations/README.md",
];

fn read(path: &str) -> String {
    std::fs::read_to_string(format!("{}/../{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// The source ranges of the fenced code blocks, and the number of headings rendered.
fn blocks_and_headings(text: &str) -> (Vec<Range<usize>>, usize) {
    let mut fences = Vec::new();
    let mut headings = 0;
    for (event, range) in Parser::new(text).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(CodeBlockKind::Fenced(_))) => fences.push(range),
            Event::End(TagEnd::Heading(_)) => headings += 1,
            _ => {}
        }
    }
    (fences, headings)
}

#[test]
fn every_fence_closes_and_every_heading_renders() {
    for path in READMES {
        let text = read(path);
        let (fences, headings) = blocks_and_headings(&text);
        for fence in &fences {
            let block = text[fence.clone()].trim_end();
            let opening = block.lines().next().unwrap().trim_start();
            let marker: String = opening
                .chars()
                .take_while(|c| *c == '`' || *c == '~')
                .collect();
            let line = text[..fence.start].lines().count() + 1;
            let lines: Vec<&str> = block.lines().collect();
            assert!(
                lines.len() > 1 && lines[lines.len() - 1].trim() == marker,
                "{path}:{line}: the code block opened here is never closed by its own {marker} line"
            );
            // A fence line with text after it cannot close a block: the block swallows the
            // prose that follows, up to the next bare fence.
            let swallowed = lines[1..lines.len() - 1]
                .iter()
                .position(|inner| inner.trim_start().starts_with(&marker));
            assert!(
                swallowed.is_none(),
                "{path}:{}: a {marker} line inside the code block opened at line {line}: \
                 a closing fence must stand alone on its line",
                line + swallowed.unwrap_or(0) + 1
            );
        }
        let inside = |offset: usize| fences.iter().any(|fence| fence.contains(&offset));
        let mut offset = 0;
        let mut heading_lines = 0;
        for line in text.split_inclusive('\n') {
            if !inside(offset) && line.starts_with('#') {
                heading_lines += 1;
            }
            offset += line.len();
        }
        assert_eq!(
            headings, heading_lines,
            "{path}: {heading_lines} lines outside code blocks start with `#`, but {headings} render as headings"
        );
    }
}

#[test]
fn the_check_catches_an_unclosed_fence() {
    let broken = "# Title\n\n```sh\nrun this\n``` A sentence after the fence\n\n## Lost heading\n";
    let (fences, headings) = blocks_and_headings(broken);
    assert_eq!(headings, 1, "the heading after the broken fence is code");
    let block = broken[fences[0].clone()].trim_end();
    assert!(
        block
            .lines()
            .skip(1)
            .any(|line| line.starts_with("``` A sentence")),
        "the broken fence is inside the block: {block}"
    );
}

/// The table under "### Settings" in the README's slipway-release section.
fn settings_table(readme: &str) -> String {
    let section = readme.split("## slipway-release").nth(1).unwrap();
    let settings = section.split("### Settings").nth(1).unwrap();
    let rows: Vec<&str> = settings
        .lines()
        .skip_while(|line| !line.starts_with('|'))
        .take_while(|line| line.starts_with('|'))
        .collect();
    rows.join("\n") + "\n"
}

#[test]
fn the_readme_settings_table_is_the_declared_one() {
    let expected = slipway_release::docs::settings_table();
    let readme = read("README.md");
    assert!(
        settings_table(&readme) == expected,
        "README.md's settings table disagrees with release-tool/src/config/table.rs; it should read:\n{expected}"
    );
}

#[test]
fn the_settings_check_catches_a_changed_default_flag_variable_or_key() {
    let readme = read("README.md");
    let expected = slipway_release::docs::settings_table();
    for (from, to) in [
        ("| `5m` |", "| `6m` |"),
        ("`--lock-wait DURATION`", "`--lock-wait-for DURATION`"),
        ("| `SLIPWAY_LOCK_WAIT` |", "| `SLIPWAY_LOCK_WAITING` |"),
        ("| `lock_wait` |", "| `lock-wait` |"),
    ] {
        assert!(readme.contains(from), "{from}");
        let changed = readme.replacen(from, to, 1);
        assert_ne!(settings_table(&changed), expected, "{from} -> {to}");
    }
}
