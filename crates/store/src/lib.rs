#![doc = include_str!("../README.md")]

pub mod cached;
pub mod error;
pub mod local;
pub mod registry;
#[cfg(any(feature = "s3", feature = "supabase"))]
mod remote;
#[cfg(feature = "s3")]
pub mod s3;
#[cfg(feature = "supabase")]
pub mod supabase;

pub use cached::{CachedStore, RecoveryLoop, RetryPolicy, StoreStatus};
pub use error::{StoreError, describe_json_error};
pub use local::LocalStore;
pub use registry::{
    CurrentModels, LatestPointer, ListingProblem, ModelRegistry, PromotePolicy, PromotionRecord,
    Published, SYNTHETIC_SYMBOL, check_symbol,
};
#[cfg(any(feature = "s3", feature = "supabase"))]
pub use remote::Secret;
#[cfg(feature = "s3")]
pub use s3::{S3Config, S3Store};
#[cfg(feature = "supabase")]
pub use supabase::{SupabaseConfig, SupabaseStore};

/// Where artifacts live: a flat key space of `/`-separated names.
///
/// Implementations must make `put` atomic per key (a reader sees the old or
/// the new bytes) and must never put credentials into errors or `describe`.
pub trait ArtifactStore: Send + Sync {
    /// A human-readable name for messages, free of secrets.
    fn describe(&self) -> String;
    fn put(&self, key: &str, bytes: &[u8]) -> Result<(), StoreError>;
    /// `Ok(None)` when the key does not exist.
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Keys starting with `prefix`, sorted.
    fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError>;
    /// Deleting a missing key is not an error.
    fn delete(&self, key: &str) -> Result<(), StoreError>;
}

impl<T: ArtifactStore + ?Sized> ArtifactStore for std::sync::Arc<T> {
    fn describe(&self) -> String {
        (**self).describe()
    }
    fn put(&self, key: &str, bytes: &[u8]) -> Result<(), StoreError> {
        (**self).put(key, bytes)
    }
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        (**self).get(key)
    }
    fn list(&self, prefix: &str) -> Result<Vec<String>, StoreError> {
        (**self).list(prefix)
    }
    fn delete(&self, key: &str) -> Result<(), StoreError> {
        (**self).delete(key)
    }
}

/// Keys are relative, `/`-separated, made of `[A-Za-z0-9._-]` segments that
/// are neither empty nor `.`/`..` and do not start with `.` (reserved for
/// temp files): nothing can escape a store's root.
pub fn validate_key(key: &str) -> Result<(), StoreError> {
    let bad = |why| StoreError::InvalidKey {
        key: key.to_string(),
        why,
    };
    if key.is_empty() {
        return Err(bad("empty"));
    }
    if key.len() > 1024 {
        return Err(bad("longer than 1024 bytes"));
    }
    for seg in key.split('/') {
        if seg.is_empty() {
            return Err(bad("empty path segment (leading, trailing or double `/`)"));
        }
        if seg.starts_with('.') {
            return Err(bad("segments may not start with `.`"));
        }
        if !seg
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        {
            return Err(bad(
                "only letters, digits, `.`, `_`, `-` and `/` are allowed",
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cannot_escape_the_root() {
        for k in [
            "",
            "/abs",
            "a//b",
            "../x",
            "a/../b",
            "a/.hidden",
            "a b",
            "a\\b",
        ] {
            assert!(validate_key(k).is_err(), "{k}");
        }
        validate_key("models/regime/BTCUSDT/LATEST.json").unwrap();
    }
}
