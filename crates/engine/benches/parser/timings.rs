//! Our own record of every timed run, so the summary table does not depend on where criterion
//! keeps its files. It holds the same samples criterion analyses, timed by the thread's CPU
//! time rather than the wall clock (see `cpu_time`), and apart from them the interleaved
//! rounds (every contender once per round, in turn).

use crate::contenders::Contender;
use crate::rows::Row;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::Duration;

/// Which record a figure comes from.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Series {
    /// Criterion's samples: all of one contender's, then the next contender's.
    Criterion,
    /// The rounds after them: one run of each contender per round, in turn.
    Rounds,
}

#[derive(Default)]
pub struct Timings {
    runs: RefCell<BTreeMap<(Row, Contender), Runs>>,
    rounds: RefCell<BTreeMap<(Row, Contender), Runs>>,
}

struct Runs {
    input_bytes: u64,
    per_iteration: Vec<Duration>,
}

impl Timings {
    /// Records one criterion sample: `iters` runs over `input_bytes` took `elapsed` of CPU time.
    pub fn record(
        &self,
        row: Row,
        contender: Contender,
        input_bytes: u64,
        iters: u64,
        elapsed: Duration,
    ) {
        let mut runs = self.runs.borrow_mut();
        let entry = runs.entry((row, contender)).or_insert_with(|| Runs {
            input_bytes,
            per_iteration: Vec::new(),
        });
        entry
            .per_iteration
            .push(elapsed.div_f64(iters.max(1) as f64));
    }

    /// Records one run of an interleaved round.
    pub fn record_round(&self, row: Row, contender: Contender, input_bytes: u64, spent: Duration) {
        let mut rounds = self.rounds.borrow_mut();
        let entry = rounds.entry((row, contender)).or_insert_with(|| Runs {
            input_bytes,
            per_iteration: Vec::new(),
        });
        entry.per_iteration.push(spent);
    }

    /// Throughput in MB/s (10^6 bytes per second) from the median of the last `samples`
    /// samples of `series` (criterion's earlier ones are its warm-up).
    pub fn mb_per_s(
        &self,
        series: Series,
        row: Row,
        contender: Contender,
        samples: usize,
    ) -> Option<f64> {
        let runs = match series {
            Series::Criterion => self.runs.borrow(),
            Series::Rounds => self.rounds.borrow(),
        };
        let entry = runs.get(&(row, contender))?;
        let skip = entry.per_iteration.len().saturating_sub(samples);
        let mut last: Vec<Duration> = entry.per_iteration[skip..].to_vec();
        last.sort();
        let median = last.get(last.len() / 2)?.as_secs_f64();
        (median > 0.0).then(|| entry.input_bytes as f64 / median / 1e6)
    }
}
