//! The HTTP service: `POST /train_model` queues a job and answers at once with
//! its id; jobs train in the background, at most `max_concurrent` at a time.
//! Handlers only parse, validate and hand over to the job runner.
//!
//! Routes: `POST /train_model`, `GET /jobs`, `GET /jobs/{id}`, `GET /models`,
//! `GET /healthz`, `GET /metrics` (Prometheus text). All but `/healthz` need
//! `Authorization: Bearer <token>` when a token is configured (an optional
//! read-only token opens the `GET` routes only); [`serve`]
//! refuses to start without one unless it listens on a loopback address and
//! was told so explicitly ([`ServerConfig::insecure_no_auth`]).
//!
//! What a client can reach is bounded:
//! - candle files only inside the data roots ([`DataRoots`]); refusals read
//!   the same whether a file is missing or off limits, and job errors never
//!   quote a file's content;
//! - uploads go to a private directory (mode 0700) under unpredictable
//!   names, are written only once the job is admitted, count against a disk
//!   cap, and are deleted when their job ends however it ends;
//! - at shutdown, jobs still running after the grace period are cancelled
//!   and never publish (see [`ServiceHandle::drain`]).
//!
//! The job table is saved atomically after every change of state, so job
//! ids keep counting and finished jobs stay visible across restarts.

use crate::jobs::{DataRoots, DataSpec, JobOutcome, JobRunner, JobSpec};
use agent_core::cancel::CancelToken;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, Semaphore};

/// A bearer token that never prints itself.
#[derive(Clone)]
pub struct ApiToken(String);

impl ApiToken {
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// Compares SHA-256 digests byte by byte without stopping early: the
    /// time taken depends on neither the token's content nor its length.
    fn matches(&self, candidate: &[u8]) -> bool {
        let a = agent_core::persist::sha256_hex(self.0.as_bytes());
        let b = agent_core::persist::sha256_hex(candidate);
        let diff = a
            .bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y));
        std::hint::black_box(diff) == 0 && a.len() == b.len()
    }
}

impl std::fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ApiToken(***)")
    }
}

/// How the service runs.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub addr: SocketAddr,
    /// The bearer token every route but `/healthz` needs.
    pub token: Option<ApiToken>,
    /// A second token that may only read (`GET` routes); only with `token`.
    pub read_token: Option<ApiToken>,
    /// Serve without a token; [`serve`] allows it on a loopback address only.
    pub insecure_no_auth: bool,
    /// Jobs training at once.
    pub max_concurrent: usize,
    /// Jobs waiting at most; more are refused with 503.
    pub max_queue: usize,
    /// Largest request body (JSON or CSV upload).
    pub body_limit: usize,
    /// The service's private directory for uploaded CSVs.
    pub upload_dir: PathBuf,
    /// Most bytes the uploads of queued and running jobs take together.
    pub upload_cap: u64,
    /// Where JSON jobs may read candle files (`data.csv`, `data.csv_files`).
    pub data_roots: DataRoots,
    /// The saved job table; `None` keeps it in memory only.
    pub jobs_file: Option<PathBuf>,
    /// How long shutdown waits for running jobs before cancelling them.
    pub grace: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 5000)),
            token: None,
            read_token: None,
            insecure_no_auth: false,
            max_concurrent: 1,
            max_queue: 16,
            body_limit: 64 * 1024 * 1024,
            upload_dir: PathBuf::from("cointrainer-data/uploads"),
            upload_cap: 1024 * 1024 * 1024,
            data_roots: DataRoots::default(),
            jobs_file: None,
            grace: Duration::from_secs(300),
        }
    }
}

/// Whether the service may start with this token setting: a token always;
/// no token only on a loopback address and with `insecure_no_auth`.
pub fn check_auth(
    addr: &SocketAddr,
    has_token: bool,
    insecure_no_auth: bool,
) -> Result<(), String> {
    match (has_token, insecure_no_auth, addr.ip().is_loopback()) {
        (true, _, _) | (false, true, true) => Ok(()),
        (false, true, false) => Err(format!(
            "--insecure-no-auth is only allowed on a loopback address (127.0.0.1 or ::1), not {addr}: \
             anyone who can reach the port could train and publish models; set a bearer token instead"
        )),
        (false, false, _) => Err(format!(
            "refusing to serve on {addr} without a bearer token: set the token's environment variable \
             (COINTRAINER_TOKEN unless server.token_env names another), or, for local use only, \
             listen on 127.0.0.1 and pass --insecure-no-auth"
        )),
    }
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Queued,
    Running,
    Succeeded,
    Failed,
    /// The service shut down before the job could finish; it published nothing.
    Interrupted,
}

impl JobState {
    fn unfinished(self) -> bool {
        matches!(self, JobState::Queued | JobState::Running)
    }

    fn name(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Succeeded => "succeeded",
            JobState::Failed => "failed",
            JobState::Interrupted => "interrupted",
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobRecord {
    pub id: u64,
    pub state: JobState,
    /// The job as the client sent it (an upload shows as `data.upload`).
    pub spec: JobSpec,
    pub progress: f64,
    pub submitted_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub outcome: Option<JobOutcome>,
    pub error: Option<String>,
}

/// Finished jobs kept in the table (and its file); older ones are dropped.
const MAX_FINISHED_JOBS: usize = 1000;
/// Largest job table file read at start (a thousand finished jobs with
/// their specs, metrics and messages take a few MiB).
pub const MAX_JOBS_FILE_BYTES: u64 = 64 << 20;
/// How long shutdown waits, after the grace period, for a job that had
/// already begun publishing its model (a few store writes).
const PUBLISH_WAIT: Duration = Duration::from_secs(30);

/// An uploaded CSV kept for its job; dropping it deletes the file, so every
/// way a job or a request ends cleans up.
#[derive(Debug)]
struct UploadFile {
    path: PathBuf,
    bytes: u64,
}

impl Drop for UploadFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// What only a queued or running job has.
struct LiveJob {
    cancel: CancelToken,
    upload: Option<UploadFile>,
}

#[derive(Default)]
struct Table {
    records: BTreeMap<u64, JobRecord>,
    live: HashMap<u64, LiveJob>,
    next_id: u64,
    /// Uploads admitted but not yet in `records`.
    pending: usize,
    /// Bytes of the uploads of pending, queued and running jobs.
    upload_bytes: u64,
}

impl Table {
    fn active(&self) -> usize {
        self.records
            .values()
            .filter(|j| j.state.unfinished())
            .count()
            + self.pending
    }

    fn running(&self) -> usize {
        self.records
            .values()
            .filter(|j| j.state == JobState::Running)
            .count()
    }

    fn is_unfinished(&self, id: u64) -> bool {
        self.records.get(&id).is_some_and(|j| j.state.unfinished())
    }

    /// Take a job's live part off the table; dropping it deletes its upload.
    fn remove_live(&mut self, id: u64) -> Option<LiveJob> {
        let live = self.live.remove(&id)?;
        if let Some(u) = &live.upload {
            self.upload_bytes = self.upload_bytes.saturating_sub(u.bytes);
        }
        Some(live)
    }

    fn prune(&mut self) {
        let finished: Vec<u64> = self
            .records
            .values()
            .filter(|j| !j.state.unfinished())
            .map(|j| j.id)
            .collect();
        for id in finished
            .iter()
            .take(finished.len().saturating_sub(MAX_FINISHED_JOBS))
        {
            self.records.remove(id);
        }
    }
}

/// The saved job table.
#[derive(Serialize, Deserialize)]
struct JobsFile {
    next_id: u64,
    jobs: Vec<JobRecord>,
}

struct Shared {
    runner: Arc<dyn JobRunner>,
    config: ServerConfig,
    table: Mutex<Table>,
    /// Serialises writes of the jobs file, so the last write is the newest table.
    persist_lock: Mutex<()>,
    slots: Arc<Semaphore>,
    shutting_down: AtomicBool,
    idle: Notify,
    requests: AtomicU64,
    unauthorized: AtomicU64,
}

type AppState = Arc<Shared>;

impl Shared {
    fn table(&self) -> std::sync::MutexGuard<'_, Table> {
        self.table.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Save the job table (when configured). A failure is reported and
    /// serving goes on: the table in memory is still right.
    fn persist(&self) {
        let Some(path) = &self.config.jobs_file else {
            return;
        };
        let _one_writer = self.persist_lock.lock().unwrap_or_else(|p| p.into_inner());
        let text = {
            let t = self.table();
            serde_json::to_vec(&JobsFile {
                next_id: t.next_id,
                jobs: t.records.values().cloned().collect(),
            })
        };
        let result = text
            .map_err(|e| e.to_string())
            .and_then(|b| agent_core::write_atomic(path, &b).map_err(|e| e.to_string()));
        if let Err(e) = result {
            eprintln!("warning: cannot save the job table: {e}");
        }
    }

    /// Save the table off the async workers (the write is fsynced); the
    /// write lock and a snapshot taken under it keep the newest table last.
    fn persist_soon(self: &Arc<Self>) {
        if self.config.jobs_file.is_some() {
            let s = self.clone();
            tokio::task::spawn_blocking(move || s.persist());
        }
    }

    /// Save the table and wait for the write (at shutdown).
    async fn persist_final(self: &Arc<Self>) {
        let s = self.clone();
        let _ = tokio::task::spawn_blocking(move || s.persist()).await;
    }

    /// Wait until `done` holds for the table or `deadline` passes.
    async fn wait_until(&self, deadline: tokio::time::Instant, done: impl Fn(&Table) -> bool) {
        loop {
            let notified = self.idle.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if done(&self.table()) || tokio::time::Instant::now() >= deadline {
                return;
            }
            let _ = tokio::time::timeout_at(deadline, notified).await;
        }
    }
}

/// Read the saved table: jobs it shows as queued or running were cut off by
/// a crash and are marked interrupted. At most [`MAX_JOBS_FILE_BYTES`] are
/// read, never through a symbolic link (the file is only ever written by
/// `write_atomic`); a FIFO or device is refused, not read.
fn load_jobs(path: &std::path::Path) -> Result<Table, String> {
    use agent_core::{CoreError, persist};
    let text = match persist::read_bounded(path, MAX_JOBS_FILE_BYTES, persist::Symlinks::Refuse) {
        Ok(t) => t,
        Err(CoreError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Table {
                next_id: 1,
                ..Table::default()
            });
        }
        Err(e) => return Err(format!("cannot read the job table: {e}")),
    };
    let file: JobsFile = serde_json::from_slice(&text).map_err(|e| {
        format!(
            "the job table {} is not valid ({}); move it aside to start with an empty table",
            path.display(),
            store::describe_json_error(&e)
        )
    })?;
    let mut t = Table {
        next_id: file.next_id.max(1),
        ..Table::default()
    };
    for mut j in file.jobs {
        if j.state.unfinished() {
            j.state = JobState::Interrupted;
            j.finished_at.get_or_insert_with(now);
            j.error =
                Some("the service stopped before the job finished; nothing was published".into());
        }
        t.next_id = t.next_id.max(j.id.saturating_add(1));
        t.records.insert(j.id, j);
    }
    t.prune();
    Ok(t)
}

/// Create (or check) the private upload directory and remove uploads a
/// crashed run left behind.
fn prepare_upload_dir(dir: &std::path::Path) -> Result<(), String> {
    let fail = |what: &str, e: &dyn std::fmt::Display| {
        format!("upload directory {}: {what}: {e}", dir.display())
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| fail("cannot create it", &e))?;
        let meta = std::fs::symlink_metadata(dir).map_err(|e| fail("cannot read it", &e))?;
        if !meta.is_dir() {
            return Err(fail(
                "not a directory",
                &"it must be a real directory, not a link",
            ));
        }
        // SAFETY: geteuid has no preconditions and cannot fail.
        let me = unsafe { libc::geteuid() };
        if meta.uid() != me {
            return Err(fail("not owned by this user", &"uploads must be private"));
        }
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
            .map_err(|e| fail("cannot make it private", &e))?;
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir).map_err(|e| fail("cannot create it", &e))?;
    let entries = std::fs::read_dir(dir).map_err(|e| fail("cannot list it", &e))?;
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = (name.starts_with("upload-") && name.ends_with(".csv"))
            || (name.starts_with(".upload-") && name.ends_with(".tmp"));
        if ours {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    Ok(())
}

/// 128 random bits as hex, from the operating system's generator.
fn random_hex() -> std::io::Result<String> {
    let mut b = [0u8; 16];
    #[cfg(unix)]
    {
        use std::io::Read;
        std::fs::File::open("/dev/urandom")?.read_exact(&mut b)?;
    }
    #[cfg(not(unix))]
    {
        // SipHash keyed with per-process random keys: unpredictable without them.
        use std::hash::{BuildHasher, Hasher};
        static N: AtomicU64 = AtomicU64::new(0);
        for half in b.chunks_mut(8) {
            let mut h = std::collections::hash_map::RandomState::new().build_hasher();
            h.write_u64(N.fetch_add(1, Ordering::Relaxed));
            half.copy_from_slice(&h.finish().to_le_bytes());
        }
    }
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// An error response with a JSON body `{"error": ...}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: String,
}

impl ApiError {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(json!({ "error": self.message }))).into_response()
    }
}

fn now() -> String {
    agent_core::persist::now_rfc3339()
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// Build the router (exposed for tests and embedding): prepares the upload
/// directory and loads the saved job table.
pub fn router(
    runner: Arc<dyn JobRunner>,
    config: ServerConfig,
) -> Result<(Router, ServiceHandle), String> {
    prepare_upload_dir(&config.upload_dir)?;
    let table = match &config.jobs_file {
        Some(p) => load_jobs(p)?,
        None => Table {
            next_id: 1,
            ..Table::default()
        },
    };
    let limit = config.body_limit;
    let state: AppState = Arc::new(Shared {
        runner,
        slots: Arc::new(Semaphore::new(config.max_concurrent.max(1))),
        config,
        table: Mutex::new(table),
        persist_lock: Mutex::new(()),
        shutting_down: AtomicBool::new(false),
        idle: Notify::new(),
        requests: AtomicU64::new(0),
        unauthorized: AtomicU64::new(0),
    });
    state.persist();
    let protected = Router::new()
        .route("/train_model", post(train_model))
        .route("/jobs", get(list_jobs))
        .route("/jobs/{id}", get(get_job))
        .route("/models", get(models))
        .route("/metrics", get(metrics))
        .route_layer(middleware::from_fn_with_state(state.clone(), auth));
    let app = Router::new()
        .route("/healthz", get(healthz))
        .merge(protected)
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such route") })
        .layer(DefaultBodyLimit::max(limit))
        .with_state(state.clone());
    Ok((app, ServiceHandle { state }))
}

/// Lets the owner drain jobs at shutdown.
#[derive(Clone)]
pub struct ServiceHandle {
    state: AppState,
}

impl ServiceHandle {
    /// Stop taking jobs and wait up to the grace period for running ones.
    /// Then every unfinished job is cancelled and marked interrupted: its
    /// training stops at its next check, its upload is deleted, and it never
    /// publishes. A job that had already begun publishing when the grace
    /// period ended is not cut off half-way; it is given up to
    /// 30 more seconds to finish and reports its real outcome. Returns how
    /// many jobs were interrupted.
    pub async fn drain(&self) -> usize {
        let s = &self.state;
        s.shutting_down.store(true, Ordering::SeqCst);
        // Queued jobs stop waiting for a slot.
        s.slots.close();
        let deadline = tokio::time::Instant::now() + s.config.grace;
        s.wait_until(deadline, |t| t.running() == 0).await;

        let (mut n, publishing, cleaned) = {
            let mut guard = s.table();
            let t = &mut *guard;
            let ids: Vec<u64> = t
                .records
                .values()
                .filter(|j| j.state.unfinished())
                .map(|j| j.id)
                .collect();
            let (mut n, mut publishing, mut cleaned) = (0, Vec::new(), Vec::new());
            for id in ids {
                if t.live.get(&id).is_some_and(|l| !l.cancel.cancel()) {
                    publishing.push(id);
                    continue;
                }
                if let Some(j) = t.records.get_mut(&id) {
                    j.error = Some(match j.state {
                        JobState::Running => format!(
                            "cancelled: the service shut down and the job did not finish within the {} s grace period; nothing was published",
                            s.config.grace.as_secs()
                        ),
                        _ => "the service shut down before the job started".to_string(),
                    });
                    j.state = JobState::Interrupted;
                    j.finished_at = Some(now());
                }
                cleaned.extend(t.remove_live(id));
                n += 1;
            }
            (n, publishing, cleaned)
        };
        drop(cleaned);
        s.persist_final().await;
        if !publishing.is_empty() {
            let until = tokio::time::Instant::now() + PUBLISH_WAIT;
            s.wait_until(until, |t| publishing.iter().all(|&id| !t.is_unfinished(id)))
                .await;
            let cleaned: Vec<LiveJob> = {
                let mut guard = s.table();
                let t = &mut *guard;
                let mut cleaned = Vec::new();
                for &id in &publishing {
                    if let Some(j) = t.records.get_mut(&id)
                        && j.state.unfinished()
                    {
                        j.state = JobState::Interrupted;
                        j.finished_at = Some(now());
                        j.error = Some(
                            "the service shut down while the job was publishing its model; \
                             GET /models shows whether it became current"
                                .into(),
                        );
                        cleaned.extend(t.remove_live(id));
                        n += 1;
                    }
                }
                cleaned
            };
            drop(cleaned);
            s.persist_final().await;
        }
        n
    }

    pub fn job(&self, id: u64) -> Option<JobRecord> {
        self.state.table().records.get(&id).cloned()
    }
}

async fn auth(State(s): State<AppState>, headers: HeaderMap, req: Request, next: Next) -> Response {
    s.requests.fetch_add(1, Ordering::Relaxed);
    if let Some(token) = &s.config.token {
        let given = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::as_bytes)
            .unwrap_or(b"");
        // Both comparisons always run, so timing does not tell which matched.
        let full = token.matches(given);
        let read = s
            .config
            .read_token
            .as_ref()
            .is_some_and(|r| r.matches(given));
        if !full && !read {
            s.unauthorized.fetch_add(1, Ordering::Relaxed);
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                Json(json!({"error": "missing or wrong bearer token"})),
            )
                .into_response();
        }
        if !full && req.method() != axum::http::Method::GET {
            s.unauthorized.fetch_add(1, Ordering::Relaxed);
            return ApiError::new(
                StatusCode::FORBIDDEN,
                "this token may only read (GET); submitting jobs needs the service token",
            )
            .into_response();
        }
    }
    next.run(req).await
}

async fn healthz(State(s): State<AppState>) -> Json<Value> {
    Json(json!({
        "status": if s.shutting_down.load(Ordering::SeqCst) { "shutting_down" } else { "ok" },
        "version": env!("CARGO_PKG_VERSION"),
        "agents": s.runner.agents(),
    }))
}

fn bad_request(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::BAD_REQUEST, message)
}

fn unprocessable(message: impl Into<String>) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message)
}

fn queue_full(s: &Shared) -> ApiError {
    ApiError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        format!(
            "job queue is full ({} waiting); retry later",
            s.config.max_queue
        ),
    )
}

fn shutting_down() -> ApiError {
    ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "shutting down")
}

fn capacity(s: &Shared) -> usize {
    s.config.max_queue + s.config.max_concurrent.max(1)
}

/// Pairs of (path the job reads, what the client called it), so messages
/// show clients their own names and not the server's layout.
fn shown_paths(client: &DataSpec, run: &DataSpec) -> Vec<(String, String)> {
    let shown = |r: &PathBuf, c: &PathBuf| (r.display().to_string(), c.display().to_string());
    match (client, run) {
        (DataSpec::Csv { path: c }, DataSpec::Csv { path: r }) => vec![shown(r, c)],
        (DataSpec::CsvFiles { paths: c }, DataSpec::CsvFiles { paths: r }) => {
            r.iter().zip(c).map(|(r, c)| shown(r, c)).collect()
        }
        (DataSpec::Upload { .. }, DataSpec::Csv { path: r }) => {
            vec![(r.display().to_string(), "uploaded csv".to_string())]
        }
        _ => Vec::new(),
    }
}

fn client_text(message: &str, shown: &[(String, String)]) -> String {
    shown
        .iter()
        .fold(message.to_string(), |m, (real, name)| m.replace(real, name))
}

/// Checks that need no disk: agent, params shape, symbol, synthetic size.
fn validate(s: &AppState, spec: &JobSpec) -> Result<(), ApiError> {
    let agents = s.runner.agents();
    if !agents.contains(&spec.agent) {
        return Err(unprocessable(format!(
            "unknown agent `{}`; this build trains: {}",
            spec.agent,
            agents.join(", ")
        )));
    }
    if !spec.params.is_object() {
        return Err(unprocessable("`params` must be a JSON object"));
    }
    if let Some(symbol) = &spec.symbol
        && (symbol.is_empty()
            || symbol.len() > 64
            || !symbol
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')))
    {
        let shown: String = symbol.chars().take(64).collect();
        return Err(unprocessable(format!(
            "symbol `{shown}` must be 1 to 64 letters, digits, `_`, `-` or `.`"
        )));
    }
    if let DataSpec::Synthetic { bars, .. } = spec.data
        && !(500..=2_000_000).contains(&bars)
    {
        return Err(unprocessable(format!(
            "data.synthetic.bars = {bars} must be between 500 and 2000000"
        )));
    }
    Ok(())
}

/// A JSON body that does not parse: syntax and unknown keys are the
/// client's malformed request (400); a known key with a wrong value is a
/// well-formed but invalid job (422).
fn json_error(e: &serde_json::Error) -> ApiError {
    use serde_json::error::Category;
    match e.classify() {
        Category::Data if !e.to_string().starts_with("unknown field") => {
            unprocessable(format!("invalid job: {e}"))
        }
        Category::Data => bad_request(format!("{e}")),
        _ => bad_request(format!("body is not valid JSON: {e}")),
    }
}

async fn train_model(State(s): State<AppState>, req: Request) -> Result<Response, ApiError> {
    if s.shutting_down.load(Ordering::SeqCst) {
        return Err(shutting_down());
    }
    let ctype = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let essence = ctype.split(';').next().unwrap_or("").trim().to_string();
    match essence.as_str() {
        "application/json" => submit_json(s, req).await,
        "multipart/form-data" => submit_upload(s, req).await,
        "" => Err(bad_request(
            "missing Content-Type: send the job as application/json, or the candle file as multipart/form-data",
        )),
        other => {
            let shown: String = other.chars().take(100).collect();
            Err(bad_request(format!(
                "Content-Type `{shown}` is not accepted: send application/json or multipart/form-data"
            )))
        }
    }
}

async fn submit_json(s: AppState, req: Request) -> Result<Response, ApiError> {
    let body = Bytes::from_request(req, &())
        .await
        .map_err(|e| ApiError::new(e.status(), e.body_text()))?;
    let spec: JobSpec = serde_json::from_slice(&body).map_err(|e| json_error(&e))?;
    validate(&s, &spec)?;
    let data = s
        .config
        .data_roots
        .resolve_spec(&spec.data)
        .map_err(unprocessable)?;
    let run_spec = JobSpec {
        data,
        ..spec.clone()
    };
    let shown = shown_paths(&spec.data, &run_spec.data);
    s.runner
        .validate(&run_spec)
        .map_err(|e| unprocessable(client_text(&e, &shown)))?;
    admit(&s, spec, run_spec)
}

/// Admission of an upload before its file exists: counts against the
/// queue and the disk cap; released on drop unless the job was admitted.
struct Reservation {
    s: AppState,
    bytes: u64,
    held: bool,
}

impl Reservation {
    fn take(s: &AppState, bytes: u64) -> Result<Self, ApiError> {
        let cap = s.config.upload_cap;
        let mut t = s.table();
        if s.shutting_down.load(Ordering::SeqCst) {
            return Err(shutting_down());
        }
        if t.active() >= capacity(s) {
            return Err(queue_full(s));
        }
        if bytes > cap {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                format!(
                    "the uploaded file is {}; this service keeps at most {} of uploads (server.upload_cap_mb)",
                    mib(bytes),
                    mib(cap)
                ),
            ));
        }
        if t.upload_bytes + bytes > cap {
            return Err(ApiError::new(
                StatusCode::INSUFFICIENT_STORAGE,
                format!(
                    "uploads of queued and running jobs already take {} of the {} allowed \
                     (server.upload_cap_mb); retry when jobs have finished",
                    mib(t.upload_bytes),
                    mib(cap)
                ),
            ));
        }
        t.pending += 1;
        t.upload_bytes += bytes;
        Ok(Self {
            s: s.clone(),
            bytes,
            held: true,
        })
    }

    /// The job is admitted: its bytes now belong to its live entry.
    fn settle(mut self, t: &mut Table) {
        t.pending = t.pending.saturating_sub(1);
        self.held = false;
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if self.held {
            let mut t = self.s.table();
            t.pending = t.pending.saturating_sub(1);
            t.upload_bytes = t.upload_bytes.saturating_sub(self.bytes);
        }
    }
}

/// The original suite's form: the candle file in field `csv`, optional
/// `agent` (default `signal`) and `symbol` fields.
async fn submit_upload(s: AppState, req: Request) -> Result<Response, ApiError> {
    // Refuse before reading a body that could not be queued anyway.
    if s.table().active() >= capacity(&s) {
        return Err(queue_full(&s));
    }
    let mut mp = Multipart::from_request(req, &())
        .await
        .map_err(|e| bad_request(e.body_text()))?;
    let mut agent = "signal".to_string();
    // Default: the symbol the uploaded file's name stands for.
    let mut symbol: Option<String> = None;
    let mut file_symbol: Option<String> = None;
    let mut csv: Option<Bytes> = None;
    let mut promote: Option<crate::promotion::PromoteRule> = None;
    let mut device = crate::device::Device::Cpu;
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|e| ApiError::new(e.status(), e.body_text()))?
    {
        let name = field.name().unwrap_or("").to_string();
        if name == "csv" {
            file_symbol = field
                .file_name()
                .map(|f| crate::orchestrator::symbol_of(std::path::Path::new(f)));
        }
        let bytes = field
            .bytes()
            .await
            .map_err(|e| ApiError::new(e.status(), e.body_text()))?;
        match name.as_str() {
            "csv" => csv = Some(bytes),
            "agent" => agent = String::from_utf8_lossy(&bytes).trim().to_string(),
            "symbol" => symbol = Some(String::from_utf8_lossy(&bytes).trim().to_string()),
            "promote" => {
                let text = String::from_utf8_lossy(&bytes).trim().to_string();
                promote = Some(serde_json::from_value(Value::String(text)).map_err(|_| {
                    bad_request(
                        "form field `promote` must be one of same-slice, stored-metric, \
                             always, never",
                    )
                })?);
            }
            "device" => {
                let text = String::from_utf8_lossy(&bytes);
                device = text
                    .trim()
                    .parse()
                    .map_err(|e| bad_request(format!("form field `device`: {e}")))?;
            }
            other => {
                let shown: String = other.chars().take(100).collect();
                return Err(bad_request(format!(
                    "unknown form field `{shown}` (expected csv, agent, symbol, promote, device)"
                )));
            }
        }
    }
    let csv = csv.ok_or_else(|| unprocessable("form field `csv` (the candle file) is required"))?;
    // The client's own bytes: the reader's full message (line, column,
    // value) helps them fix the file and tells them nothing new.
    market::parse_candles(&csv, "uploaded csv").map_err(|e| unprocessable(e.to_string()))?;
    let bytes = csv.len() as u64;
    let spec = JobSpec {
        agent,
        data: DataSpec::Upload { bytes },
        params: json!({}),
        symbol: symbol.or(file_symbol),
        force: false,
        promote,
        per_symbol: false,
        device,
    };
    validate(&s, &spec)?;
    s.runner.validate(&spec).map_err(unprocessable)?;

    let reservation = Reservation::take(&s, bytes)?;
    let name = random_hex().map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot name the upload: {e}"),
        )
    })?;
    let upload = UploadFile {
        path: s.config.upload_dir.join(format!("upload-{name}.csv")),
        bytes,
    };
    // The guard travels with the write: should this request be dropped
    // meanwhile, the finished write's result drops it and the file goes.
    let upload = tokio::task::spawn_blocking(move || {
        agent_core::write_atomic(&upload.path, &csv).map(|()| upload)
    })
    .await
    .map_err(|e| e.to_string())
    .and_then(|r| r.map_err(|e| io_text(&e)))
    .map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot keep the upload: {e}"),
        )
    })?;
    let run_spec = JobSpec {
        data: DataSpec::Csv {
            path: upload.path.clone(),
        },
        ..spec.clone()
    };
    admit_upload(&s, spec, run_spec, upload, reservation)
}

/// A write failure without the path (the upload's private name).
fn io_text(e: &agent_core::CoreError) -> String {
    match e {
        agent_core::CoreError::Io { source, .. } => source.to_string(),
        other => other.to_string(),
    }
}

fn admit_upload(
    s: &AppState,
    spec: JobSpec,
    run_spec: JobSpec,
    upload: UploadFile,
    reservation: Reservation,
) -> Result<Response, ApiError> {
    let id = {
        let mut t = s.table();
        reservation.settle(&mut t);
        if s.shutting_down.load(Ordering::SeqCst) {
            t.upload_bytes = t.upload_bytes.saturating_sub(upload.bytes);
            drop(t);
            drop(upload);
            return Err(shutting_down());
        }
        insert_job(&mut t, spec, Some(upload))
    };
    started(s, id, run_spec)
}

fn admit(s: &AppState, spec: JobSpec, run_spec: JobSpec) -> Result<Response, ApiError> {
    let id = {
        let mut t = s.table();
        if s.shutting_down.load(Ordering::SeqCst) {
            return Err(shutting_down());
        }
        if t.active() >= capacity(s) {
            return Err(queue_full(s));
        }
        insert_job(&mut t, spec, None)
    };
    started(s, id, run_spec)
}

fn insert_job(t: &mut Table, spec: JobSpec, upload: Option<UploadFile>) -> u64 {
    let id = t.next_id;
    t.next_id += 1;
    t.records.insert(
        id,
        JobRecord {
            id,
            state: JobState::Queued,
            spec,
            progress: 0.0,
            submitted_at: now(),
            started_at: None,
            finished_at: None,
            outcome: None,
            error: None,
        },
    );
    t.live.insert(
        id,
        LiveJob {
            cancel: CancelToken::new(),
            upload,
        },
    );
    t.prune();
    id
}

fn started(s: &AppState, id: u64, run_spec: JobSpec) -> Result<Response, ApiError> {
    s.persist_soon();
    tokio::spawn(run_job(s.clone(), id, run_spec));
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, format!("/jobs/{id}"))],
        Json(json!({ "job_id": id, "state": "queued", "status_url": format!("/jobs/{id}") })),
    )
        .into_response())
}

async fn run_job(s: AppState, id: u64, spec: JobSpec) {
    // Fails once drain() closed the slots; drain() then marks the job.
    let Ok(permit) = s.slots.clone().acquire_owned().await else {
        return;
    };
    let begun = {
        let mut guard = s.table();
        let t = &mut *guard;
        match (t.records.get_mut(&id), t.live.get(&id)) {
            (Some(j), Some(live))
                if j.state == JobState::Queued && !s.shutting_down.load(Ordering::SeqCst) =>
            {
                j.state = JobState::Running;
                j.started_at = Some(now());
                Some((live.cancel.clone(), shown_paths(&j.spec.data, &spec.data)))
            }
            _ => None,
        }
    };
    let Some((cancel, shown)) = begun else {
        return;
    };
    s.persist_soon();
    let runner = s.runner.clone();
    let st = s.clone();
    let result = tokio::task::spawn_blocking(move || {
        let progress = |p: f64| {
            if let Some(j) = st.table().records.get_mut(&id)
                && j.state == JobState::Running
            {
                j.progress = p.clamp(0.0, 1.0);
            }
        };
        agent_core::cancel::scope(&cancel, || runner.run(&spec, &progress))
    })
    .await;
    drop(permit);
    let (finished, recorded) = {
        let mut t = s.table();
        let live = t.remove_live(id);
        // Not when drain() already marked it interrupted.
        let running = t
            .records
            .get(&id)
            .is_some_and(|j| j.state == JobState::Running);
        if running && let Some(j) = t.records.get_mut(&id) {
            j.finished_at = Some(now());
            match result {
                Ok(Ok(mut outcome)) => {
                    outcome.message = client_text(&outcome.message, &shown);
                    j.state = JobState::Succeeded;
                    j.progress = 1.0;
                    j.outcome = Some(outcome);
                }
                Ok(Err(e)) => {
                    j.state = JobState::Failed;
                    j.error = Some(client_text(&e, &shown));
                }
                Err(e) => {
                    j.state = JobState::Failed;
                    j.error = Some(format!("training crashed: {e}"));
                }
            }
        }
        t.prune();
        (live, running)
    };
    drop(finished);
    if recorded {
        s.persist_soon();
    }
    s.idle.notify_waiters();
}

async fn get_job(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<JobRecord>, ApiError> {
    let id: u64 = id.parse().map_err(|_| {
        let shown: String = id.chars().take(40).collect();
        bad_request(format!("job id `{shown}` is not a number"))
    })?;
    s.table()
        .records
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, format!("no job {id}")))
}

async fn list_jobs(State(s): State<AppState>) -> Json<Vec<JobRecord>> {
    Json(s.table().records.values().cloned().collect())
}

/// `{"models": [...], "errors": [...]}` with 200, or 500 when the store
/// cannot be listed: never an error body under a success status.
async fn models(State(s): State<AppState>) -> Result<Json<Value>, ApiError> {
    let runner = s.runner.clone();
    match tokio::task::spawn_blocking(move || runner.models()).await {
        Ok(Ok(v)) => Ok(Json(v)),
        Ok(Err(e)) => Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("cannot list the models: {e}"),
        )),
        Err(e) => Err(ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("listing the models crashed: {e}"),
        )),
    }
}

async fn metrics(State(s): State<AppState>) -> impl IntoResponse {
    use std::fmt::Write;
    let (counts, upload_bytes) = {
        let t = s.table();
        let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
        for j in t.records.values() {
            *counts.entry(j.state.name()).or_default() += 1;
        }
        (counts, t.upload_bytes)
    };
    let mut out = String::new();
    let _ = writeln!(out, "# HELP cointrainer_jobs Training jobs by state.");
    let _ = writeln!(out, "# TYPE cointrainer_jobs gauge");
    for state in ["queued", "running", "succeeded", "failed", "interrupted"] {
        let _ = writeln!(
            out,
            "cointrainer_jobs{{state=\"{state}\"}} {}",
            counts.get(state).copied().unwrap_or(0)
        );
    }
    let _ = writeln!(
        out,
        "# HELP cointrainer_upload_bytes Bytes of uploads kept for queued and running jobs."
    );
    let _ = writeln!(out, "# TYPE cointrainer_upload_bytes gauge");
    let _ = writeln!(out, "cointrainer_upload_bytes {upload_bytes}");
    let _ = writeln!(
        out,
        "# HELP cointrainer_http_requests_total Authenticated-route requests."
    );
    let _ = writeln!(out, "# TYPE cointrainer_http_requests_total counter");
    let _ = writeln!(
        out,
        "cointrainer_http_requests_total {}",
        s.requests.load(Ordering::Relaxed)
    );
    let _ = writeln!(
        out,
        "# HELP cointrainer_http_unauthorized_total Requests refused for a missing or wrong token."
    );
    let _ = writeln!(out, "# TYPE cointrainer_http_unauthorized_total counter");
    let _ = writeln!(
        out,
        "cointrainer_http_unauthorized_total {}",
        s.unauthorized.load(Ordering::Relaxed)
    );
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}

/// Serve until Ctrl-C / SIGTERM, then stop accepting requests and drain
/// jobs ([`ServiceHandle::drain`]). Returns once the job table is final;
/// it does not wait for cancelled training threads, which the caller's
/// process exit ends.
pub async fn serve(runner: Arc<dyn JobRunner>, config: ServerConfig) -> Result<(), String> {
    check_auth(
        &config.addr,
        config.token.is_some(),
        config.insecure_no_auth,
    )?;
    if config.token.is_none() {
        eprintln!(
            "warning: serving WITHOUT authentication on {} (--insecure-no-auth); anyone on this host can train and publish models",
            config.addr
        );
    }
    let addr = config.addr;
    let grace = config.grace;
    let (app, handle) = router(runner, config)?;
    // Registered before the first request, so SIGTERM is always handled.
    let signal = shutdown_signal().map_err(|e| format!("cannot watch for SIGTERM: {e}"))?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    let local = listener
        .local_addr()
        .map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    eprintln!("cointrainer service listening on http://{local}");
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let mut server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stop_rx.await;
            })
            .await
    });
    tokio::select! {
        _ = signal => {}
        r = &mut server => {
            return match r {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(format!("the HTTP server failed: {e}")),
                Err(e) => Err(format!("the HTTP server crashed: {e}")),
            };
        }
    }
    let _ = stop_tx.send(());
    eprintln!(
        "shutting down: waiting up to {} s for running jobs",
        grace.as_secs()
    );
    let interrupted = handle.drain().await;
    if interrupted > 0 {
        eprintln!("{interrupted} job(s) interrupted at shutdown; nothing of theirs was published");
    }
    // Open requests get a moment to complete; nothing waits longer.
    let _ = tokio::time::timeout(Duration::from_secs(1), server).await;
    Ok(())
}

fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    Ok(async move {
        #[cfg(unix)]
        let term = async move {
            term.recv().await;
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {},
            _ = term => {},
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_only_exactly() {
        let t = ApiToken::new("s3cret-token");
        assert!(t.matches(b"s3cret-token"));
        assert!(!t.matches(b"s3cret-tokeX"));
        assert!(!t.matches(b"s3cret-toke"));
        assert!(!t.matches(b"s3cret-token "));
        assert!(!t.matches(b""));
        assert!(!format!("{t:?}").contains("s3cret"));
    }

    #[test]
    fn no_token_is_allowed_only_on_loopback_and_when_asked() {
        let lo: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let lo6: SocketAddr = "[::1]:5000".parse().unwrap();
        let any: SocketAddr = "0.0.0.0:5000".parse().unwrap();
        assert!(check_auth(&any, true, false).is_ok());
        assert!(check_auth(&lo, false, true).is_ok());
        assert!(check_auth(&lo6, false, true).is_ok());
        assert!(
            check_auth(&lo, false, false)
                .unwrap_err()
                .contains("COINTRAINER_TOKEN")
        );
        assert!(
            check_auth(&any, false, true)
                .unwrap_err()
                .contains("loopback")
        );
        assert!(check_auth(&any, false, false).is_err());
    }
}
