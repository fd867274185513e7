//! Progress reporting by callback, so libraries stay silent and the program
//! decides how to draw (bars in a terminal, JSON lines in scripts).

/// One progress update: `done` of `total` units of `stage`.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressEvent {
    pub stage: String,
    pub done: u64,
    pub total: u64,
    /// Optional detail, e.g. the latest validation loss.
    pub message: Option<String>,
}

impl ProgressEvent {
    pub fn new(stage: &str, done: u64, total: u64) -> Self {
        Self {
            stage: stage.to_string(),
            done,
            total,
            message: None,
        }
    }

    pub fn with_message(mut self, m: impl Into<String>) -> Self {
        self.message = Some(m.into());
        self
    }
}

/// A progress callback that may be called from several threads.
pub type Progress<'a> = &'a (dyn Fn(ProgressEvent) + Sync);
