//! The real S3-compatible server the backup tests use: `s3s-fs`, started by
//! `scripts/s3-server.sh` (idempotent, shared by all tests), and helpers to
//! make a fresh bucket per test and look at what the bucket holds through
//! the S3 API.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use futures_util::StreamExt;
use object_store::ObjectStore;
use object_store::aws::AmazonS3Builder;

/// The credentials `scripts/s3-server.sh` starts the server with.
pub const ACCESS_KEY: &str = "slipway-test-access-key";
pub const SECRET_KEY: &str = "slipway-test-secret-key";

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The server's endpoint: `SLIPWAY_TEST_S3_ENDPOINT`, or the one
/// `scripts/s3-server.sh start` prints (it starts the server if needed).
pub fn endpoint() -> &'static str {
    static ENDPOINT: OnceLock<String> = OnceLock::new();
    ENDPOINT.get_or_init(|| {
        if let Ok(url) = std::env::var("SLIPWAY_TEST_S3_ENDPOINT")
            && !url.is_empty()
        {
            return url;
        }
        let output = Command::new(repo_root().join("scripts/s3-server.sh"))
            .arg("start")
            .output()
            .expect("run scripts/s3-server.sh start");
        assert!(
            output.status.success(),
            "scripts/s3-server.sh start failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    })
}

/// A new, empty bucket with a unique name.
pub fn new_bucket() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let _ = endpoint();
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    let name = format!(
        "t-{}-{}-{}",
        std::process::id(),
        nanos,
        COUNTER.fetch_add(1, Ordering::SeqCst)
    );
    let status = Command::new(repo_root().join("scripts/s3-server.sh"))
        .args(["bucket", &name])
        .status()
        .expect("run scripts/s3-server.sh bucket");
    assert!(status.success(), "cannot create bucket {name}");
    name
}

/// The environment that points slipway-release at `s3://bucket/prefix` on
/// the test server.
pub fn env(bucket: &str, prefix: &str) -> Vec<(&'static str, String)> {
    vec![
        ("SLIPWAY_BACKUP", format!("s3://{bucket}/{prefix}")),
        ("SLIPWAY_BACKUP_S3_ENDPOINT", endpoint().to_owned()),
        ("AWS_ACCESS_KEY_ID", ACCESS_KEY.to_owned()),
        ("AWS_SECRET_ACCESS_KEY", SECRET_KEY.to_owned()),
        ("AWS_REGION", "us-east-1".to_owned()),
    ]
}

/// Every object in `bucket` (key and size), as the S3 API lists them.
pub fn objects(bucket: &str) -> Vec<(String, u64)> {
    let store = AmazonS3Builder::new()
        .with_bucket_name(bucket)
        .with_region("us-east-1")
        .with_endpoint(endpoint())
        .with_allow_http(true)
        .with_access_key_id(ACCESS_KEY)
        .with_secret_access_key(SECRET_KEY)
        .build()
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async move {
        let mut listed = store.list(None);
        let mut objects = Vec::new();
        while let Some(meta) = listed.next().await {
            let meta = meta.unwrap();
            objects.push((meta.location.to_string(), meta.size));
        }
        objects.sort();
        objects
    })
}

/// Puts an object that slipway did not write (to prove it is left alone).
pub fn put_foreign(bucket: &str, key: &str, body: &[u8]) {
    let store = AmazonS3Builder::new()
        .with_bucket_name(bucket)
        .with_region("us-east-1")
        .with_endpoint(endpoint())
        .with_allow_http(true)
        .with_access_key_id(ACCESS_KEY)
        .with_secret_access_key(SECRET_KEY)
        .build()
        .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let body = body.to_vec();
    let key = key.to_owned();
    runtime.block_on(async move {
        object_store::ObjectStoreExt::put(&store, &key.as_str().into(), body.into())
            .await
            .unwrap();
    });
}
