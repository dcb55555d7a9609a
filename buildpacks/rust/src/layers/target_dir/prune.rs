//! Keeps the target dir cache to what later builds reuse, within `SLIPWAY_CACHE_MAX_SIZE`.
//!
//! Cargo never deletes a unit (one crate compiled with one set of features, profile and
//! dependencies): after a dependency bump the old units stay beside the new ones, and the cache
//! grows with every deploy. Every file and dir of a unit in `deps/`, `build/`, `.fingerprint/`
//! and `examples/` is named `<name>-<hash>` with the same 16-hex-digit hash, so the units this
//! build used are known from cargo's JSON messages. After each build:
//!
//! - units of crates that are no longer in `Cargo.lock` are dropped;
//! - other units this build did not use (another feature set, a dependency bump that changed
//!   their hash) are kept while the cache fits `SLIPWAY_CACHE_MAX_SIZE`, by default 1.2 times
//!   what this build used (the size of a fresh build, plus room for a reverted bump), least
//!   recently used evicted first;
//! - the copies of the app's binaries cargo "uplifts" to `target/release/` are dropped: they
//!   duplicate `deps/` (the lifecycle's tar does not keep hard links) and cargo links them
//!   again on the next build.
//!
//! Cargo 1.100 moved to a second build-dir layout, where a unit is the dir
//! `build/<package>/<hash>/` (its `out/`, `fingerprint/` and `run/`); both layouts are read.
//! `incremental/` is left to rustc (release builds have none), and `cargo-timings/` (written by
//! `--timings` on every build) is dropped.
//!
//! Recency is counted in generations, not time: a generation ends when the set of units a
//! build uses changes. A build that changes nothing writes the same manifest, so the layer
//! stays byte-identical and the lifecycle reuses it.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::layers::{dir_size, read_dir_if_present, remove_if_present};

/// Without `SLIPWAY_CACHE_MAX_SIZE`, the target dir may hold this many times what the build
/// used, as a fraction: 6/5.
pub(crate) const DEFAULT_HEADROOM: (u64, u64) = (6, 5);

/// The dirs of a profile dir (`target/release`) whose entries are named after their unit.
const UNIT_DIRS: [&str; 4] = ["deps", "build", ".fingerprint", "examples"];

/// What the last builds used, kept in the target layer.
#[derive(Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct UnitManifest {
    generation: u64,
    /// The generation in which each kept unit was last used, by unit hash.
    last_used: BTreeMap<String, u64>,
}

/// One unit's files and dirs on disk.
#[derive(Debug, Default)]
struct Unit {
    /// The package (or crate) name, `-` written `_`.
    name: String,
    paths: Vec<PathBuf>,
    bytes: u64,
}

/// What a pruning run needs to know about the build.
pub(crate) struct PruneInput<'a> {
    /// `CARGO_TARGET_DIR`.
    pub(crate) target_dir: &'a Path,
    pub(crate) manifest_path: &'a Path,
    /// The files and `OUT_DIR`s cargo reported.
    pub(crate) used_paths: &'a BTreeSet<PathBuf>,
    /// Files cargo may have uplifted into a profile dir (the app's binaries, already copied
    /// into the app layer, its libraries, their debug info): each that is a hard link or copy
    /// of a unit's file is dropped.
    pub(crate) uplifted: &'a [PathBuf],
    /// Every package name in `Cargo.lock`.
    pub(crate) locked_names: &'a BTreeSet<String>,
    /// `SLIPWAY_CACHE_MAX_SIZE`, in bytes; `None`: [`DEFAULT_HEADROOM`] times what the build
    /// used.
    pub(crate) max_bytes: Option<u64>,
}

/// How many units were dropped, and how much space that freed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Dropped {
    pub(crate) units: usize,
    pub(crate) bytes: u64,
}

/// The size of each part of the target dir, after pruning.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TargetParts {
    pub(crate) deps: u64,
    pub(crate) build: u64,
    pub(crate) fingerprint: u64,
    pub(crate) incremental: u64,
    /// Everything else: uplifted libraries, dep-info files, examples.
    pub(crate) other: u64,
}

impl TargetParts {
    pub(crate) fn total(&self) -> u64 {
        self.deps + self.build + self.fingerprint + self.incremental + self.other
    }
}

/// What pruning did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PruneReport {
    pub(crate) unlocked: Dropped,
    pub(crate) least_recently_used: Dropped,
    pub(crate) parts: TargetParts,
    /// The bound this build applied.
    pub(crate) max_bytes: u64,
    /// The units this build used are larger than `SLIPWAY_CACHE_MAX_SIZE` by themselves.
    pub(crate) over_budget: bool,
}

/// Prunes the target dir as the module doc says and writes the manifest of what is kept.
pub(crate) fn prune_target_dir(input: &PruneInput<'_>) -> io::Result<PruneReport> {
    let profiles = profile_dirs(input.target_dir)?;
    let mut units = units_on_disk(&profiles)?;
    let deps_files = DepsFiles::index(&units);
    let used = used_hashes(input.used_paths, &units, &deps_files);
    // Only once `used` is known: it finds a binary's unit through its uplifted hard link.
    remove_uplifted_copies(input.uplifted, &profiles, &deps_files)?;
    let previous = read_manifest(input.manifest_path);
    let generation = next_generation(&previous, &used);
    let mut report = PruneReport::default();
    remove_if_present(&input.target_dir.join("cargo-timings"))?;

    let unlocked: Vec<String> = units
        .iter()
        .filter(|(hash, unit)| !used.contains(*hash) && !input.locked_names.contains(&unit.name))
        .map(|(hash, _)| hash.clone())
        .collect();
    for hash in unlocked {
        if let Some(unit) = units.remove(&hash) {
            remove_unit(&unit, &mut report.unlocked)?;
        }
    }

    let last_used = |hash: &String| {
        if used.contains(hash) {
            generation
        } else {
            previous.last_used.get(hash).copied().unwrap_or(0)
        }
    };
    let mut evictable: Vec<(u64, String)> = units
        .keys()
        .filter(|hash| !used.contains(*hash))
        .map(|hash| (last_used(hash), hash.clone()))
        .collect();
    evictable.sort();
    let mut total = dir_size(input.target_dir)?;
    let unused: u64 = evictable
        .iter()
        .filter_map(|(_, hash)| units.get(hash))
        .map(|unit| unit.bytes)
        .sum();
    let used_bytes = total.saturating_sub(unused);
    let (times, per) = DEFAULT_HEADROOM;
    let max_bytes = input
        .max_bytes
        .unwrap_or_else(|| used_bytes.saturating_mul(times) / per);
    report.max_bytes = max_bytes;
    for (_, hash) in evictable {
        if total <= max_bytes {
            break;
        }
        if let Some(unit) = units.remove(&hash) {
            total = total.saturating_sub(unit.bytes);
            remove_unit(&unit, &mut report.least_recently_used)?;
        }
    }
    report.over_budget = total > max_bytes;

    let manifest = UnitManifest {
        generation,
        last_used: units
            .keys()
            .map(|hash| (hash.clone(), last_used(hash)))
            .collect(),
    };
    let text = toml::to_string(&manifest).map_err(io::Error::other)?;
    std::fs::write(input.manifest_path, text)?;
    report.parts = measure_parts(input.target_dir, &profiles)?;
    Ok(report)
}

/// The unit hash in a name cargo gives a unit's files and dirs (`libserde-0123456789abcdef.rlib`,
/// `pgvector-app-0123456789abcdef`, `cfg_if-0123456789abcdef.cfg_if.<id>-cgu.0.rcgu.dwo`;
/// `build-script-build` has none): the first 16 lowercase hex digits that follow a `-` and end
/// the name or precede a `.`.
pub(crate) fn unit_hash(name: &str) -> Option<&str> {
    name.match_indices('-').find_map(|(dash, _)| {
        let hash = name.get(dash + 1..dash + 17)?;
        let ends = matches!(name.as_bytes().get(dash + 17), None | Some(b'.'));
        (is_hash(hash) && ends).then_some(hash)
    })
}

/// A package or crate name as cargo's file names and `Cargo.lock` both match it.
pub(crate) fn normalised_name(name: &str) -> String {
    name.replace('-', "_")
}

/// The generation of this build: the previous one if it used the same units, else the next.
fn next_generation(previous: &UnitManifest, used: &BTreeSet<String>) -> u64 {
    let previously_used: BTreeSet<&String> = previous
        .last_used
        .iter()
        .filter(|(_, generation)| **generation == previous.generation)
        .map(|(hash, _)| hash)
        .collect();
    let same = previous.generation > 0 && previously_used.into_iter().eq(used.iter());
    if same {
        previous.generation
    } else {
        previous.generation + 1
    }
}

/// The profile dirs under the target dir (`release`, `<triple>/release`): those with a
/// `.fingerprint` dir.
fn profile_dirs(target_dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    let mut pending = vec![(target_dir.to_path_buf(), 0)];
    while let Some((dir, depth)) = pending.pop() {
        if dir.join(".fingerprint").is_dir() || dir.join(".cargo-lock").is_file() {
            found.push(dir);
            continue;
        }
        if depth == 2 || !dir.is_dir() {
            continue;
        }
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            if entry.file_type()?.is_dir() {
                pending.push((entry.path(), depth + 1));
            }
        }
    }
    found.sort();
    Ok(found)
}

/// Every unit with a file or dir in a profile's unit dirs, by hash.
fn units_on_disk(profiles: &[PathBuf]) -> io::Result<BTreeMap<String, Unit>> {
    let mut units: BTreeMap<String, Unit> = BTreeMap::new();
    for profile in profiles {
        for dir in UNIT_DIRS.map(|name| profile.join(name)) {
            if !dir.is_dir() {
                continue;
            }
            for entry in std::fs::read_dir(&dir)? {
                let entry = entry?;
                let file_name = entry.file_name().to_string_lossy().into_owned();
                let Some(hash) = unit_hash(&file_name) else {
                    if dir.ends_with("build") {
                        add_layout_two_units(&entry.path(), &mut units)?;
                    }
                    continue;
                };
                let unit = units.entry(hash.to_string()).or_default();
                // `.fingerprint/` names a unit after its package, as `Cargo.lock` does; the
                // other dirs name it after its crate, target or example.
                let stem = file_name
                    .find(&format!("-{hash}"))
                    .map_or("", |end| &file_name[..end]);
                if unit.name.is_empty() || dir.ends_with(".fingerprint") {
                    unit.name = normalised_name(stem);
                }
                unit.bytes += dir_size(&entry.path())?;
                unit.paths.push(entry.path());
            }
        }
    }
    Ok(units)
}

/// The units of one package in cargo's second build-dir layout: `build/<package>/<hash>/`.
fn add_layout_two_units(package_dir: &Path, units: &mut BTreeMap<String, Unit>) -> io::Result<()> {
    if !package_dir.is_dir() {
        return Ok(());
    }
    let package = package_dir
        .file_name()
        .map(|name| normalised_name(&name.to_string_lossy()))
        .unwrap_or_default();
    for entry in read_dir_if_present(package_dir)? {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !is_hash(&name) || !entry.file_type()?.is_dir() {
            continue;
        }
        let unit = units.entry(name).or_default();
        unit.name.clone_from(&package);
        unit.bytes += dir_size(&entry.path())?;
        unit.paths.push(entry.path());
    }
    Ok(())
}

/// Whether `text` is 16 lowercase hex digits, cargo's unit hash.
fn is_hash(text: &str) -> bool {
    text.len() == 16
        && text
            .bytes()
            .all(|byte| byte.is_ascii_digit() || (b'a'..=b'f').contains(&byte))
}

/// The regular files of every unit, by inode and by size, to find the `deps/` file an uplifted
/// file (`target/release/api`, `target/release/libapp.rlib`) is a hard link or a copy of.
struct DepsFiles {
    by_inode: HashMap<(u64, u64), String>,
    by_size: HashMap<u64, Vec<(PathBuf, String)>>,
}

impl DepsFiles {
    fn index(units: &BTreeMap<String, Unit>) -> Self {
        let mut index = Self {
            by_inode: HashMap::new(),
            by_size: HashMap::new(),
        };
        for (hash, unit) in units {
            // Layout 2 keeps a unit's compiled files in `<unit dir>/out/`.
            let outputs = unit
                .paths
                .iter()
                .filter(|path| path.is_dir())
                .filter_map(|path| std::fs::read_dir(path.join("out")).ok())
                .flatten()
                .filter_map(Result::ok)
                .map(|entry| entry.path());
            let files: Vec<PathBuf> = unit.paths.iter().cloned().chain(outputs).collect();
            for path in &files {
                if let Ok(metadata) = std::fs::symlink_metadata(path)
                    && metadata.is_file()
                {
                    index
                        .by_inode
                        .insert((metadata.dev(), metadata.ino()), hash.clone());
                    index
                        .by_size
                        .entry(metadata.len())
                        .or_default()
                        .push((path.clone(), hash.clone()));
                }
            }
        }
        index
    }

    /// The unit of the `deps/` file that `path` is a hard link of, or (where cargo had to copy)
    /// has the same bytes as.
    fn twin_of(&self, path: &Path) -> Option<&str> {
        let metadata = std::fs::symlink_metadata(path).ok()?;
        if !metadata.is_file() {
            return None;
        }
        if let Some(hash) = self.by_inode.get(&(metadata.dev(), metadata.ino())) {
            return Some(hash);
        }
        let bytes = std::fs::read(path).ok()?;
        self.by_size
            .get(&metadata.len())?
            .iter()
            .find(|(candidate, _)| std::fs::read(candidate).is_ok_and(|other| other == bytes))
            .map(|(_, hash)| hash.as_str())
    }
}

/// The units behind `used_paths` that are on disk: named by a part of the path
/// (`deps/libserde-<hash>.rlib`, `build/serde-<hash>/out`), or, for a file cargo uplifted out of
/// `deps/`, the unit of its twin there.
fn used_hashes(
    used_paths: &BTreeSet<PathBuf>,
    units: &BTreeMap<String, Unit>,
    deps_files: &DepsFiles,
) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    for path in used_paths {
        let named: Vec<&str> = path
            .components()
            .filter_map(|part| part.as_os_str().to_str())
            .filter_map(|part| {
                if is_hash(part) {
                    Some(part)
                } else {
                    unit_hash(part)
                }
            })
            .collect();
        if named.is_empty() {
            used.extend(deps_files.twin_of(path).map(str::to_string));
        } else {
            used.extend(named.into_iter().map(str::to_string));
        }
    }
    // A hash-like part that is no unit here (a binary named `tool-0123456789abcdef`, a
    // `build-dir` outside the layer) must not count, or every build would look different.
    used.retain(|hash| units.contains_key(hash));
    used
}

/// Removes the files cargo uplifted into a profile dir, when each is a hard link or copy of a
/// unit's file; anything else is left alone.
fn remove_uplifted_copies(
    binaries: &[PathBuf],
    profiles: &[PathBuf],
    deps_files: &DepsFiles,
) -> io::Result<()> {
    for binary in binaries {
        let in_a_profile_dir = binary
            .parent()
            .is_some_and(|parent| profiles.iter().any(|profile| profile == parent));
        if in_a_profile_dir && deps_files.twin_of(binary).is_some() {
            remove_if_present(binary)?;
        }
    }
    Ok(())
}

fn remove_unit(unit: &Unit, dropped: &mut Dropped) -> io::Result<()> {
    for path in &unit.paths {
        remove_if_present(path)?;
    }
    dropped.units += 1;
    dropped.bytes += unit.bytes;
    Ok(())
}

/// The size of each part of the target dir.
fn measure_parts(target_dir: &Path, profiles: &[PathBuf]) -> io::Result<TargetParts> {
    let mut parts = TargetParts::default();
    for profile in profiles {
        parts.deps += dir_size(&profile.join("deps"))?;
        parts.build += dir_size(&profile.join("build"))?;
        parts.fingerprint += dir_size(&profile.join(".fingerprint"))?;
        parts.incremental += dir_size(&profile.join("incremental"))?;
    }
    let counted = parts.total();
    parts.other = dir_size(target_dir)?.saturating_sub(counted);
    Ok(parts)
}

fn read_manifest(path: &Path) -> UnitManifest {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| toml::from_str(&text).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    const SERDE_NEW: &str = "1111111111111111";
    const SERDE_OLD: &str = "2222222222222222";
    const GONE: &str = "3333333333333333";
    const APP: &str = "4444444444444444";
    const TOKIO_OLD: &str = "5555555555555555";

    /// A unit of `name` with `bytes` in `deps/` and a fingerprint dir.
    fn unit(release: &Path, name: &str, hash: &str, bytes: usize) {
        fs::create_dir_all(release.join(format!(".fingerprint/{name}-{hash}"))).unwrap();
        fs::write(
            release.join(format!(".fingerprint/{name}-{hash}/lib-{name}")),
            "f",
        )
        .unwrap();
        let crate_name = name.replace('-', "_");
        fs::write(
            release.join(format!("deps/lib{crate_name}-{hash}.rlib")),
            "x".repeat(bytes),
        )
        .unwrap();
    }

    struct Fixture {
        _dir: tempfile::TempDir,
        target: PathBuf,
        release: PathBuf,
        manifest: PathBuf,
    }

    fn fixture() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        let release = target.join("release");
        fs::create_dir_all(release.join("deps")).unwrap();
        fs::create_dir_all(release.join("build")).unwrap();
        unit(&release, "serde", SERDE_NEW, 100);
        unit(&release, "serde", SERDE_OLD, 100);
        unit(&release, "left-pad", GONE, 100);
        unit(&release, "tokio", TOKIO_OLD, 1000);
        // The app's binary, and its uplifted hard link.
        fs::create_dir_all(release.join(format!(".fingerprint/my-app-{APP}"))).unwrap();
        fs::write(release.join(format!("deps/my_app-{APP}")), "binary").unwrap();
        fs::hard_link(
            release.join(format!("deps/my_app-{APP}")),
            release.join("my-app"),
        )
        .unwrap();
        // A build script's output dir.
        fs::create_dir_all(release.join(format!("build/serde-{SERDE_NEW}/out"))).unwrap();
        let manifest = dir.path().join("units.toml");
        Fixture {
            _dir: dir,
            target,
            release,
            manifest,
        }
    }

    fn prune(fixture: &Fixture, max_bytes: impl Into<Option<u64>>) -> PruneReport {
        let used: BTreeSet<PathBuf> = [
            fixture
                .release
                .join(format!("deps/libserde-{SERDE_NEW}.rlib")),
            fixture.release.join(format!("build/serde-{SERDE_NEW}/out")),
            fixture.release.join("my-app"),
        ]
        .into();
        let locked: BTreeSet<String> = ["serde", "tokio", "my_app"].map(normalised_name).into();
        prune_target_dir(&PruneInput {
            target_dir: &fixture.target,
            manifest_path: &fixture.manifest,
            used_paths: &used,
            uplifted: &[fixture.release.join("my-app")],
            locked_names: &locked,
            max_bytes: max_bytes.into(),
        })
        .unwrap()
    }

    fn exists(fixture: &Fixture, relative: &str) -> bool {
        fixture.release.join(relative).exists()
    }

    #[test]
    fn drops_unlocked_units_and_uplifted_copies_and_keeps_what_fits() {
        let fixture = fixture();
        let report = prune(&fixture, 1 << 30);
        assert_eq!(report.unlocked.units, 1);
        assert!(!exists(&fixture, &format!("deps/libleft_pad-{GONE}.rlib")));
        assert!(!exists(&fixture, &format!(".fingerprint/left-pad-{GONE}")));
        assert!(!exists(&fixture, "my-app"), "the uplifted copy is dropped");
        assert!(
            exists(&fixture, &format!("deps/my_app-{APP}")),
            "the binary's unit is used (found through its hard link)"
        );
        assert!(exists(&fixture, &format!("deps/libserde-{SERDE_OLD}.rlib")));
        assert!(exists(&fixture, &format!("deps/libtokio-{TOKIO_OLD}.rlib")));
        assert_eq!(report.least_recently_used, Dropped::default());
        assert!(!report.over_budget);
        assert!(report.parts.deps >= 1206);
    }

    #[test]
    fn a_build_that_uses_the_same_units_writes_the_same_manifest() {
        let fixture = fixture();
        prune(&fixture, 1 << 30);
        let first = fs::read_to_string(&fixture.manifest).unwrap();
        // Cargo links the binary again on the next build.
        fs::hard_link(
            fixture.release.join(format!("deps/my_app-{APP}")),
            fixture.release.join("my-app"),
        )
        .unwrap();
        prune(&fixture, 1 << 30);
        assert_eq!(fs::read_to_string(&fixture.manifest).unwrap(), first);
        assert!(first.contains("generation = 1"), "{first}");
    }

    #[test]
    fn past_the_size_the_least_recently_used_unused_units_go_first() {
        let fixture = fixture();
        // Build 1 used the old tokio; build 2 (below) does not: it is the most recent of the
        // unused units, and the old serde (never used) goes first.
        fs::write(
            &fixture.manifest,
            format!("generation = 1\n[last_used]\n{TOKIO_OLD} = 1\n"),
        )
        .unwrap();
        let used_only = 100 + 6 + 3; // serde, the app, the fingerprint files
        let report = prune(&fixture, used_only + 1000 + 2);
        assert_eq!(report.least_recently_used.units, 1);
        assert!(!exists(
            &fixture,
            &format!("deps/libserde-{SERDE_OLD}.rlib")
        ));
        assert!(exists(&fixture, &format!("deps/libtokio-{TOKIO_OLD}.rlib")));
        assert!(!report.over_budget);

        // Cargo links the binary again on the next build.
        fs::hard_link(
            fixture.release.join(format!("deps/my_app-{APP}")),
            fixture.release.join("my-app"),
        )
        .unwrap();
        let report = prune(&fixture, 10);
        assert_eq!(report.least_recently_used.units, 1, "tokio goes too");
        assert!(report.over_budget, "what this build used is kept whole");
        assert!(exists(&fixture, &format!("deps/libserde-{SERDE_NEW}.rlib")));
    }

    #[test]
    fn a_binary_named_apart_from_its_package_is_found_through_its_copy() {
        let fixture = fixture();
        let server = "6666666666666666";
        let release = &fixture.release;
        fs::create_dir_all(release.join(format!(".fingerprint/my-svc-{server}"))).unwrap();
        fs::write(
            release.join(format!("deps/server-{server}")),
            "server binary",
        )
        .unwrap();
        // Copied, not linked (cargo copies when it cannot link).
        fs::write(release.join("server"), "server binary").unwrap();
        // A test harness of the same bin (`--all-targets`): cargo reports it in `deps/`; it is
        // a unit of its own, never an uplifted copy.
        let harness = "7777777777777777";
        fs::create_dir_all(release.join(format!(".fingerprint/my-svc-{harness}"))).unwrap();
        fs::write(
            release.join(format!("deps/server-{harness}")),
            "test harness",
        )
        .unwrap();
        let used: BTreeSet<PathBuf> = [
            release.join("server"),
            release.join(format!("deps/server-{harness}")),
        ]
        .into();
        let locked: BTreeSet<String> = ["my_svc".to_string()].into();
        let report = prune_target_dir(&PruneInput {
            target_dir: &fixture.target,
            manifest_path: &fixture.manifest,
            used_paths: &used,
            uplifted: &[
                release.join("server"),
                release.join(format!("deps/server-{harness}")),
            ],
            locked_names: &locked,
            max_bytes: Some(1),
        })
        .unwrap();
        assert!(!release.join("server").exists(), "the copy goes");
        assert!(
            release.join(format!("deps/server-{server}")).exists(),
            "its unit is used"
        );
        assert!(
            release.join(format!("deps/server-{harness}")).exists(),
            "not an uplifted copy"
        );
        assert!(report.over_budget);
        let manifest = fs::read_to_string(&fixture.manifest).unwrap();
        assert!(manifest.contains(&format!("{server} = 1")), "{manifest}");
    }

    #[test]
    fn cargo_1_100_layout_units_are_build_package_hash_dirs() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        let release = target.join("release");
        fs::create_dir_all(&release).unwrap();
        fs::write(release.join(".cargo-lock"), "").unwrap();
        let unit = |package: &str, hash: &str, file: &str, text: &str| {
            let out = release.join(format!("build/{package}/{hash}/out"));
            fs::create_dir_all(&out).unwrap();
            fs::create_dir_all(release.join(format!("build/{package}/{hash}/fingerprint")))
                .unwrap();
            fs::write(out.join(file), text).unwrap();
            out.join(file)
        };
        let serde = unit(
            "serde",
            SERDE_NEW,
            &format!("libserde-{SERDE_NEW}.rlib"),
            "new serde",
        );
        unit(
            "serde",
            SERDE_OLD,
            &format!("libserde-{SERDE_OLD}.rlib"),
            "old serde",
        );
        unit(
            "left-pad",
            GONE,
            &format!("libleft_pad-{GONE}.rlib"),
            "gone",
        );
        let app = unit("my-app", APP, &format!("my_app-{APP}"), "binary");
        fs::hard_link(&app, release.join("my-app")).unwrap();
        fs::create_dir_all(target.join("cargo-timings")).unwrap();
        fs::write(target.join("cargo-timings/cargo-timing-1.html"), "x").unwrap();
        let manifest = dir.path().join("units.toml");
        let used: BTreeSet<PathBuf> = [serde, release.join("my-app")].into();
        let locked: BTreeSet<String> = ["serde", "my_app"].map(normalised_name).into();
        let uplifted: Vec<PathBuf> = used.iter().cloned().collect();
        let report = prune_target_dir(&PruneInput {
            target_dir: &target,
            manifest_path: &manifest,
            used_paths: &used,
            uplifted: &uplifted,
            locked_names: &locked,
            max_bytes: Some(1 << 30),
        })
        .unwrap();
        assert_eq!(report.unlocked.units, 1);
        assert!(!release.join(format!("build/left-pad/{GONE}")).exists());
        assert!(
            release.join(format!("build/serde/{SERDE_OLD}")).exists(),
            "fits the bound"
        );
        assert!(!release.join("my-app").exists(), "the uplifted copy goes");
        assert!(app.exists(), "the binary's unit is used");
        assert!(!target.join("cargo-timings").exists());
        let manifest = fs::read_to_string(&manifest).unwrap();
        assert!(manifest.contains(&format!("{APP} = 1")), "{manifest}");
        assert!(manifest.contains(&format!("{SERDE_NEW} = 1")), "{manifest}");
        assert!(manifest.contains(&format!("{SERDE_OLD} = 0")), "{manifest}");
    }

    #[test]
    fn hashes_that_are_no_unit_here_do_not_count() {
        let fixture = fixture();
        prune(&fixture, None);
        let first = fs::read_to_string(&fixture.manifest).unwrap();
        let used: BTreeSet<PathBuf> = [
            fixture
                .release
                .join(format!("deps/libserde-{SERDE_NEW}.rlib")),
            fixture.release.join(format!("build/serde-{SERDE_NEW}/out")),
            fixture.release.join(format!("deps/my_app-{APP}")),
            PathBuf::from("/elsewhere/build-dir/release/deps/libx-8888888888888888.rlib"),
        ]
        .into();
        let locked: BTreeSet<String> = ["serde", "tokio", "my_app"].map(normalised_name).into();
        prune_target_dir(&PruneInput {
            target_dir: &fixture.target,
            manifest_path: &fixture.manifest,
            used_paths: &used,
            uplifted: &[],
            locked_names: &locked,
            max_bytes: None,
        })
        .unwrap();
        assert_eq!(fs::read_to_string(&fixture.manifest).unwrap(), first);
    }

    #[test]
    fn by_default_unused_units_fill_a_fifth_more_than_the_build_used() {
        let fixture = fixture();
        // Used: serde (100 + 1), the app (6), the build script's dir; a fifth more is ~21
        // bytes, which neither unused unit (100 and 1000 bytes) fits in.
        let report = prune(&fixture, None);
        assert_eq!(report.least_recently_used.units, 2);
        assert!(!report.over_budget);
        assert!(
            report.max_bytes >= 107 && report.max_bytes < 150,
            "{report:?}"
        );
        assert!(!exists(
            &fixture,
            &format!("deps/libtokio-{TOKIO_OLD}.rlib")
        ));
    }

    #[test]
    fn unit_hashes_are_sixteen_hex_digits_after_the_last_dash() {
        assert_eq!(
            unit_hash("libserde_json-0123456789abcdef.rlib"),
            Some("0123456789abcdef")
        );
        assert_eq!(
            unit_hash("pgvector-app-0123456789abcdef"),
            Some("0123456789abcdef")
        );
        assert_eq!(
            unit_hash("serde-0123456789abcdef.d"),
            Some("0123456789abcdef")
        );
        assert_eq!(
            unit_hash("cfg_if-334550f83f00c635.cfg_if.850684d7a276e27b-cgu.0.rcgu.dwo"),
            Some("334550f83f00c635")
        );
        for name in [
            "build-script-build",
            "api",
            "serde-0123456789ABCDEF",
            "x-0123456789abcde",
            "x-0123456789abcdef0",
            "x-0123456789abcdef-y",
            "release",
        ] {
            assert_eq!(unit_hash(name), None, "{name}");
        }
    }
}
