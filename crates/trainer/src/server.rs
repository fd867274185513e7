//! The HTTP service: `POST /train_model` queues a job and answers at once with
//! its id; jobs train in the background, at most `max_concurrent` at a time.
//! Handlers only parse, validate and hand over to the job runner.
//!
//! Routes: `POST /train_model`, `GET /jobs`, `GET /jobs/{id}`, `GET /models`,
//! `GET /healthz`, `GET /metrics` (Prometheus text). All but `/healthz` need
//! `Authorization: Bearer <token>` when a token is configured.

use crate::jobs::{DataSpec, JobOutcome, JobRunner, JobSpec};
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
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

    /// Constant-time comparison, so response timing leaks nothing about the token.
    fn matches(&self, candidate: &[u8]) -> bool {
        let a = self.0.as_bytes();
        let mut diff = (a.len() ^ candidate.len()) as u8;
        for i in 0..a.len().max(candidate.len()) {
            let x = a.get(i).copied().unwrap_or(0);
            let y = candidate.get(i).copied().unwrap_or(0);
            diff |= x ^ y;
        }
        diff == 0
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
    /// `None` serves without authentication (only for local use).
    pub token: Option<ApiToken>,
    /// Jobs training at once.
    pub max_concurrent: usize,
    /// Jobs waiting at most; more are refused with 503.
    pub max_queue: usize,
    /// Largest request body (JSON or CSV upload).
    pub body_limit: usize,
    /// Where uploaded CSVs are kept for their job.
    pub upload_dir: PathBuf,
    /// How long shutdown waits for running jobs.
    pub grace: Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 5000)),
            token: None,
            max_concurrent: 1,
            max_queue: 16,
            body_limit: 64 * 1024 * 1024,
            upload_dir: std::env::temp_dir().join("cointrainer-uploads"),
            grace: Duration::from_secs(300),
        }
    }
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Queued,
    Running,
    Succeeded,
    Failed,
    /// The service shut down before the job could finish.
    Interrupted,
}

#[derive(Debug, Clone, Serialize)]
pub struct JobRecord {
    pub id: u64,
    pub state: JobState,
    pub spec: JobSpec,
    pub progress: f64,
    pub submitted_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    pub outcome: Option<JobOutcome>,
    pub error: Option<String>,
}

struct Shared {
    runner: Arc<dyn JobRunner>,
    config: ServerConfig,
    jobs: Mutex<BTreeMap<u64, JobRecord>>,
    next_id: AtomicU64,
    slots: Arc<Semaphore>,
    shutting_down: AtomicBool,
    idle: Notify,
    requests: AtomicU64,
    unauthorized: AtomicU64,
}

type AppState = Arc<Shared>;

impl Shared {
    fn jobs(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, JobRecord>> {
        self.jobs.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn update(&self, id: u64, f: impl FnOnce(&mut JobRecord)) {
        if let Some(j) = self.jobs().get_mut(&id) {
            f(j);
        }
    }

    fn active(&self) -> usize {
        self.jobs()
            .values()
            .filter(|j| matches!(j.state, JobState::Queued | JobState::Running))
            .count()
    }
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

/// Build the router (exposed for tests and embedding).
pub fn router(runner: Arc<dyn JobRunner>, config: ServerConfig) -> (Router, ServiceHandle) {
    let limit = config.body_limit;
    let state: AppState = Arc::new(Shared {
        runner,
        slots: Arc::new(Semaphore::new(config.max_concurrent.max(1))),
        config,
        jobs: Mutex::new(BTreeMap::new()),
        next_id: AtomicU64::new(1),
        shutting_down: AtomicBool::new(false),
        idle: Notify::new(),
        requests: AtomicU64::new(0),
        unauthorized: AtomicU64::new(0),
    });
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
    (app, ServiceHandle { state })
}

/// Lets the owner drain jobs at shutdown.
#[derive(Clone)]
pub struct ServiceHandle {
    state: AppState,
}

impl ServiceHandle {
    /// Stop taking jobs, wait up to the grace period for running ones, and
    /// mark whatever has not finished as interrupted. Returns how many were.
    pub async fn drain(&self) -> usize {
        let s = &self.state;
        s.shutting_down.store(true, Ordering::SeqCst);
        let deadline = tokio::time::Instant::now() + s.config.grace;
        loop {
            let running = s
                .jobs()
                .values()
                .filter(|j| j.state == JobState::Running)
                .count();
            if running == 0 || tokio::time::Instant::now() >= deadline {
                break;
            }
            let _ = tokio::time::timeout_at(deadline, s.idle.notified()).await;
        }
        let mut n = 0;
        for j in s.jobs().values_mut() {
            if matches!(j.state, JobState::Queued | JobState::Running) {
                j.state = JobState::Interrupted;
                j.finished_at = Some(now());
                j.error = Some("service shut down before the job finished".into());
                n += 1;
            }
        }
        n
    }

    pub fn job(&self, id: u64) -> Option<JobRecord> {
        self.state.jobs().get(&id).cloned()
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
        if !token.matches(given) {
            s.unauthorized.fetch_add(1, Ordering::Relaxed);
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer")],
                Json(json!({"error": "missing or wrong bearer token"})),
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

/// Parse the request: JSON `JobSpec`, or the original suite's multipart form
/// with a `csv` file field (and optional `agent`, `symbol` fields).
async fn parse_spec(s: &AppState, req: Request) -> Result<JobSpec, ApiError> {
    let ctype = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ctype.starts_with("multipart/form-data") {
        let mut mp = Multipart::from_request(req, &())
            .await
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e.body_text()))?;
        let mut agent = "signal".to_string();
        let mut symbol = "GLOBAL".to_string();
        let mut csv: Option<Vec<u8>> = None;
        while let Some(field) = mp
            .next_field()
            .await
            .map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, e.body_text()))?
        {
            let name = field.name().unwrap_or("").to_string();
            let bytes = field
                .bytes()
                .await
                .map_err(|e| ApiError::new(e.status(), e.body_text()))?;
            match name.as_str() {
                "csv" => csv = Some(bytes.to_vec()),
                "agent" => agent = String::from_utf8_lossy(&bytes).trim().to_string(),
                "symbol" => symbol = String::from_utf8_lossy(&bytes).trim().to_string(),
                other => {
                    return Err(ApiError::new(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        format!("unknown form field `{other}` (expected csv, agent, symbol)"),
                    ));
                }
            }
        }
        let csv = csv.ok_or_else(|| {
            ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "form field `csv` (the candle file) is required",
            )
        })?;
        // Validate now so the client learns about a bad file at once.
        market::parse_candles(&csv, "uploaded csv")
            .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()))?;
        let id = s.next_id.load(Ordering::SeqCst);
        let path = s
            .config
            .upload_dir
            .join(format!("upload-{id}-{}.csv", std::process::id()));
        agent_core::write_atomic(&path, &csv).map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("cannot keep upload: {e}"),
            )
        })?;
        return Ok(JobSpec {
            agent,
            data: DataSpec::Csv { path },
            params: json!({}),
            symbol,
            force: false,
        });
    }
    let Json(spec): Json<JobSpec> = Json::from_request(req, &())
        .await
        .map_err(|e| ApiError::new(e.status(), e.body_text()))?;
    Ok(spec)
}

fn validate(s: &AppState, spec: &JobSpec) -> Result<(), ApiError> {
    let agents = s.runner.agents();
    if !agents.contains(&spec.agent) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "unknown agent `{}`; this build trains: {}",
                spec.agent,
                agents.join(", ")
            ),
        ));
    }
    if !spec.params.is_object() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "`params` must be a JSON object",
        ));
    }
    if spec.symbol.is_empty()
        || !spec
            .symbol
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
    {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!(
                "symbol `{}` must be letters, digits, `_`, `-` or `.`",
                spec.symbol
            ),
        ));
    }
    s.runner
        .validate(spec)
        .map_err(|e| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e))?;
    if let DataSpec::Synthetic { bars, .. } = spec.data
        && !(500..=2_000_000).contains(&bars)
    {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("data.synthetic.bars = {bars} must be between 500 and 2000000"),
        ));
    }
    Ok(())
}

async fn train_model(State(s): State<AppState>, req: Request) -> Result<Response, ApiError> {
    if s.shutting_down.load(Ordering::SeqCst) {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting down",
        ));
    }
    let spec = parse_spec(&s, req).await?;
    validate(&s, &spec)?;
    if s.active() >= s.config.max_queue + s.config.max_concurrent {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "job queue is full ({} waiting); retry later",
                s.config.max_queue
            ),
        ));
    }
    let id = s.next_id.fetch_add(1, Ordering::SeqCst);
    s.jobs().insert(
        id,
        JobRecord {
            id,
            state: JobState::Queued,
            spec: spec.clone(),
            progress: 0.0,
            submitted_at: now(),
            started_at: None,
            finished_at: None,
            outcome: None,
            error: None,
        },
    );
    tokio::spawn(run_job(s.clone(), id, spec));
    Ok((
        StatusCode::ACCEPTED,
        [(header::LOCATION, format!("/jobs/{id}"))],
        Json(json!({ "job_id": id, "state": "queued", "status_url": format!("/jobs/{id}") })),
    )
        .into_response())
}

async fn run_job(s: AppState, id: u64, spec: JobSpec) {
    let Ok(permit) = s.slots.clone().acquire_owned().await else {
        return;
    };
    if s.shutting_down.load(Ordering::SeqCst) {
        return; // drain() marks it interrupted
    }
    s.update(id, |j| {
        j.state = JobState::Running;
        j.started_at = Some(now());
    });
    let runner = s.runner.clone();
    let st = s.clone();
    let result = tokio::task::spawn_blocking(move || {
        let progress = |p: f64| st.update(id, |j| j.progress = p.clamp(0.0, 1.0));
        runner.run(&spec, &progress)
    })
    .await;
    drop(permit);
    s.update(id, |j| {
        j.finished_at = Some(now());
        match result {
            Ok(Ok(outcome)) => {
                j.state = JobState::Succeeded;
                j.progress = 1.0;
                j.outcome = Some(outcome);
            }
            Ok(Err(e)) => {
                j.state = JobState::Failed;
                j.error = Some(e);
            }
            Err(e) => {
                j.state = JobState::Failed;
                j.error = Some(format!("training crashed: {e}"));
            }
        }
    });
    s.idle.notify_waiters();
}

async fn get_job(
    State(s): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<JobRecord>, ApiError> {
    let id: u64 = id.parse().map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            format!("job id `{id}` is not a number"),
        )
    })?;
    s.jobs()
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, format!("no job {id}")))
}

async fn list_jobs(State(s): State<AppState>) -> Json<Vec<JobRecord>> {
    Json(s.jobs().values().cloned().collect())
}

async fn models(State(s): State<AppState>) -> Json<Value> {
    let runner = s.runner.clone();
    Json(
        tokio::task::spawn_blocking(move || runner.models())
            .await
            .unwrap_or_else(|_| json!([])),
    )
}

async fn metrics(State(s): State<AppState>) -> impl IntoResponse {
    use std::fmt::Write;
    let mut counts: BTreeMap<&str, u64> = BTreeMap::new();
    for j in s.jobs().values() {
        let k = match j.state {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Succeeded => "succeeded",
            JobState::Failed => "failed",
            JobState::Interrupted => "interrupted",
        };
        *counts.entry(k).or_default() += 1;
    }
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

/// Serve until ctrl-c / SIGTERM, then drain jobs.
pub async fn serve(runner: Arc<dyn JobRunner>, config: ServerConfig) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.addr).await?;
    let (app, handle) = router(runner, config);
    eprintln!(
        "cointrainer service listening on http://{}",
        listener.local_addr()?
    );
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    let interrupted = handle.drain().await;
    if interrupted > 0 {
        eprintln!("{interrupted} job(s) marked interrupted at shutdown");
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
