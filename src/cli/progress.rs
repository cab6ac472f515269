//! A progress bar (indicatif) for runs longer than about a second, on a terminal only.

use crate::run::ProgressSink;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// Delay before the bar appears: short runs stay silent.
const SHOW_AFTER: Duration = Duration::from_secs(1);
const TICK: Duration = Duration::from_millis(100);
const PER_REPLICATION: u32 = 1000;

/// Per-replication progress in thousandths, written by workers and read by the drawer.
pub struct BarProgress {
    parts: Vec<AtomicU32>,
    done: AtomicBool,
}

impl BarProgress {
    /// Progress of `replications` replications.
    pub fn new(replications: u32) -> Self {
        BarProgress {
            parts: (0..replications).map(|_| AtomicU32::new(0)).collect(),
            done: AtomicBool::new(false),
        }
    }

    fn position(&self) -> u64 {
        self.parts
            .iter()
            .map(|p| u64::from(p.load(Ordering::Relaxed)))
            .sum()
    }

    /// Tells the drawer to stop.
    pub fn stop(&self) {
        self.done.store(true, Ordering::Relaxed);
    }

    /// Draws until [`BarProgress::stop`]; the bar appears after [`SHOW_AFTER`].
    pub fn draw_until_stopped(&self) {
        let start = Instant::now();
        let mut bar: Option<ProgressBar> = None;
        while !self.done.load(Ordering::Relaxed) {
            std::thread::sleep(TICK);
            if bar.is_none() && start.elapsed() >= SHOW_AFTER {
                let b = ProgressBar::with_draw_target(
                    Some(self.parts.len() as u64 * u64::from(PER_REPLICATION)),
                    ProgressDrawTarget::stderr(),
                );
                if let Ok(style) = ProgressStyle::with_template(
                    "{spinner} simulating [{elapsed_precise}] {wide_bar} {percent}% (eta {eta})",
                ) {
                    b.set_style(style);
                }
                bar = Some(b);
            }
            if let Some(b) = &bar {
                b.set_position(self.position());
            }
        }
        if let Some(b) = bar {
            b.finish_and_clear();
        }
    }
}

impl ProgressSink for BarProgress {
    fn update(&self, replication: u32, fraction: f64) {
        if let Some(p) = self.parts.get(replication as usize) {
            p.store(
                (fraction.clamp(0.0, 1.0) * f64::from(PER_REPLICATION)) as u32,
                Ordering::Relaxed,
            );
        }
    }

    fn finished(&self, replication: u32) {
        if let Some(p) = self.parts.get(replication as usize) {
            p.store(PER_REPLICATION, Ordering::Relaxed);
        }
    }
}
