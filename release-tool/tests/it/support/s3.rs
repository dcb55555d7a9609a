//! The real S3-compatible server the backup tests use: `s3s-fs`, started by
//! `scripts/s3-server.sh` (idempotent). Most tests share one server and make
//! a fresh bucket each; tests that inspect the server's storage (incomplete
//! multipart uploads) start a private one.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use futures_util::StreamExt;
use object_store::ObjectStore;
use object_store::aws::{AmazonS3, AmazonS3Builder};

use crate::support::{runtime, script_stdout, unique_suffix};

/// The credentials `scripts/s3-server.sh` starts the server with.
pub(crate) const ACCESS_KEY: &str = "slipway-test-access-key";
pub(crate) const SECRET_KEY: &str = "slipway-test-secret-key";

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../scripts/s3-server.sh")
}

/// A running s3s-fs server.
pub(crate) struct Server {
    pub(crate) endpoint: String,
    /// `SLIPWAY_S3_DIR` of this server.
    dir: PathBuf,
    /// Set for a private server: stopped and deleted on drop.
    private: Option<tempfile::TempDir>,
    /// The credentials the server accepts.
    pub(crate) access_key: String,
    pub(crate) secret_key: String,
}

impl Server {
    /// The server all tests share (`SLIPWAY_S3_DIR`, default /tmp/slipway-s3).
    pub(crate) fn shared() -> &'static Server {
        static SHARED: OnceLock<Server> = OnceLock::new();
        SHARED.get_or_init(|| {
            let dir = std::env::var("SLIPWAY_S3_DIR")
                .ok()
                .filter(|d| !d.is_empty())
                .map_or_else(|| PathBuf::from("/tmp/slipway-s3"), PathBuf::from);
            let endpoint = start(&dir, &[]);
            Server {
                endpoint,
                dir,
                private: None,
                access_key: ACCESS_KEY.to_owned(),
                secret_key: SECRET_KEY.to_owned(),
            }
        })
    }

    /// A server of its own, whose storage the test may inspect.
    pub(crate) fn private() -> Server {
        Self::private_with_credentials(ACCESS_KEY, SECRET_KEY)
    }

    /// A server of its own that accepts only these credentials.
    pub(crate) fn private_with_credentials(access_key: &str, secret_key: &str) -> Server {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("s3");
        let endpoint = start(
            &dir,
            &[
                ("SLIPWAY_S3_ACCESS_KEY", access_key),
                ("SLIPWAY_S3_SECRET_KEY", secret_key),
            ],
        );
        Server {
            endpoint,
            dir,
            private: Some(temp),
            access_key: access_key.to_owned(),
            secret_key: secret_key.to_owned(),
        }
    }

    /// A new, empty bucket with a unique name.
    pub(crate) fn new_bucket(&self) -> String {
        let name = format!("t-{}", unique_suffix('-'));
        let status = Command::new(script())
            .args(["bucket", &name])
            .env("SLIPWAY_S3_DIR", &self.dir)
            .status()
            .expect("run scripts/s3-server.sh bucket");
        assert!(status.success(), "cannot create bucket {name}");
        name
    }

    /// The environment that points slipway-release at `s3://bucket/prefix`.
    pub(crate) fn env(&self, bucket: &str, prefix: &str) -> Vec<(&'static str, String)> {
        vec![
            ("SLIPWAY_BACKUP", format!("s3://{bucket}/{prefix}")),
            ("SLIPWAY_BACKUP_S3_ENDPOINT", self.endpoint.clone()),
            ("AWS_ACCESS_KEY_ID", self.access_key.clone()),
            ("AWS_SECRET_ACCESS_KEY", self.secret_key.clone()),
            ("AWS_REGION", "us-east-1".to_owned()),
        ]
    }

    fn store(&self, bucket: &str) -> AmazonS3 {
        // object_store's reqwest client needs a process-wide provider, as in the binary.
        let _ = rustls::crypto::ring::default_provider().install_default();
        AmazonS3Builder::new()
            .with_bucket_name(bucket)
            .with_region("us-east-1")
            .with_endpoint(&self.endpoint)
            .with_allow_http(true)
            .with_access_key_id(&self.access_key)
            .with_secret_access_key(&self.secret_key)
            .build()
            .unwrap()
    }

    /// Every object in `bucket` (key and size), as the S3 API lists them.
    pub(crate) fn objects(&self, bucket: &str) -> Vec<(String, u64)> {
        let store = self.store(bucket);
        runtime().block_on(async move {
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

    /// The object's `ETag`. For a multipart upload S3 (and s3s-fs) makes it
    /// `<md5 of the parts' md5s>-<number of parts>`.
    pub(crate) fn e_tag(&self, bucket: &str, key: &str) -> String {
        let store = self.store(bucket);
        let key = key.to_owned();
        runtime().block_on(async move {
            let meta = object_store::ObjectStoreExt::head(&store, &key.as_str().into())
                .await
                .unwrap();
            meta.e_tag.unwrap_or_default().trim_matches('"').to_owned()
        })
    }

    /// Writes an object that slipway did not write.
    pub(crate) fn put(&self, bucket: &str, key: &str, body: &[u8]) {
        let store = self.store(bucket);
        let body = body.to_vec();
        let key = key.to_owned();
        runtime().block_on(async move {
            object_store::ObjectStoreExt::put(&store, &key.as_str().into(), body.into())
                .await
                .unwrap();
        });
    }

    /// The files s3s-fs keeps for the parts of multipart uploads that were
    /// neither completed nor aborted (`.upload_id-<id>.part-<n>` in its root).
    /// Only meaningful on a private server.
    pub(crate) fn incomplete_upload_parts(&self) -> usize {
        assert!(
            self.private.is_some(),
            "only a private server's storage is this test's alone"
        );
        files_starting_with(&self.dir.join("data"), ".upload_id-")
    }
}

impl Server {
    /// Stops a private server (as if the store went away).
    pub(crate) fn stop(&self) {
        assert!(
            self.private.is_some(),
            "only a private server may be stopped"
        );
        let status = Command::new(script())
            .arg("stop")
            .env("SLIPWAY_S3_DIR", &self.dir)
            .status()
            .unwrap();
        assert!(status.success());
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.private.is_some() {
            let _ = Command::new(script())
                .arg("stop")
                .env("SLIPWAY_S3_DIR", &self.dir)
                .status();
        }
    }
}

fn files_starting_with(dir: &Path, prefix: &str) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| {
        entries
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with(prefix))
            .count()
    })
}

/// Starts (or reuses) the server kept in `dir`; returns its endpoint.
fn start(dir: &Path, env: &[(&str, &str)]) -> String {
    script_stdout(
        Command::new(script())
            .arg("start")
            .env("SLIPWAY_S3_DIR", dir)
            .envs(env.iter().copied()),
        "scripts/s3-server.sh start",
    )
}
