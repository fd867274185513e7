//! S3-compatible object storage (AWS S3, MinIO, Cloudflare R2, Supabase's S3
//! endpoint, ...) on top of the `object_store` crate.
//!
//! Integrity: every `put` records the blob's sha256 (lowercase hex) as user
//! metadata `sha256`, i.e. the object header `x-amz-meta-sha256`. A `get`
//! that finds the header verifies the downloaded bytes against it and fails
//! with [`StoreError::Corrupt`] on mismatch. Objects written by other tools
//! (no header) are returned unverified.
//!
//! Retries: `object_store`'s own retries are switched off; each operation is
//! retried on transient failures (connection errors, timeouts, 5xx, 429) per
//! [`S3Config::retry`]. 4xx answers fail at once with [`StoreError::Rejected`].
//!
//! Size: `get` refuses an object larger than [`S3Config::max_object_bytes`]
//! from its declared length, before downloading, and stops reading a body
//! that runs past the limit.
//!
//! Uploads are single `PutObject` requests (S3 allows up to 5 GB each), which
//! are atomic per key as the trait requires.

use crate::cached::RetryPolicy;
use crate::error::StoreError;
use crate::remote::{
    Bridge, DEFAULT_MAX_OBJECT_BYTES, Secret, append_bounded, folder_of, scrub, seeded_rng,
    strip_userinfo, too_large, with_retry,
};
use crate::{ArtifactStore, validate_key};
use agent_core::SplitMix64;
use agent_core::persist::sha256_hex;
use futures_util::TryStreamExt;
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path;
use object_store::{
    Attribute, Attributes, ClientOptions, GetOptions, ObjectStore, ObjectStoreExt, PutOptions,
    PutPayload, RetryConfig,
};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The user-metadata name under which `put` records the sha256
/// (sent as `x-amz-meta-sha256`).
pub const SHA256_METADATA: &str = "sha256";

/// Where and how to reach an S3-compatible bucket.
///
/// `Debug` redacts the secret access key and session token.
#[derive(Clone)]
pub struct S3Config {
    pub bucket: String,
    /// `us-east-1` by default; `auto` for Cloudflare R2.
    pub region: String,
    /// Custom endpoint (MinIO, R2, Supabase, a loopback test server); `None`
    /// means AWS itself.
    pub endpoint: Option<String>,
    /// Prepended to every key (`<prefix>/<key>`), so several deployments can
    /// share a bucket. Listing strips it again.
    pub prefix: Option<String>,
    /// Static credentials. Without them `object_store` asks the instance
    /// metadata service (EC2/ECS roles).
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<Secret>,
    pub session_token: Option<Secret>,
    /// Path-style URLs (`endpoint/bucket/key`) instead of virtual-hosted
    /// (`bucket.endpoint/key`). MinIO and most self-hosted servers need it.
    pub path_style: bool,
    /// Allow plain `http://` endpoints (loopback tests, a MinIO on the LAN).
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

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint.as_deref().map(strip_userinfo))
            .field("prefix", &self.prefix)
            .field(
                "access_key_id",
                &self.access_key_id.as_ref().map(|_| "<redacted>"),
            )
            .field("secret_access_key", &self.secret_access_key)
            .field("session_token", &self.session_token)
            .field("path_style", &self.path_style)
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

fn is_loopback_http(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let host = strip_userinfo(rest);
    ["127.", "localhost", "[::1]"]
        .iter()
        .any(|h| host.starts_with(h))
}

impl S3Config {
    /// AWS defaults for `bucket`, no credentials.
    pub fn new(bucket: impl Into<String>) -> Self {
        Self {
            bucket: bucket.into(),
            region: "us-east-1".into(),
            endpoint: None,
            prefix: None,
            access_key_id: None,
            secret_access_key: None,
            session_token: None,
            path_style: false,
            allow_http: false,
            timeout: Duration::from_secs(300),
            connect_timeout: Duration::from_secs(5),
            retry: RetryPolicy::default(),
            max_object_bytes: DEFAULT_MAX_OBJECT_BYTES,
        }
    }

    /// A custom endpoint with path-style URLs; `http://` is allowed only for
    /// loopback addresses (set `allow_http` yourself for a LAN server).
    pub fn with_endpoint(mut self, endpoint: impl Into<String>) -> Self {
        let endpoint = endpoint.into();
        self.allow_http = is_loopback_http(&endpoint);
        self.path_style = true;
        self.endpoint = Some(endpoint);
        self
    }

    pub fn with_credentials(
        mut self,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<Secret>,
    ) -> Self {
        self.access_key_id = Some(access_key_id.into());
        self.secret_access_key = Some(secret_access_key.into());
        self
    }

    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        let p = prefix.into().trim_matches('/').to_string();
        self.prefix = (!p.is_empty()).then_some(p);
        self
    }

    pub fn with_region(mut self, region: impl Into<String>) -> Self {
        self.region = region.into();
        self
    }

    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// See [`S3Config::max_object_bytes`].
    pub fn with_max_object_bytes(mut self, max: u64) -> Self {
        self.max_object_bytes = max;
        self
    }

    /// From the environment:
    ///
    /// | variable | meaning | default |
    /// |---|---|---|
    /// | `CT_S3_BUCKET`, else `CT_MODELS_BUCKET` | bucket | `models` |
    /// | `AWS_ENDPOINT_URL_S3`, else `AWS_ENDPOINT_URL` | custom endpoint (path-style) | AWS |
    /// | `AWS_REGION`, else `AWS_DEFAULT_REGION` | region | `us-east-1` |
    /// | `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` | credentials | instance metadata |
    /// | `CT_S3_PREFIX` | key prefix | none |
    pub fn from_env() -> Self {
        let bucket = env_nonempty("CT_S3_BUCKET")
            .or_else(|| env_nonempty("CT_MODELS_BUCKET"))
            .unwrap_or_else(|| "models".into());
        let mut cfg = Self::new(bucket);
        if let Some(e) =
            env_nonempty("AWS_ENDPOINT_URL_S3").or_else(|| env_nonempty("AWS_ENDPOINT_URL"))
        {
            cfg = cfg.with_endpoint(e);
        }
        if let Some(r) = env_nonempty("AWS_REGION").or_else(|| env_nonempty("AWS_DEFAULT_REGION")) {
            cfg.region = r;
        }
        cfg.access_key_id = env_nonempty("AWS_ACCESS_KEY_ID");
        cfg.secret_access_key = env_nonempty("AWS_SECRET_ACCESS_KEY").map(Secret::from);
        cfg.session_token = env_nonempty("AWS_SESSION_TOKEN").map(Secret::from);
        if let Some(p) = env_nonempty("CT_S3_PREFIX") {
            cfg = cfg.with_prefix(p);
        }
        cfg
    }
}

/// An [`ArtifactStore`] in an S3-compatible bucket.
pub struct S3Store {
    cfg: S3Config,
    client: Arc<AmazonS3>,
    bridge: Bridge,
    rng: Mutex<SplitMix64>,
}

impl std::fmt::Debug for S3Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Store").field("cfg", &self.cfg).finish()
    }
}

impl S3Store {
    /// Connects lazily: configuration errors surface here, network errors on
    /// the first call.
    pub fn new(cfg: S3Config) -> Result<Self, StoreError> {
        if cfg.bucket.is_empty() {
            return Err(StoreError::Config("S3 bucket name is empty".into()));
        }
        let mut b = AmazonS3Builder::new()
            .with_bucket_name(&cfg.bucket)
            .with_region(&cfg.region)
            .with_virtual_hosted_style_request(!cfg.path_style)
            // Our own retry loop (RetryPolicy) decides; no hidden 3-minute retries.
            .with_retry(RetryConfig {
                max_retries: 0,
                retry_timeout: cfg.timeout,
                ..Default::default()
            })
            .with_client_options(
                ClientOptions::new()
                    .with_allow_http(cfg.allow_http)
                    .with_timeout(cfg.timeout)
                    .with_connect_timeout(cfg.connect_timeout),
            );
        if let Some(e) = &cfg.endpoint {
            b = b.with_endpoint(e);
        }
        if let Some(k) = &cfg.access_key_id {
            b = b.with_access_key_id(k);
        }
        if let Some(s) = &cfg.secret_access_key {
            b = b.with_secret_access_key(s.expose());
        }
        if let Some(t) = &cfg.session_token {
            b = b.with_token(t.expose());
        }
        let client = b.build().map_err(|e| {
            StoreError::Config(scrub(
                format!("S3 bucket `{}`: {e}", cfg.bucket),
                &secrets(&cfg),
            ))
        })?;
        Ok(Self {
            bridge: Bridge::new("ct-s3-store")?,
            client: Arc::new(client),
            rng: seeded_rng(),
            cfg,
        })
    }

    /// [`S3Config::from_env`] then [`S3Store::new`].
    pub fn from_env() -> Result<Self, StoreError> {
        Self::new(S3Config::from_env())
    }

    pub fn config(&self) -> &S3Config {
        &self.cfg
    }

    fn full_key(&self, key: &str) -> String {
        match &self.cfg.prefix {
            Some(p) => format!("{p}/{key}"),
            None => key.to_string(),
        }
    }

    fn path(&self, key: &str) -> Result<Path, StoreError> {
        validate_key(key)?;
        Path::parse(self.full_key(key)).map_err(|_| StoreError::InvalidKey {
            key: key.to_string(),
            why: "not a valid object path for S3",
        })
    }

    /// Map an `object_store` error: 4xx are final, the rest may pass.
    fn error(&self, key: &str, e: object_store::Error) -> StoreError {
        let msg = scrub(error_chain(&e), &secrets(&self.cfg));
        let status = |code: u16| StoreError::Rejected {
            store: self.describe(),
            key: key.to_string(),
            status: code,
            why: msg.clone(),
        };
        use object_store::Error as E;
        match &e {
            E::NotFound { .. } => status(404),
            E::PermissionDenied { .. } => status(403),
            E::Unauthenticated { .. } => status(401),
            E::AlreadyExists { .. } => status(409),
            E::Precondition { .. } => status(412),
            E::NotModified { .. } => status(304),
            E::InvalidPath { .. }
            | E::NotSupported { .. }
            | E::NotImplemented { .. }
            | E::UnknownConfigurationKey { .. } => status(400),
            _ => match http_status(&msg) {
                Some(code) if (400..500).contains(&code) && code != 408 && code != 429 => {
                    status(code)
                }
                _ => StoreError::Unreachable {
                    store: self.describe(),
                    why: format!("`{key}`: {msg}"),
                },
            },
        }
    }

    fn is_missing_object(e: &object_store::Error) -> bool {
        // A missing bucket is also a 404, but that is a configuration error.
        matches!(e, object_store::Error::NotFound { .. })
            && !error_chain(e).contains("NoSuchBucket")
    }
}

fn secrets(cfg: &S3Config) -> Vec<&Secret> {
    cfg.secret_access_key
        .iter()
        .chain(cfg.session_token.iter())
        .collect()
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

/// The HTTP status in an `object_store` message ("... status code: 503 ...").
fn http_status(msg: &str) -> Option<u16> {
    let i = msg.find("status code: ")? + "status code: ".len();
    msg.get(i..i + 3)?.parse().ok()
}

impl ArtifactStore for S3Store {
    fn describe(&self) -> String {
        let mut s = format!("s3://{}", self.cfg.bucket);
        if let Some(p) = &self.cfg.prefix {
            s.push('/');
            s.push_str(p);
        }
        if let Some(e) = &self.cfg.endpoint {
            s.push_str(&format!(" at {}", strip_userinfo(e)));
        }
        s
    }

    fn put(&self, key: &str, bytes: &[u8]) -> Result<(), StoreError> {
        let path = self.path(key)?;
        let payload = PutPayload::from(bytes.to_vec());
        let digest = sha256_hex(bytes);
        with_retry(&self.cfg.retry, &self.rng, || {
            let client = self.client.clone();
            let (path, payload) = (path.clone(), payload.clone());
            let opts = PutOptions {
                attributes: Attributes::from_iter([
                    (Attribute::Metadata(SHA256_METADATA.into()), digest.clone()),
                    (
                        Attribute::ContentType,
                        "application/octet-stream".to_string(),
                    ),
                ]),
                ..Default::default()
            };
            let r = self
                .bridge
                .run(async move { client.put_opts(&path, payload, opts).await })
                .ok_or_else(|| self.runtime_gone())?;
            r.map(|_| ()).map_err(|e| self.error(key, e))
        })
    }

    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let path = self.path(key)?;
        let max = self.cfg.max_object_bytes;
        let fetched = with_retry(&self.cfg.retry, &self.rng, || {
            let client = self.client.clone();
            let path = path.clone();
            let r = self
                .bridge
                .run(async move {
                    let res = client.get_opts(&path, GetOptions::default()).await?;
                    let sum = res
                        .attributes
                        .get(&Attribute::Metadata(SHA256_METADATA.into()))
                        .map(|v| v.to_string());
                    // Refused from the declared length, before any of the body.
                    if res.meta.size > max {
                        return Ok(Err(res.meta.size));
                    }
                    // The capacity is the declared length, at most `max`.
                    let mut bytes = Vec::with_capacity(res.meta.size as usize);
                    let mut body = res.into_stream();
                    while let Some(chunk) = body.try_next().await? {
                        if !append_bounded(&mut bytes, &chunk, max) {
                            return Ok(Err(bytes.len() as u64 + chunk.len() as u64));
                        }
                    }
                    Ok::<_, object_store::Error>(Ok((bytes, sum)))
                })
                .ok_or_else(|| self.runtime_gone())?;
            match r {
                Ok(Ok(v)) => Ok(Some(v)),
                Ok(Err(size)) => Err(too_large(self.describe(), key, size, max)),
                Err(e) if Self::is_missing_object(&e) => Ok(None),
                Err(e) => Err(self.error(key, e)),
            }
        })?;
        let Some((bytes, sum)) = fetched else {
            return Ok(None);
        };
        if let Some(expected) = sum {
            let actual = sha256_hex(&bytes);
            if !actual.eq_ignore_ascii_case(expected.trim()) {
                return Err(StoreError::Corrupt {
                    store: self.describe(),
                    key: key.to_string(),
                    why: format!(
                        "downloaded bytes have sha256 {actual}, the upload recorded {expected}"
                    ),
                });
            }
        }
        Ok(Some(bytes))
    }

    fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        // object_store lists by folder: list the prefix's folder, filter here.
        let folder = folder_of(prefix).trim_end_matches('/');
        let root = match (&self.cfg.prefix, folder.is_empty()) {
            (Some(p), true) => Some(p.clone()),
            (Some(p), false) => Some(format!("{p}/{folder}")),
            (None, true) => None,
            (None, false) => Some(folder.to_string()),
        };
        let root = root
            .map(|r| {
                Path::parse(&r).map_err(|_| StoreError::InvalidKey {
                    key: prefix.to_string(),
                    why: "not a valid object path for S3",
                })
            })
            .transpose()?;
        let strip = self.cfg.prefix.as_ref().map(|p| format!("{p}/"));
        let metas = with_retry(&self.cfg.retry, &self.rng, || {
            let client = self.client.clone();
            let root = root.clone();
            let r = self
                .bridge
                .run(async move { client.list(root.as_ref()).try_collect::<Vec<_>>().await })
                .ok_or_else(|| self.runtime_gone())?;
            r.map_err(|e| self.error(prefix, e))
        })?;
        let mut keys: Vec<String> = metas
            .into_iter()
            .filter_map(|m| {
                let full = m.location.to_string();
                let key = match &strip {
                    Some(s) => full.strip_prefix(s.as_str())?.to_string(),
                    None => full,
                };
                // Foreign objects whose names our keys cannot express are skipped.
                (key.starts_with(prefix) && validate_key(&key).is_ok()).then_some(key)
            })
            .collect();
        keys.sort();
        Ok(keys)
    }

    fn delete(&self, key: &str) -> Result<(), StoreError> {
        let path = self.path(key)?;
        with_retry(&self.cfg.retry, &self.rng, || {
            let client = self.client.clone();
            let path = path.clone();
            let r = self
                .bridge
                .run(async move { client.delete(&path).await })
                .ok_or_else(|| self.runtime_gone())?;
            match r {
                Ok(()) => Ok(()),
                Err(e) if Self::is_missing_object(&e) => Ok(()),
                Err(e) => Err(self.error(key, e)),
            }
        })
    }
}

impl S3Store {
    fn runtime_gone(&self) -> StoreError {
        StoreError::Unreachable {
            store: self.describe(),
            why: "the store's I/O runtime stopped".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_are_found_in_messages() {
        assert_eq!(
            http_status(
                "Error performing PUT in 1ms - Server returned non-2xx status code: 503 Service Unavailable: "
            ),
            Some(503)
        );
        assert_eq!(http_status("connection refused"), None);
    }

    #[test]
    fn loopback_http_is_allowed_and_nothing_else() {
        assert!(
            S3Config::new("b")
                .with_endpoint("http://127.0.0.1:9000")
                .allow_http
        );
        assert!(
            S3Config::new("b")
                .with_endpoint("http://localhost:9000")
                .allow_http
        );
        assert!(
            !S3Config::new("b")
                .with_endpoint("http://minio.lan:9000")
                .allow_http
        );
        assert!(
            !S3Config::new("b")
                .with_endpoint("https://r2.example")
                .allow_http
        );
    }

    #[test]
    fn debug_redacts_credentials() {
        let cfg = S3Config::new("b").with_credentials("AKIAEXAMPLEKEYID", "wJalrXUtnFEMIsecret");
        let s = format!("{cfg:?}");
        assert!(!s.contains("wJalrXUtnFEMIsecret"), "{s}");
        assert!(!s.contains("AKIAEXAMPLEKEYID"), "{s}");
    }
}
