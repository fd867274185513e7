//! Cron scheduling of training jobs.
//!
//! Each `[[schedule.jobs]]` entry has a cron expression (UTC). The
//! [`Scheduler`] is a pure state machine driven by [`Scheduler::tick`] with
//! the current time, so fire times, missed runs and the no-overlap rule are
//! testable without waiting; [`run_forever`] drives it with the clock and
//! runs the jobs on threads.
//!
//! - **Next fire**: the first cron match strictly after the previous fire
//!   (or after start-up for a job that never ran).
//! - **Missed runs** (the process was down, or the machine slept): with
//!   `missed = "skip"` they are dropped, unless the fire time is less than
//!   [`ON_TIME_GRACE_S`] old; with `"run-once"` the job runs once however
//!   many fires were missed. Either way the next fire is the first one
//!   after now.
//! - **No overlap**: a job whose previous run is still going is not started
//!   again; that fire is skipped and reported.

use crate::config::{MissedPolicy, ScheduledJob};
use agent_core::persist::Symlinks;
use chrono::{DateTime, Utc};
use croner::Cron;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// A fire at most this many seconds late still counts as on time.
pub const ON_TIME_GRACE_S: i64 = 60;

/// Parse a cron expression (5 fields, or 6 with leading seconds).
pub fn parse_cron(expr: &str) -> Result<Cron, String> {
    Cron::from_str(expr.trim()).map_err(|e| format!("`{expr}` is not a cron expression: {e}"))
}

/// The first fire strictly after `after`.
pub fn next_fire(cron: &Cron, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    cron.find_next_occurrence(&after, false).ok()
}

/// What one tick decided for a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Start the job now.
    Start,
    /// The fire time passed while the previous run was still going.
    SkippedOverlap,
    /// Missed fires dropped (`missed = "skip"`).
    SkippedMissed { missed: usize },
}

struct Entry {
    job: ScheduledJob,
    cron: Cron,
    next: Option<DateTime<Utc>>,
    running: bool,
}

/// The schedule's state.
pub struct Scheduler {
    entries: Vec<Entry>,
    policy: MissedPolicy,
}

impl Scheduler {
    /// `last_runs`: the last fire time of each job by name (from the state
    /// file); jobs without one start counting at `now`.
    pub fn new(
        jobs: &[ScheduledJob],
        policy: MissedPolicy,
        last_runs: &BTreeMap<String, DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<Self, String> {
        let mut entries = Vec::new();
        for job in jobs {
            let cron = parse_cron(&job.cron).map_err(|e| format!("job `{}`: {e}", job.name))?;
            let from = last_runs.get(&job.name).copied().unwrap_or(now);
            entries.push(Entry {
                next: next_fire(&cron, from),
                cron,
                job: job.clone(),
                running: false,
            });
        }
        Ok(Self { entries, policy })
    }

    pub fn jobs(&self) -> impl Iterator<Item = (&ScheduledJob, Option<DateTime<Utc>>)> {
        self.entries.iter().map(|e| (&e.job, e.next))
    }

    /// Decide what to do at `now`: one decision per job whose fire time
    /// has come (job index, decision). Started jobs count as running until
    /// [`finished`](Self::finished).
    pub fn tick(&mut self, now: DateTime<Utc>) -> Vec<(usize, Decision)> {
        let mut out = Vec::new();
        for (i, e) in self.entries.iter_mut().enumerate() {
            let Some(next) = e.next else { continue };
            if next > now {
                continue;
            }
            // Fires in (.., now]: the due one plus any later ones also passed.
            let mut fires = 1usize;
            let mut t = next;
            while let Some(n) = next_fire(&e.cron, t) {
                if n > now {
                    break;
                }
                fires += 1;
                t = n;
            }
            let latest = t;
            e.next = next_fire(&e.cron, now);
            let on_time = (now - latest).num_seconds() <= ON_TIME_GRACE_S;
            let run = match self.policy {
                MissedPolicy::RunOnce => true,
                MissedPolicy::Skip => on_time,
            };
            let decision = if !run {
                Decision::SkippedMissed { missed: fires }
            } else if e.running {
                Decision::SkippedOverlap
            } else {
                e.running = true;
                Decision::Start
            };
            out.push((i, decision));
        }
        out
    }

    /// The run of job `i` ended.
    pub fn finished(&mut self, i: usize) {
        if let Some(e) = self.entries.get_mut(i) {
            e.running = false;
        }
    }

    pub fn job(&self, i: usize) -> Option<&ScheduledJob> {
        self.entries.get(i).map(|e| &e.job)
    }

    /// The earliest next fire of any job.
    pub fn next_wakeup(&self) -> Option<DateTime<Utc>> {
        self.entries.iter().filter_map(|e| e.next).min()
    }
}

/// Largest schedule state file read (a name and a time per job).
pub const MAX_STATE_BYTES: u64 = 1 << 20;

/// Last fire times by job name, persisted as JSON (atomic writes). A
/// missing, unreadable or invalid file is an empty state (jobs then follow
/// the missed-run policy); it is read through
/// [`read_bounded`](agent_core::persist::read_bounded): at most
/// [`MAX_STATE_BYTES`], never through a symbolic link (the file is only ever
/// written by `write_atomic`), and a FIFO or device is refused, not read.
pub fn read_state(path: &Path) -> BTreeMap<String, DateTime<Utc>> {
    agent_core::persist::read_bounded(path, MAX_STATE_BYTES, Symlinks::Refuse)
        .ok()
        .and_then(|b| serde_json::from_slice::<BTreeMap<String, String>>(&b).ok())
        .map(|m| {
            m.into_iter()
                .filter_map(|(k, v)| {
                    DateTime::parse_from_rfc3339(&v)
                        .ok()
                        .map(|t| (k, t.with_timezone(&Utc)))
                })
                .collect()
        })
        .unwrap_or_default()
}

pub fn write_state(
    path: &Path,
    state: &BTreeMap<String, DateTime<Utc>>,
) -> Result<(), agent_core::CoreError> {
    let m: BTreeMap<&String, String> = state.iter().map(|(k, v)| (k, v.to_rfc3339())).collect();
    let bytes = serde_json::to_vec_pretty(&m).unwrap_or_default();
    agent_core::write_atomic(path, &bytes)
}

/// Run the schedule until `stop` is set: each started job runs on its own
/// thread through `run_job` (which returns a line for the log).
pub fn run_forever(
    mut scheduler: Scheduler,
    state_file: PathBuf,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    run_job: std::sync::Arc<dyn Fn(&ScheduledJob) -> String + Send + Sync>,
) {
    use std::sync::atomic::Ordering;
    use std::sync::mpsc;
    let (done_tx, done_rx) = mpsc::channel::<usize>();
    let mut state = read_state(&state_file);
    for (job, next) in scheduler.jobs() {
        eprintln!(
            "schedule: `{}` ({}) next at {}",
            job.name,
            job.cron,
            next.map(|t| t.to_rfc3339())
                .unwrap_or_else(|| "never".into())
        );
    }
    while !stop.load(Ordering::SeqCst) {
        while let Ok(i) = done_rx.try_recv() {
            scheduler.finished(i);
        }
        let now = Utc::now();
        for (i, d) in scheduler.tick(now) {
            let Some(job) = scheduler.job(i).cloned() else {
                continue;
            };
            match d {
                Decision::Start => {
                    state.insert(job.name.clone(), now);
                    if let Err(e) = write_state(&state_file, &state) {
                        eprintln!("schedule: cannot save state: {e}");
                    }
                    eprintln!("schedule: starting `{}`", job.name);
                    let tx = done_tx.clone();
                    let run = run_job.clone();
                    std::thread::spawn(move || {
                        let line = run(&job);
                        eprintln!("schedule: `{}` finished: {line}", job.name);
                        let _ = tx.send(i);
                    });
                }
                Decision::SkippedOverlap => eprintln!(
                    "schedule: `{}` is still running; this fire is skipped",
                    job.name
                ),
                Decision::SkippedMissed { missed } => eprintln!(
                    "schedule: `{}` missed {missed} fire(s) while not running; skipped (missed = \"skip\")",
                    job.name
                ),
            }
        }
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 5, h, m, s).unwrap()
    }

    fn job(name: &str, cron: &str) -> ScheduledJob {
        ScheduledJob {
            name: name.into(),
            cron: cron.into(),
            agents: vec!["all".into()],
            symbol: None,
            force: false,
            promote: None,
            device: Default::default(),
        }
    }

    #[test]
    fn next_fire_of_a_nightly_job_is_the_next_3am() {
        let c = parse_cron("0 3 * * *").unwrap();
        assert_eq!(next_fire(&c, at(1, 0, 0)), Some(at(3, 0, 0)));
        // Strictly after: at 03:00 itself the next is tomorrow.
        let tomorrow = Utc.with_ymd_and_hms(2026, 1, 6, 3, 0, 0).unwrap();
        assert_eq!(next_fire(&c, at(3, 0, 0)), Some(tomorrow));
        let q = parse_cron("*/15 * * * *").unwrap();
        assert_eq!(next_fire(&q, at(10, 7, 0)), Some(at(10, 15, 0)));
    }

    #[test]
    fn bad_cron_expressions_explain_themselves() {
        assert!(parse_cron("61 * * * *").unwrap_err().contains("61 * * * *"));
        assert!(parse_cron("nonsense").is_err());
    }

    #[test]
    fn a_running_job_is_not_started_again() {
        let mut s = Scheduler::new(
            &[job("j", "*/10 * * * *")],
            MissedPolicy::Skip,
            &BTreeMap::new(),
            at(10, 0, 30),
        )
        .unwrap();
        assert!(s.tick(at(10, 5, 0)).is_empty());
        assert_eq!(s.tick(at(10, 10, 1)), vec![(0, Decision::Start)]);
        // Still running at the next fire: skipped, not doubled.
        assert_eq!(s.tick(at(10, 20, 2)), vec![(0, Decision::SkippedOverlap)]);
        s.finished(0);
        assert_eq!(s.tick(at(10, 30, 0)), vec![(0, Decision::Start)]);
    }

    #[test]
    fn missed_runs_are_skipped_or_run_once_by_policy() {
        let mut last = BTreeMap::new();
        last.insert("j".to_string(), at(1, 0, 0));
        // Down from 01:00 to 05:30: four hourly fires missed.
        let mut skip = Scheduler::new(
            &[job("j", "0 * * * *")],
            MissedPolicy::Skip,
            &last,
            at(5, 30, 0),
        )
        .unwrap();
        assert_eq!(
            skip.tick(at(5, 30, 0)),
            vec![(0, Decision::SkippedMissed { missed: 4 })]
        );
        assert_eq!(skip.next_wakeup(), Some(at(6, 0, 0)));
        let mut once = Scheduler::new(
            &[job("j", "0 * * * *")],
            MissedPolicy::RunOnce,
            &last,
            at(5, 30, 0),
        )
        .unwrap();
        assert_eq!(once.tick(at(5, 30, 0)), vec![(0, Decision::Start)]);
        once.finished(0);
        assert!(once.tick(at(5, 59, 0)).is_empty());
    }

    #[test]
    fn state_file_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.json");
        let mut m = BTreeMap::new();
        m.insert("nightly".to_string(), at(3, 0, 0));
        write_state(&p, &m).unwrap();
        assert_eq!(read_state(&p), m);
    }
}
