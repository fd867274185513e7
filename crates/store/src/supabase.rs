//! Supabase Storage over its REST API (the `storage-api` service behind
//! `<project>.supabase.co/storage/v1`).
//!
//! | operation | request |
//! |---|---|
//! | `put` | `POST /storage/v1/object/{bucket}/{key}` with `x-upsert: true` |
//! | `get` | `GET /storage/v1/object/{bucket}/{key}` (authenticated) |
//! | `list` | `POST /storage/v1/object/list/{bucket}` `{prefix, limit, offset, sortBy}`, one folder level per call, paginated and walked recursively |
//! | `delete` | `DELETE /storage/v1/object/{bucket}` `{prefixes: [key]}` |
//!
//! Every request carries `Authorization: Bearer <key>` and `apikey: <key>`.
//! A missing object is `Ok(None)`, whether the server answers 404 or, as
//! older storage-api versions do, 400 with `"statusCode":"404"` in the body.
//! Transient failures (connection errors, timeouts, 5xx, 429) are retried per
//! [`SupabaseConfig::retry`]; other 4xx fail at once with
//! [`StoreError::Rejected`].
//!
//! Listing pages through each folder until a page comes back empty, so no
//! server-side row cap (the original suite lost everything past 1000 rows)
//! can truncate it silently.
//!
//! Size: `get` refuses an object larger than
//! [`SupabaseConfig::max_object_bytes`] from its `Content-Length`, before
//! downloading, and stops reading a body that runs past the limit (a server
//! that sends no length or lies about it). Other answers are read up to
//! [`MAX_REPLY_BYTES`]; an error's body only up to its first 64 KiB.
//!
//! Integrity: Supabase keeps no checksum we can read back portably, so `get`
//! returns the bytes as served; [`crate::ModelRegistry`] verifies every blob
//! against the sha256 in `LATEST.json` and the artifact's own manifest.

use crate::cached::RetryPolicy;
use crate::error::StoreError;
use crate::remote::{
    Bridge, DEFAULT_MAX_OBJECT_BYTES, Secret, append_bounded, folder_of, scrub, seeded_rng,
    strip_userinfo, too_large, with_retry,
};
use crate::{ArtifactStore, validate_key};
use agent_core::SplitMix64;
use serde::{Deserialize, Serialize};
use std::sync::Mutex;
use std::time::Duration;

/// Environment variables holding the API key, highest precedence first: a
/// service-role key (needed to write past row-level security) wins over the
/// anon key.
pub const KEY_ENV_VARS: [&str; 3] = [
    "SUPABASE_SERVICE_ROLE_KEY",
    "SUPABASE_SERVICE_KEY",
    "SUPABASE_KEY",
];

/// Largest answer read other than a downloaded object (a list page, an
/// upload's or delete's reply).
pub const MAX_REPLY_BYTES: u64 = 16 << 20;
/// How much of an error answer's body is read (only its start is reported).
const ERROR_BODY_BYTES: u64 = 64 << 10;

/// How to reach a Supabase Storage bucket. `Debug` redacts the key.
#[derive(Clone)]
pub struct SupabaseConfig {
    /// Project URL, e.g. `https://abcd.supabase.co` (a trailing `/` or
    /// `/storage/v1` is accepted).
    pub url: String,
    /// Service-role or anon key; sent as `Authorization: Bearer` and `apikey`.
    pub key: Secret,
    /// Bucket, `models` by default.
    pub bucket: String,
    /// Prepended to every key (`<prefix>/<key>`); listing strips it again.
    pub prefix: Option<String>,
    /// Rows asked for per list request (the `limit`).
    pub page_size: usize,
    /// Allow a plain `http://` URL. On by default only for loopback hosts
    /// (`supabase start` serves `http://127.0.0.1:54321`); anything else
    /// would send the key in clear text.
    pub allow_http: bool,
    /// Whole-request timeout, upload or download included (default 5 min:
    /// model blobs can be large and links slow).
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub retry: RetryPolicy,
    /// Largest object `get` downloads (default: an artifact blob at its
    /// limit, [`crate::local::MAX_OBJECT_BYTES`], about 1 GiB); a larger one
    /// is [`StoreError::Corrupt`], not an allocation.
    pub max_object_bytes: u64,
}

impl std::fmt::Debug for SupabaseConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SupabaseConfig")
            .field("url", &strip_userinfo(&self.url))
            .field("key", &self.key)
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("page_size", &self.page_size)
            .field("allow_http", &self.allow_http)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("retry", &self.retry)
            .field("max_object_bytes", &self.max_object_bytes)
            .finish()
    }
}

fn env_nonempty(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn normalise_url(url: &str) -> String {
    let u = url.trim().trim_end_matches('/');
    let u = u.strip_suffix("/storage/v1").unwrap_or(u);
    u.trim_end_matches('/').to_string()
}

fn is_loopback_http(url: &str) -> bool {
    url.strip_prefix("http://").is_some_and(|rest| {
        let host = strip_userinfo(rest);
        ["127.", "localhost", "[::1]"]
            .iter()
            .any(|h| host.starts_with(h))
    })
}

impl SupabaseConfig {
    /// Bucket `models`, page size 1000, default timeouts and retries.
    pub fn new(url: impl Into<String>, key: impl Into<Secret>) -> Self {
        let url = normalise_url(&url.into());
        Self {
            allow_http: is_loopback_http(&url),
            url,
            key: key.into(),
            bucket: "models".into(),
            prefix: None,
            page_size: 1000,
            timeout: Duration::from_secs(300),
            connect_timeout: Duration::from_secs(5),
            retry: RetryPolicy::default(),
            max_object_bytes: DEFAULT_MAX_OBJECT_BYTES,
        }
    }

    pub fn with_bucket(mut self, bucket: impl Into<String>) -> Self {
        self.bucket = bucket.into();
        self
    }

    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        let p = prefix.into().trim_matches('/').to_string();
        self.prefix = (!p.is_empty()).then_some(p);
        self
    }

    pub fn with_page_size(mut self, page_size: usize) -> Self {
        self.page_size = page_size;
        self
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// See [`SupabaseConfig::max_object_bytes`].
    pub fn with_max_object_bytes(mut self, max: u64) -> Self {
        self.max_object_bytes = max;
        self
    }

    /// From the environment: `SUPABASE_URL` (required); the key from the
    /// first non-empty of [`KEY_ENV_VARS`] (required); the bucket from
    /// `CT_MODELS_BUCKET`, else the legacy `MODELS_BUCKET`, else `models`;
    /// an optional key prefix from `CT_SUPABASE_PREFIX`.
    pub fn from_env() -> Result<Self, StoreError> {
        let url = env_nonempty("SUPABASE_URL")
            .ok_or_else(|| StoreError::Config("SUPABASE_URL is not set".into()))?;
        let key = KEY_ENV_VARS
            .iter()
            .find_map(|v| env_nonempty(v))
            .ok_or_else(|| {
                StoreError::Config(format!(
                    "no Supabase key: set one of {}",
                    KEY_ENV_VARS.join(", ")
                ))
            })?;
        let mut cfg = Self::new(url, key);
        if let Some(b) = env_nonempty("CT_MODELS_BUCKET").or_else(|| env_nonempty("MODELS_BUCKET"))
        {
            cfg.bucket = b;
        }
        if let Some(p) = env_nonempty("CT_SUPABASE_PREFIX") {
            cfg = cfg.with_prefix(p);
        }
        Ok(cfg)
    }
}

/// An [`ArtifactStore`] in a Supabase Storage bucket.
pub struct SupabaseStore {
    cfg: SupabaseConfig,
    client: reqwest::Client,
    bridge: Bridge,
    rng: Mutex<SplitMix64>,
}

impl std::fmt::Debug for SupabaseStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SupabaseStore")
            .field("cfg", &self.cfg)
            .finish()
    }
}

#[derive(Serialize)]
struct ListRequest<'a> {
    prefix: &'a str,
    limit: usize,
    offset: usize,
    #[serde(rename = "sortBy")]
    sort_by: SortBy,
}

#[derive(Serialize)]
struct SortBy {
    column: &'static str,
    order: &'static str,
}

/// One row of a list answer. Folders have `id: null`.
#[derive(Deserialize)]
struct ListEntry {
    name: String,
    #[serde(default)]
    id: Option<serde_json::Value>,
}

#[derive(Serialize)]
struct DeleteRequest<'a> {
    prefixes: [&'a str; 1],
}

/// What came back from one HTTP exchange.
struct Reply {
    status: u16,
    body: Vec<u8>,
}

impl SupabaseStore {
    pub fn new(cfg: SupabaseConfig) -> Result<Self, StoreError> {
        let scheme_ok = cfg.url.starts_with("https://") || cfg.url.starts_with("http://");
        if !scheme_ok {
            return Err(StoreError::Config(format!(
                "SUPABASE_URL must start with https:// (got `{}`)",
                strip_userinfo(&cfg.url)
            )));
        }
        if cfg.url.starts_with("http://") && !cfg.allow_http {
            return Err(StoreError::Config(format!(
                "refusing to send the Supabase key over plain http to `{}`; use https or set allow_http",
                strip_userinfo(&cfg.url)
            )));
        }
        if cfg.key.is_empty() {
            return Err(StoreError::Config("the Supabase key is empty".into()));
        }
        if cfg.bucket.is_empty() || validate_key(&cfg.bucket).is_err() || cfg.bucket.contains('/') {
            return Err(StoreError::Config(format!(
                "`{}` is not a valid bucket name",
                cfg.bucket
            )));
        }
        if cfg.page_size == 0 {
            return Err(StoreError::Config("list page size must be >= 1".into()));
        }
        let client = reqwest::Client::builder()
            .timeout(cfg.timeout)
            .connect_timeout(cfg.connect_timeout)
            .build()
            .map_err(|e| StoreError::Config(format!("HTTP client: {}", e.without_url())))?;
        Ok(Self {
            bridge: Bridge::new("ct-supabase-store")?,
            client,
            rng: seeded_rng(),
            cfg,
        })
    }

    /// [`SupabaseConfig::from_env`] then [`SupabaseStore::new`].
    pub fn from_env() -> Result<Self, StoreError> {
        Self::new(SupabaseConfig::from_env()?)
    }

    pub fn config(&self) -> &SupabaseConfig {
        &self.cfg
    }

    fn full_key(&self, key: &str) -> String {
        match &self.cfg.prefix {
            Some(p) => format!("{p}/{key}"),
            None => key.to_string(),
        }
    }

    fn object_url(&self, full_key: &str) -> String {
        // Keys are validated to `[A-Za-z0-9._-/]`: nothing to percent-encode.
        format!(
            "{}/storage/v1/object/{}/{full_key}",
            self.cfg.url, self.cfg.bucket
        )
    }

    /// Send one request on the store's runtime; transport failures become
    /// `Unreachable`, the status and body are returned as they are.
    ///
    /// A successful answer's body is read up to `limit` bytes: one declaring
    /// more is refused before its body is read, one streaming more is cut
    /// off at the first chunk past it; both are [`StoreError::Corrupt`]. An
    /// error answer's body is read up to [`ERROR_BODY_BYTES`], the rest
    /// dropped.
    fn send(
        &self,
        key: &str,
        method: reqwest::Method,
        url: String,
        headers: &[(&'static str, &'static str)],
        body: Option<Vec<u8>>,
        limit: u64,
    ) -> Result<Reply, StoreError> {
        let secret = self.cfg.key.expose();
        let mut req = self
            .client
            .request(method, url)
            .header("authorization", format!("Bearer {secret}"))
            .header("apikey", secret);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.body(b);
        }
        let r = self
            .bridge
            .run(async move {
                let mut resp = req.send().await?;
                let status = resp.status().as_u16();
                let ok = (200..300).contains(&status);
                let max = if ok { limit } else { ERROR_BODY_BYTES };
                let declared = resp.content_length();
                if ok && let Some(n) = declared.filter(|&n| n > max) {
                    return Ok(Err(n));
                }
                // The capacity is the declared length, at most `max`.
                let mut body = Vec::with_capacity(declared.unwrap_or(0).min(max) as usize);
                while let Some(chunk) = resp.chunk().await? {
                    if !append_bounded(&mut body, &chunk, max) {
                        if ok {
                            return Ok(Err(body.len() as u64 + chunk.len() as u64));
                        }
                        break;
                    }
                }
                Ok::<_, reqwest::Error>(Ok(Reply { status, body }))
            })
            .ok_or_else(|| StoreError::Unreachable {
                store: self.describe(),
                why: "the store's I/O runtime stopped".into(),
            })?;
        match r {
            Ok(Ok(reply)) => Ok(reply),
            Ok(Err(size)) => Err(too_large(self.describe(), key, size, limit)),
            Err(e) => Err(StoreError::Unreachable {
                store: self.describe(),
                why: scrub(
                    format!("`{key}`: {}", error_chain(&e.without_url())),
                    &[&self.cfg.key],
                ),
            }),
        }
    }

    /// Turn a non-2xx reply into an error: 5xx, 408 and 429 may pass, other
    /// 4xx will not.
    fn status_error(&self, key: &str, reply: &Reply) -> StoreError {
        let text = String::from_utf8_lossy(&reply.body);
        let mut why: String = text.chars().take(300).collect();
        if why.is_empty() {
            why = "no body".into();
        }
        let why = scrub(why, &[&self.cfg.key]);
        if reply.status >= 500 || reply.status == 408 || reply.status == 429 {
            StoreError::Unreachable {
                store: self.describe(),
                why: format!("`{key}`: HTTP {}: {why}", reply.status),
            }
        } else {
            StoreError::Rejected {
                store: self.describe(),
                key: key.to_string(),
                status: reply.status,
                why,
            }
        }
    }

    /// 404, or storage-api's older "400 with statusCode 404 in the body".
    fn is_not_found(reply: &Reply) -> bool {
        if reply.status == 404 {
            return true;
        }
        if reply.status != 400 {
            return false;
        }
        #[derive(Deserialize)]
        struct ErrBody {
            #[serde(rename = "statusCode")]
            status_code: Option<serde_json::Value>,
            error: Option<String>,
        }
        serde_json::from_slice::<ErrBody>(&reply.body).is_ok_and(|b| {
            let code = b.status_code.map(|c| match c {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            });
            code.as_deref() == Some("404") || b.error.as_deref() == Some("not_found")
        })
    }

    /// Every object name (full, with the store prefix) under `folder`
    /// (no trailing `/`; empty for the bucket root) whose name starts with
    /// `want`, walking sub-folders that can hold such names.
    fn list_folder(
        &self,
        folder: &str,
        want: &str,
        out: &mut Vec<String>,
    ) -> Result<(), StoreError> {
        let url = format!(
            "{}/storage/v1/object/list/{}",
            self.cfg.url, self.cfg.bucket
        );
        let mut offset = 0usize;
        loop {
            let body = serde_json::to_vec(&ListRequest {
                prefix: folder,
                limit: self.cfg.page_size,
                offset,
                sort_by: SortBy {
                    column: "name",
                    order: "asc",
                },
            })
            .map_err(|e| StoreError::Config(e.to_string()))?;
            let reply = with_retry(&self.cfg.retry, &self.rng, || {
                let r = self.send(
                    folder,
                    reqwest::Method::POST,
                    url.clone(),
                    &[("content-type", "application/json")],
                    Some(body.clone()),
                    MAX_REPLY_BYTES,
                )?;
                if (200..300).contains(&r.status) {
                    Ok(r)
                } else {
                    Err(self.status_error(folder, &r))
                }
            })?;
            let rows: Vec<ListEntry> =
                serde_json::from_slice(&reply.body).map_err(|e| StoreError::Corrupt {
                    store: self.describe(),
                    key: folder.to_string(),
                    why: format!("list answer is not the expected JSON: {e}"),
                })?;
            // Stop on an empty page only: a server that caps `limit` below
            // ours must not end the listing early.
            if rows.is_empty() {
                return Ok(());
            }
            offset += rows.len();
            for row in rows {
                let full = if folder.is_empty() {
                    row.name.clone()
                } else {
                    format!("{folder}/{}", row.name)
                };
                let is_folder = row.id.as_ref().is_none_or(|v| v.is_null());
                if is_folder {
                    if format!("{full}/").starts_with(want) || want.starts_with(&format!("{full}/"))
                    {
                        self.list_folder(&full, want, out)?;
                    }
                } else if full.starts_with(want) {
                    out.push(full);
                }
            }
        }
    }
}

fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut msg = e.to_string();
    let mut src = e.source();
    while let Some(s) = src {
        let t = s.to_string();
        if !msg.contains(&t) {
            msg.push_str(": ");
            msg.push_str(&t);
        }
        src = s.source();
    }
    msg
}

impl ArtifactStore for SupabaseStore {
    fn describe(&self) -> String {
        let mut s = format!(
            "supabase storage {}/{}",
            strip_userinfo(&self.cfg.url),
            self.cfg.bucket
        );
        if let Some(p) = &self.cfg.prefix {
            s.push('/');
            s.push_str(p);
        }
        s
    }

    fn put(&self, key: &str, bytes: &[u8]) -> Result<(), StoreError> {
        validate_key(key)?;
        let url = self.object_url(&self.full_key(key));
        with_retry(&self.cfg.retry, &self.rng, || {
            let r = self.send(
                key,
                reqwest::Method::POST,
                url.clone(),
                &[
                    ("x-upsert", "true"),
                    ("content-type", "application/octet-stream"),
                    ("cache-control", "no-cache"),
                ],
                Some(bytes.to_vec()),
                MAX_REPLY_BYTES,
            )?;
            if (200..300).contains(&r.status) {
                Ok(())
            } else {
                Err(self.status_error(key, &r))
            }
        })
    }

    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        validate_key(key)?;
        let url = self.object_url(&self.full_key(key));
        with_retry(&self.cfg.retry, &self.rng, || {
            let r = self.send(
                key,
                reqwest::Method::GET,
                url.clone(),
                &[],
                None,
                self.cfg.max_object_bytes,
            )?;
            if (200..300).contains(&r.status) {
                Ok(Some(r.body))
            } else if Self::is_not_found(&r) {
                Ok(None)
            } else {
                Err(self.status_error(key, &r))
            }
        })
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        let want = self.full_key(prefix);
        // With a store prefix and an empty `prefix`, `want` is `<p>/`.
        let folder = folder_of(&want).trim_end_matches('/').to_string();
        let mut full = Vec::new();
        self.list_folder(&folder, &want, &mut full)?;
        let strip = self.cfg.prefix.as_ref().map(|p| format!("{p}/"));
        let mut keys: Vec<String> = full
            .into_iter()
            .filter_map(|f| match &strip {
                Some(s) => f.strip_prefix(s.as_str()).map(str::to_string),
                None => Some(f),
            })
            .filter(|k| validate_key(k).is_ok())
            .collect();
        keys.sort();
        keys.dedup();
        Ok(keys)
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        validate_key(key)?;
        let full = self.full_key(key);
        let body = serde_json::to_vec(&DeleteRequest {
            prefixes: [full.as_str()],
        })
        .map_err(|e| StoreError::Config(e.to_string()))?;
        let url = format!("{}/storage/v1/object/{}", self.cfg.url, self.cfg.bucket);
        with_retry(&self.cfg.retry, &self.rng, || {
            let r = self.send(
                key,
                reqwest::Method::DELETE,
                url.clone(),
                &[("content-type", "application/json")],
                Some(body.clone()),
                MAX_REPLY_BYTES,
            )?;
            // Deleting what is not there answers 200 with an empty list; some
            // versions say 404. Both mean "gone".
            if (200..300).contains(&r.status) || Self::is_not_found(&r) {
                Ok(())
            } else {
                Err(self.status_error(key, &r))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_urls_are_normalised() {
        assert_eq!(
            normalise_url("https://x.supabase.co/storage/v1/"),
            "https://x.supabase.co"
        );
        assert_eq!(
            normalise_url("https://x.supabase.co/"),
            "https://x.supabase.co"
        );
    }

    #[test]
    fn plain_http_to_a_remote_host_is_refused() {
        let err = SupabaseStore::new(SupabaseConfig::new("http://example.com", "k3y-s3cret"))
            .unwrap_err();
        assert!(matches!(err, StoreError::Config(_)));
        assert!(!err.to_string().contains("k3y-s3cret"));
        assert!(SupabaseConfig::new("http://127.0.0.1:54321", "k").allow_http);
    }

    #[test]
    fn legacy_not_found_bodies_are_recognised() {
        let r = Reply {
            status: 400,
            body: br#"{"statusCode":"404","error":"not_found","message":"Object not found"}"#
                .to_vec(),
        };
        assert!(SupabaseStore::is_not_found(&r));
        let r = Reply {
            status: 400,
            body: br#"{"statusCode":"403","error":"Unauthorized","message":"invalid signature"}"#
                .to_vec(),
        };
        assert!(!SupabaseStore::is_not_found(&r));
    }
}
