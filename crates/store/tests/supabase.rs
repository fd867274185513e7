//! `SupabaseStore` against an in-test HTTP server on loopback.
//!
//! No Supabase can run here, so the server below implements the subset of
//! the Supabase Storage REST protocol (the `storage-api` service mounted at
//! `/storage/v1`) that the store uses, following storage-api's routes and
//! answers:
//!
//! - `POST /object/{bucket}/{*key}` uploads; an existing object is a
//!   `400 {"statusCode":"409","error":"Duplicate"}` unless `x-upsert: true`;
//!   `PUT` replaces an existing object only;
//! - `GET /object/{bucket}/{*key}` downloads (authenticated);
//! - `POST /object/list/{bucket}` `{prefix, limit (default 100), offset,
//!   sortBy, search}` lists ONE folder level, sorted by name, folders as rows
//!   with `id: null`, at most 1000 rows per call whatever `limit` says;
//! - `DELETE /object/{bucket}` `{prefixes: [...]}` deletes, answering the
//!   deleted rows (an empty list when nothing matched);
//! - every route checks `Authorization: Bearer <key>` and `apikey: <key>`;
//! - errors are JSON `{"statusCode":"404","error":"not_found","message":"Object not found"}`,
//!   sent with the matching HTTP status, or, in "legacy" mode (older
//!   storage-api versions), always with HTTP 400.
//!
//! Test hooks: a count of requests and list calls, and "fail the next N
//! requests with 503".
#![cfg(feature = "supabase")]

use agent_core::persist::{ArtifactFiles, ModelInfo, make_manifest, to_blob};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, post};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use store::{
    ArtifactStore, ModelRegistry, PromotePolicy, RetryPolicy, StoreError, SupabaseConfig,
    SupabaseStore,
};

const KEY: &str = "eyJhbGciOiJIUzI1NiJ9.service-role-test-key.do-not-leak";
const MAX_ROWS: usize = 1000;

#[derive(Default)]
struct Mock {
    /// bucket -> object name -> bytes
    objects: Mutex<BTreeMap<String, BTreeMap<String, Vec<u8>>>>,
    requests: AtomicUsize,
    list_calls: AtomicUsize,
    fail_next: AtomicUsize,
    legacy_errors: AtomicBool,
}

impl Mock {
    fn error(&self, status: u16, error: &str, message: &str) -> Response {
        let http = if self.legacy_errors.load(Ordering::Relaxed) {
            400
        } else {
            status
        };
        (
            StatusCode::from_u16(http).unwrap(),
            axum::Json(json!({
                "statusCode": status.to_string(),
                "error": error,
                "message": message,
            })),
        )
            .into_response()
    }

    /// Count, inject failures, check the key: what every route does first.
    /// `Some` is the answer refusing the request.
    fn admit(&self, headers: &HeaderMap) -> Option<Response> {
        self.requests.fetch_add(1, Ordering::Relaxed);
        if self
            .fail_next
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok()
        {
            return Some((
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(
                    json!({"statusCode":"503","error":"ServiceUnavailable","message":"try again"}),
                ),
            )
                .into_response());
        }
        let h = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let bearer_ok = h("authorization") == Some(&format!("Bearer {KEY}"));
        let apikey_ok = h("apikey") == Some(KEY);
        if !bearer_ok || !apikey_ok {
            return Some(self.error(403, "Unauthorized", "invalid signature"));
        }
        None
    }

    fn bucket_exists(&self, bucket: &str) -> bool {
        self.objects.lock().unwrap().contains_key(bucket)
    }
}

type St = State<Arc<Mock>>;

async fn upload(
    State(m): St,
    UrlPath((bucket, key)): UrlPath<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = m.admit(&headers) {
        return r;
    }
    if !m.bucket_exists(&bucket) {
        return m.error(404, "Bucket not found", "Bucket not found");
    }
    let upsert = headers
        .get("x-upsert")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "true");
    let mut objects = m.objects.lock().unwrap();
    let b = objects.get_mut(&bucket).unwrap();
    if b.contains_key(&key) && !upsert {
        drop(objects);
        return m.error(409, "Duplicate", "The resource already exists");
    }
    b.insert(key.clone(), body.to_vec());
    axum::Json(json!({"Key": format!("{bucket}/{key}"), "Id": format!("id-{key}")})).into_response()
}

async fn update(
    State(m): St,
    UrlPath((bucket, key)): UrlPath<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = m.admit(&headers) {
        return r;
    }
    let mut objects = m.objects.lock().unwrap();
    match objects.get_mut(&bucket).and_then(|b| b.get_mut(&key)) {
        Some(v) => {
            *v = body.to_vec();
            axum::Json(json!({"Key": format!("{bucket}/{key}")})).into_response()
        }
        None => {
            drop(objects);
            m.error(404, "not_found", "Object not found")
        }
    }
}

async fn download(
    State(m): St,
    UrlPath((bucket, key)): UrlPath<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if let Some(r) = m.admit(&headers) {
        return r;
    }
    let found = m
        .objects
        .lock()
        .unwrap()
        .get(&bucket)
        .and_then(|b| b.get(&key).cloned());
    match found {
        Some(bytes) => (
            [(axum::http::header::CONTENT_TYPE, "application/octet-stream")],
            bytes,
        )
            .into_response(),
        None => m.error(404, "not_found", "Object not found"),
    }
}

async fn list(
    State(m): St,
    UrlPath(bucket): UrlPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = m.admit(&headers) {
        return r;
    }
    m.list_calls.fetch_add(1, Ordering::Relaxed);
    let Ok(req) = serde_json::from_slice::<Value>(&body) else {
        return m.error(400, "InvalidRequest", "body must be JSON");
    };
    let folder = req["prefix"].as_str().unwrap_or("").trim_matches('/');
    let limit = req["limit"].as_u64().unwrap_or(100) as usize;
    let offset = req["offset"].as_u64().unwrap_or(0) as usize;
    let search = req["search"].as_str().unwrap_or("").to_lowercase();
    let objects = m.objects.lock().unwrap();
    let Some(b) = objects.get(&bucket) else {
        drop(objects);
        return m.error(404, "Bucket not found", "Bucket not found");
    };
    // One folder level: files directly inside, and the sub-folders' names.
    let mut rows: BTreeMap<String, Value> = BTreeMap::new();
    let mut folders = BTreeSet::new();
    for (name, bytes) in b {
        let rel = if folder.is_empty() {
            Some(name.as_str())
        } else {
            name.strip_prefix(&format!("{folder}/"))
        };
        let Some(rel) = rel else { continue };
        match rel.split_once('/') {
            Some((dir, _)) => {
                folders.insert(dir.to_string());
            }
            None => {
                rows.insert(
                    rel.to_string(),
                    json!({
                        "name": rel,
                        "id": format!("id-{name}"),
                        "updated_at": "2026-11-25T10:00:00Z",
                        "created_at": "2026-11-25T10:00:00Z",
                        "last_accessed_at": "2026-11-25T10:00:00Z",
                        "metadata": {"size": bytes.len(), "mimetype": "application/octet-stream"},
                    }),
                );
            }
        }
    }
    for f in folders {
        rows.insert(
            f.clone(),
            json!({"name": f, "id": null, "updated_at": null, "created_at": null,
                   "last_accessed_at": null, "metadata": null}),
        );
    }
    let page: Vec<Value> = rows
        .into_iter()
        .filter(|(name, _)| name.to_lowercase().starts_with(&search))
        .map(|(_, v)| v)
        .skip(offset)
        .take(limit.min(MAX_ROWS))
        .collect();
    axum::Json(page).into_response()
}

async fn remove(
    State(m): St,
    UrlPath(bucket): UrlPath<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(r) = m.admit(&headers) {
        return r;
    }
    let Ok(req) = serde_json::from_slice::<Value>(&body) else {
        return m.error(400, "InvalidRequest", "body must be JSON");
    };
    let Some(prefixes) = req["prefixes"].as_array() else {
        return m.error(400, "InvalidRequest", "body must have prefixes");
    };
    let mut objects = m.objects.lock().unwrap();
    let Some(b) = objects.get_mut(&bucket) else {
        drop(objects);
        return m.error(404, "Bucket not found", "Bucket not found");
    };
    let mut deleted = Vec::new();
    for p in prefixes.iter().filter_map(Value::as_str) {
        if b.remove(p).is_some() {
            deleted.push(json!({"name": p, "bucket_id": bucket}));
        }
    }
    axum::Json(deleted).into_response()
}

struct Server {
    mock: Arc<Mock>,
    rt: Option<tokio::runtime::Runtime>,
    addr: SocketAddr,
}

impl Server {
    fn start() -> Self {
        let mock = Arc::new(Mock::default());
        mock.objects
            .lock()
            .unwrap()
            .insert("models".into(), BTreeMap::new());
        let app = Router::new()
            .route("/storage/v1/object/list/{bucket}", post(list))
            .route("/storage/v1/object/{bucket}", delete(remove))
            .route(
                "/storage/v1/object/{bucket}/{*key}",
                post(upload).put(update).get(download),
            )
            .with_state(mock.clone());
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        rt.spawn(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            let _ = axum::serve(listener, app).await;
        });
        Self {
            mock,
            rt: Some(rt),
            addr,
        }
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn seed(&self, name: &str, bytes: &[u8]) {
        self.mock
            .objects
            .lock()
            .unwrap()
            .get_mut("models")
            .unwrap()
            .insert(name.to_string(), bytes.to_vec());
    }

    fn stored(&self, name: &str) -> Option<Vec<u8>> {
        self.mock.objects.lock().unwrap()["models"]
            .get(name)
            .cloned()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

fn quick_retry(attempts: u32) -> RetryPolicy {
    RetryPolicy {
        attempts,
        base: Duration::from_millis(2),
        max: Duration::from_millis(10),
    }
}

fn store(server: &Server) -> SupabaseStore {
    let mut cfg = SupabaseConfig::new(server.url(), KEY).with_retry(quick_retry(3));
    cfg.connect_timeout = Duration::from_secs(2);
    cfg.timeout = Duration::from_secs(20);
    SupabaseStore::new(cfg).unwrap()
}

#[test]
fn put_get_list_delete_round_trip_with_upsert() {
    let server = Server::start();
    let s = store(&server);
    s.put("models/regime/BTCUSDT/a.ctart", b"alpha").unwrap();
    s.put("models/regime/BTCUSDT/LATEST.json", b"{}").unwrap();
    s.put("models/regime/ETHUSDT/b.ctart", b"beta").unwrap();
    s.put("models/signal/BTCUSDT/c.ctart", b"gamma").unwrap();
    s.put("top.txt", b"root").unwrap();
    assert_eq!(server.stored("top.txt").as_deref(), Some(&b"root"[..]));

    // Upsert: a second upload of the same key replaces it (the original
    // suite's uploads 409'd here).
    s.put("models/regime/BTCUSDT/a.ctart", b"alpha-2").unwrap();
    assert_eq!(
        s.get("models/regime/BTCUSDT/a.ctart").unwrap().as_deref(),
        Some(&b"alpha-2"[..])
    );

    assert_eq!(
        s.list("models/regime/").unwrap(),
        [
            "models/regime/BTCUSDT/LATEST.json",
            "models/regime/BTCUSDT/a.ctart",
            "models/regime/ETHUSDT/b.ctart"
        ]
    );
    assert_eq!(
        s.list("models/reg").unwrap(),
        s.list("models/regime/").unwrap()
    );
    assert_eq!(
        s.list("models/regime/BTCUSDT/a").unwrap(),
        ["models/regime/BTCUSDT/a.ctart"]
    );
    assert_eq!(s.list("").unwrap().len(), 5);
    assert!(s.list("nothing/here").unwrap().is_empty());

    s.delete("models/regime/BTCUSDT/a.ctart").unwrap();
    assert_eq!(s.get("models/regime/BTCUSDT/a.ctart").unwrap(), None);
    s.delete("models/regime/BTCUSDT/a.ctart").unwrap();
    assert_eq!(s.list("models/regime/BTCUSDT/").unwrap().len(), 1);
}

#[test]
fn a_missing_object_is_none_in_both_error_styles() {
    let server = Server::start();
    let s = store(&server);
    assert_eq!(s.get("models/none.bin").unwrap(), None);
    server.mock.legacy_errors.store(true, Ordering::Relaxed);
    assert_eq!(s.get("models/none.bin").unwrap(), None);
    s.delete("models/none.bin").unwrap();
}

#[test]
fn listing_pages_past_a_thousand_objects() {
    let server = Server::start();
    let n = 1005;
    for i in 0..n {
        server.seed(&format!("models/regime/BTCUSDT/{i:05}.ctart"), b"x");
    }
    server.seed("models/regime/BTCUSDT/LATEST.json", b"{}");
    server.seed("models/regime/ETHUSDT/e.ctart", b"y");

    // A small page size: many pages, nothing lost or repeated.
    let mut cfg = SupabaseConfig::new(server.url(), KEY).with_page_size(100);
    cfg.retry = quick_retry(1);
    let small = SupabaseStore::new(cfg).unwrap();
    let keys = small.list("models/regime/BTCUSDT/").unwrap();
    assert_eq!(keys.len(), n + 1);
    assert_eq!(keys[0], "models/regime/BTCUSDT/00000.ctart");
    assert_eq!(keys[n - 1], "models/regime/BTCUSDT/01004.ctart");
    assert!(server.mock.list_calls.load(Ordering::Relaxed) >= 11);
    assert_eq!(small.list("models/").unwrap().len(), n + 2);

    // Asking for more than the server's 1000-row cap must not truncate.
    let big = SupabaseStore::new(
        SupabaseConfig::new(server.url(), KEY)
            .with_page_size(5000)
            .with_retry(quick_retry(1)),
    )
    .unwrap();
    assert_eq!(big.list("models/regime/BTCUSDT/").unwrap().len(), n + 1);
    // The default page size (1000) too.
    let default = store(&server);
    assert_eq!(default.list("models/regime/").unwrap().len(), n + 2);
}

#[test]
fn server_errors_are_retried_and_client_errors_are_not() {
    let server = Server::start();
    let s = store(&server);
    server.mock.fail_next.store(2, Ordering::Relaxed);
    s.put("models/k.bin", b"after two 503s").unwrap();
    assert_eq!(
        server.stored("models/k.bin").as_deref(),
        Some(&b"after two 503s"[..])
    );
    assert_eq!(server.mock.requests.load(Ordering::Relaxed), 3);

    // More failures than attempts: a transient error comes back.
    server.mock.fail_next.store(10, Ordering::Relaxed);
    let err = s.get("models/k.bin").unwrap_err();
    assert!(err.is_transient(), "{err}");
    server.mock.fail_next.store(0, Ordering::Relaxed);

    // A wrong key is a 4xx: one request, no retries.
    let before = server.mock.requests.load(Ordering::Relaxed);
    let wrong = SupabaseStore::new(
        SupabaseConfig::new(server.url(), "not-the-key").with_retry(quick_retry(4)),
    )
    .unwrap();
    let err = wrong.get("models/k.bin").unwrap_err();
    assert!(
        matches!(err, StoreError::Rejected { status: 403, .. }),
        "{err}"
    );
    assert_eq!(server.mock.requests.load(Ordering::Relaxed), before + 1);
}

#[test]
fn secrets_stay_out_of_errors_describe_and_debug() {
    let server = Server::start();
    let url = server.url();
    let wrong_key = "wrong-service-key-0123456789abcdef";
    let wrong = SupabaseStore::new(SupabaseConfig::new(&url, wrong_key).with_retry(quick_retry(1)))
        .unwrap();
    let rejected = wrong.put("models/k.bin", b"x").unwrap_err();
    assert!(
        matches!(rejected, StoreError::Rejected { .. }),
        "{rejected}"
    );

    let good = store(&server);
    drop(server);
    let mut cfg = SupabaseConfig::new(&url, KEY).with_retry(quick_retry(1));
    cfg.connect_timeout = Duration::from_secs(1);
    let down = SupabaseStore::new(cfg).unwrap();
    let unreachable = down.get("models/k.bin").unwrap_err();
    assert!(unreachable.is_transient(), "{unreachable}");

    let texts = format!(
        "{rejected} {rejected:?} {unreachable} {unreachable:?} {wrong:?} {good:?} {:?} {} {}",
        good.config(),
        good.describe(),
        wrong.describe()
    );
    for secret in [KEY, wrong_key] {
        assert!(!texts.contains(secret), "secret leaked in: {texts}");
    }
    assert!(texts.contains("<redacted>"));
}

#[test]
fn registry_publishes_and_loads_through_supabase_under_a_key_prefix() {
    let server = Server::start();
    let s = SupabaseStore::new(
        SupabaseConfig::new(server.url(), KEY)
            .with_prefix("prod")
            .with_retry(quick_retry(2)),
    )
    .unwrap();
    let reg = ModelRegistry::new(s);
    let blob = |payload: u8| {
        let mut files = ArtifactFiles::new();
        files.insert("weights.bin", vec![payload; 256]).unwrap();
        let mut m = make_manifest("regime", "0.1.0", 1, ModelInfo::default(), &files);
        m.created_at = format!("2026-11-25T10:00:{payload:02}Z");
        to_blob(&m, &files).unwrap()
    };
    let a = reg
        .publish_blob(&blob(1), "BTCUSDT", PromotePolicy::Always)
        .unwrap();
    let b = reg
        .publish_blob(&blob(2), "BTCUSDT", PromotePolicy::Always)
        .unwrap();
    let (pointer, bytes) = reg.fetch_latest("regime", "BTCUSDT").unwrap();
    assert_eq!(pointer.key, b.key);
    assert_eq!(bytes, blob(2));
    assert_eq!(
        reg.versions("regime", "BTCUSDT").unwrap(),
        [a.key.clone(), b.key]
    );
    assert!(
        server
            .stored("prod/models/regime/BTCUSDT/LATEST.json")
            .is_some()
    );

    // A blob altered on the server fails the pointer's sha256.
    server.seed(&format!("prod/{}", pointer.key), &blob(3));
    assert!(matches!(
        reg.fetch_latest("regime", "BTCUSDT"),
        Err(StoreError::Corrupt { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sync_api_works_inside_a_tokio_runtime() {
    let server = Server::start();
    let s = store(&server);
    s.put("models/rt/k.bin", b"inside").unwrap();
    assert_eq!(
        s.get("models/rt/k.bin").unwrap().as_deref(),
        Some(&b"inside"[..])
    );
    assert_eq!(s.list("models/").unwrap(), ["models/rt/k.bin"]);
    drop(s);
    drop(server);
}

#[test]
fn from_env_reads_the_original_suites_variables() {
    // The only test in this binary that touches the environment.
    let vars = [
        "SUPABASE_URL",
        "SUPABASE_SERVICE_ROLE_KEY",
        "SUPABASE_SERVICE_KEY",
        "SUPABASE_KEY",
        "CT_MODELS_BUCKET",
        "MODELS_BUCKET",
        "CT_SUPABASE_PREFIX",
    ];
    // SAFETY: no other test in this binary reads or writes these variables.
    let set = |k: &str, v: Option<&str>| unsafe {
        match v {
            Some(v) => std::env::set_var(k, v),
            None => std::env::remove_var(k),
        }
    };
    for v in vars {
        set(v, None);
    }
    assert!(matches!(
        SupabaseConfig::from_env(),
        Err(StoreError::Config(_))
    ));
    set("SUPABASE_URL", Some("https://abcd.supabase.co/"));
    let err = SupabaseConfig::from_env().unwrap_err().to_string();
    assert!(err.contains("SUPABASE_KEY"), "{err}");

    set("SUPABASE_KEY", Some("anon-key"));
    let cfg = SupabaseConfig::from_env().unwrap();
    assert_eq!(cfg.key.expose(), "anon-key");
    assert_eq!(cfg.bucket, "models");
    assert_eq!(cfg.url, "https://abcd.supabase.co");

    set("SUPABASE_SERVICE_KEY", Some("service-key"));
    assert_eq!(
        SupabaseConfig::from_env().unwrap().key.expose(),
        "service-key"
    );
    set("SUPABASE_SERVICE_ROLE_KEY", Some("service-role-key"));
    assert_eq!(
        SupabaseConfig::from_env().unwrap().key.expose(),
        "service-role-key"
    );
    // An empty variable does not shadow the next one.
    set("SUPABASE_SERVICE_ROLE_KEY", Some(""));
    assert_eq!(
        SupabaseConfig::from_env().unwrap().key.expose(),
        "service-key"
    );

    set("MODELS_BUCKET", Some("legacy"));
    assert_eq!(SupabaseConfig::from_env().unwrap().bucket, "legacy");
    set("CT_MODELS_BUCKET", Some("ct-models"));
    set("CT_SUPABASE_PREFIX", Some("/prod/"));
    let cfg = SupabaseConfig::from_env().unwrap();
    assert_eq!(cfg.bucket, "ct-models");
    assert_eq!(cfg.prefix.as_deref(), Some("prod"));
    assert!(SupabaseStore::new(cfg).is_ok());
    for v in vars {
        set(v, None);
    }
}

#[test]
fn an_object_over_max_object_bytes_is_refused_from_its_length() {
    let server = Server::start();
    server.seed("models/big.ctart", &[7u8; 4096]);
    server.seed("models/fits.ctart", &[7u8; 1000]);
    let mut cfg = SupabaseConfig::new(server.url(), KEY)
        .with_retry(quick_retry(3))
        .with_max_object_bytes(1000);
    cfg.timeout = Duration::from_secs(20);
    let s = SupabaseStore::new(cfg).unwrap();
    assert_eq!(
        s.get("models/fits.ctart").unwrap().map(|b| b.len()),
        Some(1000)
    );
    let before = server.mock.requests.load(Ordering::Relaxed);
    let err = s.get("models/big.ctart").unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{text}");
    assert!(
        text.contains("4096 bytes") && text.contains("more than the 1000 allowed"),
        "{text}"
    );
    assert!(
        !text.contains(KEY) && !text.contains("service-role"),
        "{text}"
    );
    // Not retried: a bigger object will not shrink.
    assert_eq!(server.mock.requests.load(Ordering::Relaxed), before + 1);
}

/// A loopback HTTP/1.1 server answering every request with 200 and a
/// chunked body that never ends (no `Content-Length`); counts the bytes it
/// managed to send.
fn endless_body_server() -> (String, Arc<AtomicUsize>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let sent = Arc::new(AtomicUsize::new(0));
    let counter = sent.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut sock) = conn else { continue };
            let sent = counter.clone();
            std::thread::spawn(move || {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = sock.write_all(
                    b"HTTP/1.1 200 OK\r\ncontent-type: application/octet-stream\r\ntransfer-encoding: chunked\r\n\r\n",
                );
                let chunk = format!("1000\r\n{}\r\n", "x".repeat(0x1000));
                while sock.write_all(chunk.as_bytes()).is_ok() {
                    sent.fetch_add(0x1000, Ordering::Relaxed);
                }
            });
        }
    });
    (url, sent)
}

#[test]
fn a_body_that_never_ends_is_cut_off_past_max_object_bytes() {
    let (url, sent) = endless_body_server();
    let mut cfg = SupabaseConfig::new(url, KEY)
        .with_retry(quick_retry(3))
        .with_max_object_bytes(64 << 10);
    cfg.timeout = Duration::from_secs(60);
    let s = SupabaseStore::new(cfg).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(s.get("models/endless.ctart").map(|b| b.map(|b| b.len())));
    });
    let err = rx
        .recv_timeout(Duration::from_secs(15))
        .expect("the download was not cut off")
        .unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{text}");
    assert!(
        text.contains(&format!("more than the {} allowed", 64 << 10)),
        "{text}"
    );
    assert!(!text.contains(KEY), "{text}");
    // The client stopped reading: the server could not push more than what
    // socket buffers hold past the limit.
    std::thread::sleep(Duration::from_millis(200));
    let n = sent.load(Ordering::Relaxed);
    assert!(n < 64 << 20, "the server sent {n} bytes");
}
