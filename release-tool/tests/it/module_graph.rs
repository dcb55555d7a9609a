//! The release tool's top-level modules form a tree: no module reaches,
//! through `crate::` paths, back to itself. A newcomer can then read the
//! modules leaf first, each one needing only what came before it.
//!
//! The crate root (`lib.rs`) is a node too: it declares every module, so a
//! module that names one of its items (`crate::some_fn`) runs back up the graph.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use crate::support::sources::rust_files;

/// The crate root's node.
const ROOT: &str = "lib.rs";

/// The top-level module a file belongs to (`backup/s3/mod.rs` → `backup`),
/// [`ROOT`] for `lib.rs`, or `None` for `main.rs`, the root of the binary
/// (another crate, which only calls the library).
fn top_module(src: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(src).unwrap();
    let first = relative.components().next()?.as_os_str().to_str()?;
    match first.strip_suffix(".rs").unwrap_or(first) {
        "main" => None,
        "lib" => Some(ROOT.to_string()),
        name => Some(name.to_string()),
    }
}

/// The names that follow `crate::` in `code`, including each name of a
/// `crate::{a, b::c}` group. Comments are skipped.
fn crate_references(code: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for line in code.lines() {
        let line = line.split("//").next().unwrap_or_default();
        let mut rest = line;
        while let Some(at) = rest.find("crate::") {
            let before = rest[..at].chars().next_back();
            rest = &rest[at + "crate::".len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue; // `my_crate::…`
            }
            if let Some(group) = rest.strip_prefix('{') {
                let group = group.split('}').next().unwrap_or_default();
                names.extend(
                    group
                        .split(',')
                        .filter_map(|part| leading_name(part.trim())),
                );
            } else if let Some(name) = leading_name(rest) {
                names.insert(name);
            }
        }
    }
    names
}

fn leading_name(text: &str) -> Option<String> {
    let name: String = text
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

/// Edges `module → modules it names`, between top-level modules and the
/// crate root: the root reaches every module it declares, and a module that
/// names something that is no module (an item of the root) reaches the root.
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let files = rust_files(src);
    let modules: BTreeSet<String> = files
        .iter()
        .filter_map(|f| top_module(src, f))
        .filter(|m| m != ROOT)
        .collect();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    graph.insert(ROOT.to_string(), modules.clone());
    for file in &files {
        let Some(from) = top_module(src, file) else {
            continue;
        };
        let code = fs::read_to_string(file).unwrap();
        let targets = graph.entry(from.clone()).or_default();
        for name in crate_references(&code) {
            let to = if modules.contains(&name) {
                name
            } else {
                ROOT.to_string()
            };
            if to != from {
                targets.insert(to);
            }
        }
    }
    graph
}

/// A cycle in `graph`, as the path `a → b → … → a`, or `None`.
fn find_cycle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| n == node) {
            let mut cycle = path[start..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(cycle) = visit(next, graph, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn the_module_graph_has_no_cycle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let graph = module_graph(&src);
    assert!(
        graph.len() > 5,
        "too few modules found in {src:?}: {graph:?}"
    );
    if let Some(cycle) = find_cycle(&graph) {
        let edges: Vec<String> = graph
            .iter()
            .flat_map(|(from, to)| to.iter().map(move |to| format!("{from} → {to}")))
            .collect();
        panic!(
            "the modules of release-tool/src form a cycle: {}\nall edges:\n  {}",
            cycle.join(" → "),
            edges.join("\n  ")
        );
    }
}

#[test]
fn the_cycle_finder_finds_a_cycle_and_only_a_cycle() {
    let graph = |edges: &[(&str, &str)]| {
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (from, to) in edges {
            graph
                .entry((*from).into())
                .or_default()
                .insert((*to).into());
            graph.entry((*to).into()).or_default();
        }
        graph
    };
    assert_eq!(
        find_cycle(&graph(&[("a", "b"), ("b", "c"), ("a", "c")])),
        None
    );
    assert_eq!(
        find_cycle(&graph(&[("a", "b"), ("b", "c"), ("c", "b")])),
        Some(vec!["b".into(), "c".into(), "b".into()])
    );
    assert_eq!(
        crate_references(
            "use crate::{errors::Failure, report};\n// crate::lock\nlet x = my_crate::y; crate::db::f();"
        ),
        ["db", "errors", "report"]
            .into_iter()
            .map(String::from)
            .collect()
    );
}

#[test]
fn a_module_that_names_an_item_of_the_crate_root_closes_a_cycle() {
    let src = tempfile::tempdir().unwrap();
    fs::write(
        src.path().join("lib.rs"),
        "mod a;\nmod b;\nfn helper() {}\n",
    )
    .unwrap();
    fs::write(src.path().join("a.rs"), "fn f() { crate::b::g(); }\n").unwrap();
    fs::write(src.path().join("b.rs"), "pub(crate) fn g() {}\n").unwrap();
    assert_eq!(find_cycle(&module_graph(src.path())), None);
    fs::write(
        src.path().join("b.rs"),
        "pub(crate) fn g() { crate::helper(); }\n",
    )
    .unwrap();
    let cycle = find_cycle(&module_graph(src.path())).unwrap();
    assert!(
        cycle.contains(&ROOT.to_string()) && cycle.contains(&"b".to_string()),
        "{cycle:?}"
    );
}
