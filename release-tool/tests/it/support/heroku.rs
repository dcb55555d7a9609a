//! A fake of the two Heroku APIs `heroku pg:backups:capture` talks to,
//! following their documented contract (the Heroku CLI's
//! `commands/pg/backups/capture.ts`, `lib/pg/fetcher.ts`, `lib/pg/backups.ts`):
//!
//! - Platform API: `POST /actions/addon-attachments/resolve`
//!   `{app, addon_attachment, addon_service}` → `[{addon: {id, name, app: {name}}}]`
//! - Data API: `POST /client/v11/databases/{id}/backups` → a transfer
//!   (`uuid`, `num`); `GET /client/v11/apps/{app}/transfers/{uuid}` (with
//!   `?verbose=true` for `logs`); `GET /client/v11/apps/{app}/transfers`;
//!   `POST /client/v11/databases/{id}/restores` `{backup_url}`.
//!
//! Every request must carry `Authorization: Bearer <token>` and
//! `Accept: application/vnd.heroku+json; version=3`, or it gets 401 / 400.
//! Each server records every request (host, path, authorization) so a test
//! can check where the token went. Transfers follow a [`Script`].

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::support::{TARGET_ENV, TestDb, slipway};

pub(crate) const TOKEN: &str = "heroku-test-token-5f1c2a9e";
pub(crate) const APP: &str = "slipway-fake-app";
pub(crate) const ADDON_ID: &str = "6c1f9d5e-addon-0001";
pub(crate) const ADDON_NAME: &str = "postgresql-fake-12345";
pub(crate) const ACCEPT: &str = "application/vnd.heroku+json; version=3";

/// How the transfers behave.
#[derive(Clone, Debug)]
pub(crate) struct Script {
    /// Polls answered "still running" before the transfer finishes.
    pub(crate) polls_before_finish: usize,
    /// The first N polls answer 503.
    pub(crate) failing_polls: usize,
    /// Every poll answers 503, forever.
    pub(crate) polls_always_fail: bool,
    /// Polls answer 302 to this URL instead.
    pub(crate) redirect_polls_to: Option<String>,
    /// `succeeded` once finished.
    pub(crate) succeeds: bool,
    /// Restore transfers finish with `succeeded` false (restores otherwise
    /// finish at the first poll and succeed).
    pub(crate) restores_fail: bool,
    /// The transfer's logs (`?verbose=true`).
    pub(crate) logs: Vec<String>,
    /// The API key every request must carry.
    pub(crate) token: String,
}

impl Default for Script {
    fn default() -> Self {
        Self {
            polls_before_finish: 2,
            failing_polls: 0,
            polls_always_fail: false,
            redirect_polls_to: None,
            succeeds: true,
            restores_fail: false,
            logs: vec!["pg_dump: dumping contents of table \"public.items\"".to_owned()],
            token: TOKEN.to_owned(),
        }
    }
}

/// One request the fake received.
#[derive(Clone, Debug)]
pub(crate) struct Seen {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) host: Option<String>,
    pub(crate) authorization: Option<String>,
}

#[derive(Default)]
struct Inner {
    script: Script,
    seen: Vec<Seen>,
    polls: usize,
    captures: u64,
    restores: Vec<String>,
}

type Shared = Arc<Mutex<Inner>>;

/// A running fake Heroku API on 127.0.0.1.
pub(crate) struct FakeHeroku {
    pub(crate) url: String,
    shared: Shared,
}

impl FakeHeroku {
    /// Starts a fake serving both APIs with `script`.
    pub(crate) fn start(script: Script) -> Self {
        let shared: Shared = Arc::new(Mutex::new(Inner {
            script,
            ..Inner::default()
        }));
        let app = Router::new()
            .route("/actions/addon-attachments/resolve", post(resolve))
            .route("/client/v11/databases/{id}/backups", post(capture))
            .route("/client/v11/databases/{id}/restores", post(restore))
            .route("/client/v11/apps/{app}/transfers", get(transfers))
            .route("/client/v11/apps/{app}/transfers/{uuid}", get(transfer))
            .fallback(fallback)
            .layer(axum::middleware::from_fn_with_state(
                shared.clone(),
                check_and_record,
            ))
            .with_state(shared.clone());
        let url = serve(app);
        Self { url, shared }
    }

    /// Every request received so far.
    pub(crate) fn seen(&self) -> Vec<Seen> {
        lock(&self.shared).seen.clone()
    }

    /// How many transfer polls were answered (whatever the answer).
    pub(crate) fn polls(&self) -> usize {
        lock(&self.shared).polls
    }

    /// The `backup_url`s restores were asked for.
    pub(crate) fn restores(&self) -> Vec<String> {
        lock(&self.shared).restores.clone()
    }
}

/// The two fake APIs, on two hosts (ports), as on Heroku.
pub(crate) struct Apis {
    pub(crate) platform: FakeHeroku,
    pub(crate) data: FakeHeroku,
}

impl Apis {
    /// The Platform API with the default script, the data API with `data_script`.
    pub(crate) fn start(data_script: Script) -> Self {
        Self {
            platform: FakeHeroku::start(Script::default()),
            data: FakeHeroku::start(data_script),
        }
    }

    /// The variables that point slipway's Heroku client at these fakes, with
    /// `key` as `HEROKU_API_KEY`, the fake's app and a 50 ms poll interval.
    pub(crate) fn env(&self, key: &str) -> [(&'static str, String); 5] {
        [
            ("HEROKU_API_KEY", key.to_owned()),
            ("HEROKU_APP_NAME", APP.to_owned()),
            ("SLIPWAY_HEROKU_API_URL", self.platform.url.clone()),
            ("SLIPWAY_HEROKU_DATA_API_URL", self.data.url.clone()),
            ("SLIPWAY_HEROKU_POLL_INTERVAL", "50ms".to_owned()),
        ]
    }
}

/// `slipway-release` in `dir` against `db` with the `heroku` target pointed
/// at `apis` (with the test token), and no other target's variables.
pub(crate) fn slipway_heroku(
    dir: &std::path::Path,
    db: &TestDb,
    apis: &Apis,
) -> assert_cmd::Command {
    let mut cmd = slipway(dir, &db.url);
    for var in TARGET_ENV {
        cmd.env_remove(var);
    }
    cmd.env("SLIPWAY_BACKUP", "heroku").envs(apis.env(TOKEN));
    cmd
}

/// A server that answers 200 to everything and records what it got: the
/// place a leaked token would show up.
pub(crate) struct Elsewhere {
    pub(crate) url: String,
    shared: Shared,
}

impl Elsewhere {
    pub(crate) fn start() -> Self {
        let shared: Shared = Arc::new(Mutex::new(Inner::default()));
        let app = Router::new()
            .fallback(|| async {
                (
                    StatusCode::OK,
                    axum::Json(json!({"finished_at": "2026-01-01T00:00:00Z", "succeeded": true})),
                )
            })
            .layer(axum::middleware::from_fn_with_state(
                shared.clone(),
                record_only,
            ))
            .with_state(shared.clone());
        let url = serve(app);
        Self { url, shared }
    }

    pub(crate) fn seen(&self) -> Vec<Seen> {
        lock(&self.shared).seen.clone()
    }
}

fn lock(shared: &Shared) -> std::sync::MutexGuard<'_, Inner> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Serves `app` on a free port from a background thread; returns its URL.
fn serve(app: Router) -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    format!("http://{addr}")
}

fn remember(shared: &Shared, method: &Method, uri: &Uri, headers: &HeaderMap) {
    let text = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    lock(shared).seen.push(Seen {
        method: method.to_string(),
        path: uri
            .path_and_query()
            .map_or_else(String::new, ToString::to_string),
        host: text(header::HOST),
        authorization: text(header::AUTHORIZATION),
    });
}

async fn record_only(
    State(shared): State<Shared>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    remember(&shared, request.method(), request.uri(), request.headers());
    next.run(request).await
}

/// Records the request, then enforces the documented headers.
async fn check_and_record(
    State(shared): State<Shared>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    remember(&shared, request.method(), request.uri(), request.headers());
    let headers = request.headers();
    let bearer = format!("Bearer {}", lock(&shared).script.token);
    if headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        != Some(bearer.as_str())
    {
        return error(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Invalid credentials provided.",
        );
    }
    if headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) != Some(ACCEPT) {
        return error(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "Accept must be application/vnd.heroku+json; version=3",
        );
    }
    next.run(request).await
}

fn error(status: StatusCode, id: &str, message: &str) -> Response {
    (status, axum::Json(json!({"id": id, "message": message}))).into_response()
}

async fn fallback(uri: Uri) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "not_found",
        &format!("no route for {uri}"),
    )
}

async fn resolve(axum::Json(body): axum::Json<Value>) -> Response {
    let expected = json!({"app": APP, "addon_attachment": "DATABASE_URL", "addon_service": "heroku-postgresql"});
    if body != expected {
        return error(
            StatusCode::NOT_FOUND,
            "not_found",
            "Couldn't find that add-on attachment.",
        );
    }
    axum::Json(json!([{
        "name": "DATABASE",
        "app": {"name": APP},
        "addon": {"id": ADDON_ID, "name": ADDON_NAME, "app": {"name": APP}, "plan": {"name": "heroku-postgresql:essential-0"}},
        "config_vars": ["DATABASE_URL"]
    }]))
    .into_response()
}

fn transfer_json(num: u64, finished: bool, succeeded: bool, logs: Option<&[String]>) -> Value {
    let mut value = json!({
        "uuid": format!("transfer-{num}"),
        "num": num,
        "from_name": "DATABASE",
        "from_type": "pg_dump",
        "to_type": "gof3r",
        "to_url": format!("https://fake-pgbackups.invalid/b{num:03}"),
        "schedule": null,
        "created_at": format!("2026-01-01 00:00:{num:02} +0000"),
        "started_at": "2026-01-01 00:00:00 +0000",
        "finished_at": if finished { json!("2026-01-01 00:01:00 +0000") } else { Value::Null },
        "succeeded": if finished { json!(succeeded) } else { Value::Null },
        "processed_bytes": 4096,
        "options": {},
    });
    if let Some(logs) = logs {
        value["logs"] = logs
            .iter()
            .map(|message| json!({"created_at": "2026-01-01 00:00:30 +0000", "message": message}))
            .collect();
    }
    value
}

async fn capture(State(shared): State<Shared>, Path(id): Path<String>) -> Response {
    if id != ADDON_ID {
        return error(
            StatusCode::NOT_FOUND,
            "not_found",
            "Couldn't find that database.",
        );
    }
    let mut inner = lock(&shared);
    inner.captures += 1;
    let num = 122 + inner.captures;
    axum::Json(transfer_json(num, false, false, None)).into_response()
}

async fn restore(
    State(shared): State<Shared>,
    Path(id): Path<String>,
    axum::Json(body): axum::Json<Value>,
) -> Response {
    if id != ADDON_ID {
        return error(
            StatusCode::NOT_FOUND,
            "not_found",
            "Couldn't find that database.",
        );
    }
    let url = body["backup_url"].as_str().unwrap_or_default().to_owned();
    lock(&shared).restores.push(url);
    let mut restore = transfer_json(900, false, false, None);
    restore["uuid"] = json!("transfer-900");
    restore["from_type"] = json!("gof3r");
    restore["to_type"] = json!("pg_restore");
    axum::Json(restore).into_response()
}

async fn transfers(State(shared): State<Shared>, Path(app): Path<String>) -> Response {
    if app != APP {
        return error(
            StatusCode::NOT_FOUND,
            "not_found",
            "Couldn't find that app.",
        );
    }
    let captures = lock(&shared).captures;
    let list: Vec<Value> = (1..=captures)
        .map(|n| transfer_json(122 + n, true, true, None))
        .collect();
    axum::Json(Value::Array(list)).into_response()
}

async fn transfer(
    State(shared): State<Shared>,
    Path((app, uuid)): Path<(String, String)>,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Response {
    if app != APP {
        return error(
            StatusCode::NOT_FOUND,
            "not_found",
            "Couldn't find that app.",
        );
    }
    let Some(num) = uuid
        .strip_prefix("transfer-")
        .and_then(|n| n.parse::<u64>().ok())
    else {
        return error(
            StatusCode::NOT_FOUND,
            "not_found",
            "Couldn't find that transfer.",
        );
    };
    let mut inner = lock(&shared);
    inner.polls += 1;
    let poll = inner.polls;
    let script = inner.script.clone();
    drop(inner);
    if let Some(target) = &script.redirect_polls_to {
        return (
            StatusCode::FOUND,
            [(
                header::LOCATION,
                format!("{target}/client/v11/apps/{app}/transfers/{uuid}"),
            )],
        )
            .into_response();
    }
    if script.polls_always_fail || poll <= script.failing_polls {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Postgres API is temporarily unavailable.",
        );
    }
    let finished = num == 900 || poll > script.failing_polls + script.polls_before_finish;
    let verbose = query.get("verbose").is_some_and(|v| v == "true");
    let logs = verbose.then_some(script.logs.as_slice());
    let succeeded = if num == 900 {
        !script.restores_fail
    } else {
        script.succeeds
    };
    axum::Json(transfer_json(num, finished, succeeded, logs)).into_response()
}
