//! The `s3://BUCKET/PREFIX` backup target against a real S3-compatible
//! server (s3s-fs, started by `scripts/s3-server.sh`), real PostgreSQL 15 +
//! pgvector and the real `pg_dump` / `pg_restore`.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::s3::Server;
use crate::support::{
    TARGET_ENV, TestDb, all_output, app_with, app_with_migrations, assert_exit, assert_mentions,
    db_with_data, json, run_expecting, slipway, slipway_process, stderr, stdout, wait_with_timeout,
};

const MIB: u64 = 1024 * 1024;

/// `slipway-release` in `dir` against `db`, backing up to `s3://bucket/prefix`
/// on the shared server.
fn slipway_s3(
    dir: &std::path::Path,
    db: &TestDb,
    bucket: &str,
    prefix: &str,
) -> assert_cmd::Command {
    let mut cmd = slipway(dir, &db.url);
    for var in TARGET_ENV {
        cmd.env_remove(var);
    }
    cmd.envs(Server::shared().env(bucket, prefix));
    cmd
}

/// Fills `items` with `rows` random `vector(1536)` rows: about 7 KB of
/// `pg_dump -Fc` output each (random floats barely compress).
fn fill_vectors(db: &TestDb, rows: u32) {
    db.exec(&format!(
        "CREATE EXTENSION IF NOT EXISTS vector;
         CREATE TABLE items (id bigserial PRIMARY KEY, title text NOT NULL, embedding vector(1536) NOT NULL);
         INSERT INTO items (title, embedding)
         SELECT 'item ' || g,
                (SELECT array_agg(random()::real) FROM generate_series(1, 1536) WHERE g > 0)::vector
         FROM generate_series(1, {rows}) AS g;"
    ));
}

/// The `.dump` objects (key, size) in `bucket` on the shared server.
fn dumps(bucket: &str) -> Vec<(String, u64)> {
    Server::shared()
        .objects(bucket)
        .into_iter()
        .filter(|(key, _)| has_extension(key, "dump"))
        .collect()
}

/// Runs `cmd` and samples the child's peak resident memory (`VmHWM`) until it
/// exits. Returns the exit code, stderr and the peak in bytes.
fn run_measuring_peak_rss(cmd: &mut Command) -> (Option<i32>, String, u64) {
    let child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let sampler = std::thread::spawn(move || {
        let mut peak_kib = 0u64;
        while let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            if status
                .lines()
                .any(|l| l.starts_with("State:") && l.contains("zombie"))
            {
                break;
            }
            if let Some(kib) = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            {
                peak_kib = peak_kib.max(kib);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        peak_kib * 1024
    });
    let output = child.wait_with_output().unwrap();
    let peak = sampler.join().unwrap();
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
        peak,
    )
}

/// The slipway-release binary with a clean environment, as a std `Command`
/// (to watch its memory and to kill it).
fn raw_command(
    dir: &std::path::Path,
    db: &TestDb,
    server: &Server,
    bucket: &str,
    prefix: &str,
) -> Command {
    let mut cmd = slipway_process(dir, &db.url);
    for var in TARGET_ENV {
        cmd.env_remove(var);
    }
    cmd.envs(server.env(bucket, prefix));
    cmd
}

/// Polls `done` every 20 ms while `child` runs: fails with `ended_early` if
/// `child` exits first, and with `never` after a minute.
fn wait_while_running(
    child: &mut Child,
    ended_early: &str,
    never: &str,
    mut done: impl FnMut() -> bool,
) {
    let started = Instant::now();
    while !done() {
        assert!(child.try_wait().unwrap().is_none(), "{ended_early}");
        assert!(started.elapsed() < Duration::from_mins(1), "{never}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits (up to a minute) until `server` holds a part of an upload that is
/// not complete yet; fails with `ended_early` if `child` exits first.
fn wait_for_an_uploaded_part(server: &Server, child: &mut Child, ended_early: &str) {
    wait_while_running(child, ended_early, "no part was ever uploaded", || {
        server.incomplete_upload_parts() > 0
    });
}

/// A database of about 40 MB of vectors and a bucket on a server of its own
/// (whose unfinished uploads a test may inspect).
fn vectors_and_a_private_bucket() -> (TestDb, Server, String) {
    let db = TestDb::new();
    fill_vectors(&db, 6_000);
    let server = Server::private();
    let bucket = server.new_bucket();
    (db, server, bucket)
}

/// `slipway-release COMMAND` in `app` backing up in 5 MiB parts to
/// `bucket/prefix` on `server`, with stderr piped, started and waited for
/// until one part of its upload is on the server: the moment to interrupt it.
fn uploading(
    app: &std::path::Path,
    db: &TestDb,
    server: &Server,
    bucket: &str,
    prefix: &str,
    command: &str,
) -> Child {
    let mut child = raw_command(app, db, server, bucket, prefix)
        .arg(command)
        .env("SLIPWAY_BACKUP_S3_PART_SIZE", "5MiB")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_for_an_uploaded_part(server, &mut child, "the backup finished too early");
    child
}

/// Asserts that `bucket` holds no object: nothing can be taken for a backup.
#[track_caller]
fn assert_no_objects(server: &Server, bucket: &str) {
    assert_eq!(server.objects(bucket), Vec::<(String, u64)>::new());
}

/// Whether the object `key` ends in `.extension`.
fn has_extension(key: &str, extension: &str) -> bool {
    std::path::Path::new(key)
        .extension()
        .is_some_and(|e| e == extension)
}

/// Sends SIGTERM to `child` with kill(1).
fn send_sigterm(child: &Child) -> std::process::ExitStatus {
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
}

#[test]
fn s3_backup_streams_a_multipart_upload_with_bounded_memory() {
    let db = TestDb::new();
    // About 80 MB of dump: sixteen 5 MiB parts.
    fill_vectors(&db, 12_000);
    let server = Server::shared();
    let bucket = server.new_bucket();
    let app = tempfile::tempdir().unwrap();

    let mut cmd = raw_command(app.path(), &db, server, &bucket, "prod/app");
    cmd.args(["backup"])
        .env("SLIPWAY_BACKUP_S3_PART_SIZE", "5MiB");
    let (code, err, peak) = run_measuring_peak_rss(&mut cmd);
    assert_eq!(code, Some(0), "{err}");

    let objects = server.objects(&bucket);
    let dumps: Vec<_> = objects
        .iter()
        .filter(|(k, _)| has_extension(k, "dump"))
        .collect();
    assert_eq!(dumps.len(), 1, "{objects:?}");
    let (key, size) = dumps[0];
    assert!(key.starts_with("prod/app/slipway-"), "{key}");
    assert!(
        *size > 12 * 5 * MIB,
        "the dump should span many 5 MiB parts, it is {size} bytes"
    );
    // A multipart upload of fixed 5 MiB parts: S3's ETag counts them.
    let parts = size.div_ceil(5 * MIB);
    let e_tag = server.e_tag(&bucket, key);
    assert!(
        e_tag.ends_with(&format!("-{parts}")),
        "ETag {e_tag} for {parts} parts"
    );
    // The sidecar records what was streamed, and it matches the object.
    let sidecar_key = format!("{key}.json");
    assert!(
        objects.iter().any(|(k, _)| *k == sidecar_key),
        "{objects:?}"
    );
    assert!(err.contains(&format!("{size} bytes")), "{err}");
    // Bounded memory: the parts in flight, the part being filled and the
    // program itself (about 15 + 10 MiB here, measured 21 to 27 MiB), never a
    // copy of the dump. Half the dump leaves room for allocator noise under
    // load while still ruling out any whole copy.
    assert!(
        peak < 48 * MIB && peak < size / 2,
        "peak RSS {} MiB for a {} MiB dump",
        peak / MIB,
        size / MIB
    );
}

#[test]
fn s3_killed_upload_leaves_no_object() {
    let (db, server, bucket) = vectors_and_a_private_bucket();
    let app = tempfile::tempdir().unwrap();

    // Wait until at least one part is on the server, then SIGKILL mid-upload.
    let mut child = uploading(app.path(), &db, &server, &bucket, "killed", "backup");
    assert!(
        child.try_wait().unwrap().is_none(),
        "the backup finished before it could be killed"
    );
    child.kill().unwrap();
    child.wait().unwrap();

    // The parts of an incomplete multipart upload are not an object: nothing
    // is listed, so nothing can be mistaken for a backup. (A bucket lifecycle
    // rule, AbortIncompleteMultipartUpload, reclaims such parts on AWS.)
    assert!(server.incomplete_upload_parts() > 0);
    assert_no_objects(&server, &bucket);
    let listed = run_expecting(
        slipway(app.path(), &db.url)
            .envs(server.env(&bucket, "killed"))
            .arg("backups"),
        0,
    );
    assert_eq!(stdout(&listed).trim(), "");
}

#[test]
fn s3_sigterm_mid_upload_aborts_it_and_leaves_nothing() {
    let (db, server, bucket) = vectors_and_a_private_bucket();
    let app = tempfile::tempdir().unwrap();

    let child = uploading(app.path(), &db, &server, &bucket, "term", "backup");
    assert!(send_sigterm(&child).success());
    let output = child.wait_with_output().unwrap();
    assert_exit(&output, 5);
    assert_mentions(&stderr(&output), &["interrupted by SIGTERM"]);
    // Unlike SIGKILL, SIGTERM leaves time to abort: no parts remain either.
    assert_eq!(server.incomplete_upload_parts(), 0);
    assert_no_objects(&server, &bucket);
}

#[test]
fn sigterm_after_an_s3_backup_still_stops_the_release() {
    let db = db_with_data();
    let server = Server::shared();
    let bucket = server.new_bucket();
    let app = app_with_migrations(&[(
        "1_slow.sql",
        "SELECT pg_sleep(60);\nCREATE TABLE slow (id int);\n",
    )]);

    let mut child = raw_command(app.path(), &db, server, &bucket, "later")
        .arg("run")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the verified backup (its sidecar), then for the migration to start.
    wait_while_running(&mut child, "the run ended early", "no backup", || {
        server
            .objects(&bucket)
            .iter()
            .any(|(k, _)| has_extension(k, "json"))
    });
    std::thread::sleep(Duration::from_millis(500));
    send_sigterm(&child);
    let killed = Instant::now();
    let output = child.wait_with_output().unwrap();
    assert!(
        killed.elapsed() < Duration::from_secs(20),
        "SIGTERM was ignored"
    );
    assert_exit(&output, 143);
    assert!(db.applied_versions().is_empty());
    assert!(!db.table_exists("slow"));
}

#[test]
fn s3_store_going_away_mid_upload_stops_the_release_with_exit_5() {
    let (db, server, bucket) = vectors_and_a_private_bucket();
    let app = app_with(&["basic"]);

    let child = uploading(app.path(), &db, &server, &bucket, "gone", "run");
    server.stop();

    // The failed part upload is retried a few times, then the release stops:
    // pg_dump must not be left blocked on a pipe nobody reads.
    let output = wait_with_timeout(child, Duration::from_mins(2));
    assert_exit(&output, 5);
    // The cause is the upload, not pg_dump's SIGPIPE that follows from it.
    assert_mentions(
        &stderr(&output),
        &["the S3 backup failed", "a part of the upload failed"],
    );
    assert!(
        db.applied_versions().is_empty(),
        "nothing may be migrated without a backup"
    );
}

#[test]
fn s3_failed_pg_dump_aborts_the_upload() {
    let db = db_with_data();
    let server = Server::private();
    let bucket = server.new_bucket();
    let app = tempfile::tempdir().unwrap();
    // A pg_dump that writes part of an archive (two 5 MiB parts) and then fails.
    let bin = tempfile::tempdir().unwrap();
    let real = |tool: &str| {
        String::from_utf8(
            Command::new("sh")
                .args(["-c", &format!("command -v {tool}")])
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap()
        .trim()
        .to_owned()
    };
    let fake = bin.path().join("pg_dump");
    std::fs::write(
        &fake,
        format!(
            "#!/bin/sh\nif [ \"$1\" = --version ]; then exec {} --version; fi\nhead -c 12000000 /dev/urandom\necho 'pg_dump: error: connection lost' >&2\nexit 1\n",
            real("pg_dump")
        ),
    )
    .unwrap();
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    std::os::unix::fs::symlink(real("pg_restore"), bin.path().join("pg_restore")).unwrap();

    let output = run_expecting(
        slipway(app.path(), &db.url)
            .envs(server.env(&bucket, "failed"))
            .env("SLIPWAY_PG_BIN_DIR", bin.path())
            .env("SLIPWAY_BACKUP_S3_PART_SIZE", "5MiB")
            .arg("backup"),
        5,
    );
    assert_mentions(&stderr(&output), &["connection lost"]);
    assert_no_objects(&server, &bucket);
    assert_eq!(
        server.incomplete_upload_parts(),
        0,
        "the aborted upload's parts should be gone"
    );
}

#[test]
fn s3_retention_keeps_the_newest_and_never_touches_foreign_objects() {
    let db = db_with_data();
    let server = Server::shared();
    let bucket = server.new_bucket();
    let app = tempfile::tempdir().unwrap();
    // Objects slipway did not write, including one named like its backups
    // but without its sidecar, and one in a deeper folder.
    let foreign = [
        "keep/notes.txt",
        "keep/slipway-20000101T000000.000Z-other.dump",
        "keep/nested/slipway-20000101T000000.000Z-other.dump",
        "elsewhere/slipway-20000101T000000.000Z-other.dump",
    ];
    for key in foreign {
        server.put(&bucket, key, b"not a slipway backup");
    }

    for _ in 0..4 {
        run_expecting(
            slipway_s3(app.path(), &db, &bucket, "keep")
                .env("SLIPWAY_BACKUP_KEEP", "2")
                .arg("backup"),
            0,
        );
        std::thread::sleep(Duration::from_millis(20));
    }

    let keys: Vec<String> = server
        .objects(&bucket)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    for key in foreign {
        assert!(
            keys.contains(&key.to_owned()),
            "{key} was touched: {keys:?}"
        );
    }
    let ours: Vec<&String> = keys
        .iter()
        .filter(|k| k.starts_with("keep/slipway-") && !k.contains("20000101"))
        .collect();
    // Two dumps and their two sidecars.
    assert_eq!(ours.len(), 4, "{keys:?}");

    let listed = run_expecting(
        slipway_s3(app.path(), &db, &bucket, "keep").args(["backups", "--format", "json"]),
        0,
    );
    let doc = json(&listed);
    let backups = doc["backups"].as_array().unwrap();
    assert_eq!(backups.len(), 2, "{doc}");
    for backup in backups {
        let name = backup["name"].as_str().unwrap();
        assert!(
            keys.contains(&format!("keep/{name}")),
            "{name} not in {keys:?}"
        );
        assert!(backup["size_bytes"].as_u64().unwrap() > 0);
        assert!(backup["created_at"].as_str().unwrap().ends_with('Z'));
    }
    assert!(
        backups[0]["name"].as_str() < backups[1]["name"].as_str(),
        "oldest first"
    );
}

#[test]
fn s3_backup_before_migrating_records_the_pending_versions_and_restore_round_trips() {
    let db = TestDb::new();
    let app = app_with(&["basic"]);
    db.exec(
        "CREATE EXTENSION vector;
         CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL, embedding vector(3));
         INSERT INTO notes (body, embedding) SELECT 'note ' || g, ARRAY[g, g * 2, g * 3]::real[]::vector
         FROM generate_series(1, 500) AS g;",
    );
    let bucket = Server::shared().new_bucket();
    let snapshot = "SELECT md5(string_agg(id || ':' || body || ':' || embedding::text, ',' ORDER BY id)) FROM notes";
    let before = db.text(snapshot);

    // The release backs up to S3 (something is pending and there is data), then migrates.
    let run = run_expecting(slipway_s3(app.path(), &db, &bucket, "rel").arg("run"), 0);
    assert_mentions(&stderr(&run), &["in s3://"]);

    let listed = run_expecting(
        slipway_s3(app.path(), &db, &bucket, "rel").arg("backups"),
        0,
    );
    let line = stdout(&listed);
    let fields: Vec<&str> = line.trim().split('\t').collect();
    assert_eq!(
        fields.len(),
        6,
        "name, time, size, versions, location, database: {line:?}"
    );
    let name = fields[0].to_owned();
    assert_eq!(
        fields[3], "20240101000000,20240102000000,20240103000000",
        "{line}"
    );
    assert_eq!(fields[4], format!("s3://{bucket}/rel/{name}"));
    assert_eq!(
        fields[5], db.name,
        "the database, as the sidecar records it"
    );

    // Damage the data, then restore.
    db.exec("DELETE FROM notes WHERE id % 2 = 0; UPDATE notes SET body = 'changed';");
    assert_ne!(db.text(snapshot), before);
    run_expecting(
        slipway_s3(app.path(), &db, &bucket, "rel").args(["restore", &name]),
        2,
    );

    run_expecting(
        slipway_s3(app.path(), &db, &bucket, "rel").args(["restore", &name, "--confirm", &db.name]),
        0,
    );
    assert_eq!(db.text(snapshot), before);
}

#[test]
fn s3_restore_refuses_an_object_that_does_not_match_its_sidecar() {
    let db = TestDb::new();
    db.exec("CREATE TABLE t (id int); INSERT INTO t VALUES (1), (2), (3);");
    let bucket = Server::shared().new_bucket();
    let app = tempfile::tempdir().unwrap();
    run_expecting(
        slipway_s3(app.path(), &db, &bucket, "tamper").arg("backup"),
        0,
    );
    let (key, _) = dumps(&bucket).pop().unwrap();
    // Someone replaces the dump with a different (valid) archive.
    let other = TestDb::new();
    other.exec("CREATE TABLE t (id int); INSERT INTO t VALUES (42);");
    let archive = Command::new("pg_dump")
        .args(["-Fc", &other.url])
        .output()
        .unwrap()
        .stdout;
    Server::shared().put(&bucket, &key, &archive);

    let name = key.rsplit('/').next().unwrap();
    let restored = run_expecting(
        slipway_s3(app.path(), &db, &bucket, "tamper").args([
            "restore",
            name,
            "--confirm",
            &db.name,
        ]),
        5,
    );
    assert_mentions(
        &stderr(&restored),
        &[
            "does not match its sidecar",
            "committed nothing: the database is as it was",
        ],
    );
    // pg_restore ran in one transaction and was not allowed to commit.
    assert_eq!(
        db.text("SELECT string_agg(id::text, ',' ORDER BY id) FROM t"),
        "1,2,3"
    );
}

#[test]
fn s3_bad_credentials_fail_with_exit_5_and_never_print_the_secret() {
    let db = db_with_data();
    let bucket = Server::shared().new_bucket();
    let app = tempfile::tempdir().unwrap();
    let secret = "wrong-secret-7f3a9c1e5b";

    for format in ["human", "json"] {
        let output = run_expecting(
            slipway_s3(app.path(), &db, &bucket, "bad")
                .env("AWS_SECRET_ACCESS_KEY", secret)
                .args(["backup", "--format", format]),
            5,
        );
        let all = all_output(&output);
        assert!(!all.contains(secret), "the secret leaked:\n{all}");
        assert!(
            all.contains("403") || all.contains("SignatureDoesNotMatch"),
            "{all}"
        );
        assert!(
            all.contains("AWS_SECRET_ACCESS_KEY"),
            "the fix should name the variable:\n{all}"
        );
    }
    assert_no_objects(Server::shared(), &bucket);
}

#[test]
fn s3_missing_credentials_fail_before_any_migration() {
    let db = db_with_data();
    let app = app_with(&["basic"]);
    let bucket = Server::shared().new_bucket();
    let output = run_expecting(
        slipway_s3(app.path(), &db, &bucket, "p")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .arg("run"),
        5,
    );
    assert_mentions(&stderr(&output), &["AWS_SECRET_ACCESS_KEY"]);
    assert!(db.applied_versions().is_empty());
}

/// A TCP proxy in front of an S3 endpoint that holds back the request that
/// completes a multipart upload (`POST …?uploadId=…`) until released: the
/// window in which a stop signal must still leave no object behind.
struct HoldingProxy {
    url: String,
    state: std::sync::Arc<(std::sync::Mutex<(bool, bool)>, std::sync::Condvar)>,
}

impl HoldingProxy {
    fn start(upstream: &str) -> Self {
        use std::io::{Read, Write};
        let upstream = upstream.trim_start_matches("http://").to_owned();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        // (a completion is being held, it has been released)
        let state = std::sync::Arc::new((
            std::sync::Mutex::new((false, false)),
            std::sync::Condvar::new(),
        ));
        let shared = state.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(mut client) = client else { return };
                let mut server = std::net::TcpStream::connect(&upstream).unwrap();
                let (mut client_back, mut server_back) =
                    (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut server_back, &mut client_back);
                    let _ = client_back.shutdown(std::net::Shutdown::Both);
                });
                let state = shared.clone();
                std::thread::spawn(move || {
                    let mut buffer = vec![0u8; 64 * 1024];
                    while let Ok(read) = client.read(&mut buffer) {
                        if read == 0 {
                            break;
                        }
                        let chunk = &buffer[..read];
                        let line = String::from_utf8_lossy(&chunk[..chunk.len().min(512)]);
                        let first = line.lines().next().unwrap_or_default();
                        if first.starts_with("POST ") && first.contains("uploadId=") {
                            let (lock, changed) = &*state;
                            let mut flags = lock.lock().unwrap();
                            flags.0 = true;
                            changed.notify_all();
                            while !flags.1 {
                                flags = changed.wait(flags).unwrap();
                            }
                        }
                        if server.write_all(chunk).is_err() {
                            break;
                        }
                    }
                    let _ = server.shutdown(std::net::Shutdown::Write);
                });
            }
        });
        Self { url, state }
    }

    /// Waits (up to a minute) until the completion request is held.
    fn wait_until_holding(&self) {
        let (lock, changed) = &*self.state;
        let flags = lock.lock().unwrap();
        let (flags, timeout) = changed
            .wait_timeout_while(flags, Duration::from_mins(1), |f| !f.0)
            .unwrap();
        assert!(
            !timeout.timed_out() && flags.0,
            "no upload was ever completed"
        );
    }

    fn release(&self) {
        let (lock, changed) = &*self.state;
        lock.lock().unwrap().1 = true;
        changed.notify_all();
    }
}

#[test]
fn s3_sigterm_while_the_upload_completes_deletes_the_object() {
    let db = db_with_data();
    let server = Server::private();
    let bucket = server.new_bucket();
    let proxy = HoldingProxy::start(&server.endpoint);
    let app = tempfile::tempdir().unwrap();
    let child = raw_command(app.path(), &db, &server, &bucket, "completing")
        .arg("backup")
        .env("SLIPWAY_BACKUP_S3_ENDPOINT", &proxy.url)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    proxy.wait_until_holding();
    assert!(send_sigterm(&child).success());
    // Let the signal land while the completion is still on its way.
    std::thread::sleep(Duration::from_millis(500));
    proxy.release();
    let output = wait_with_timeout(child, Duration::from_mins(1));
    assert_exit(&output, 5);
    assert_mentions(
        &stderr(&output),
        &["interrupted by SIGTERM while the upload was completing: the object was deleted"],
    );
    // The completed object (and its sidecar) are gone, and no parts remain.
    std::thread::sleep(Duration::from_millis(300));
    assert_no_objects(&server, &bucket);
    assert_eq!(server.incomplete_upload_parts(), 0);
}
