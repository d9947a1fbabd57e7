//! Whether a process's memory stays flat under a long load: the troughs of its RSS sawtooth.
//!
//! A garbage-collected heap under a steady load saws: it climbs until a collection, drops, and
//! climbs again. The peaks say when the collector ran; the troughs (the lowest RSS after each
//! drop) say what survived it. A leak shows as troughs that climb, so that is what is judged:
//! from the end of a warm-up on, each trough against the level the troughs had just after it.

/// A drop counts as a collection when RSS falls by at least this fraction of the peak before it:
/// the web process's full collections drop it by 15–30 %, the young-generation ones and the
/// allocator's noise by less than 10 %…
const DROP_FRACTION: f64 = 0.12;
/// …and by at least this much (KiB), so a small process's jitter is not a sawtooth.
const DROP_MIN_KIB: u64 = 8 * 1024;
/// The level is the mean of the troughs in this many seconds after the warm-up.
const LEVEL_SPAN_SECS: f64 = 120.0;

/// The analysis of one RSS series (samples of `(seconds, KiB)`), from `warmup_secs` on.
#[derive(Debug, Clone, PartialEq)]
pub struct Trend {
    /// The troughs judged: `(seconds, KiB)`, after the warm-up. When the series has fewer than
    /// three collections after the warm-up (no sawtooth: flat), every sample after it.
    pub troughs: Vec<(f64, u64)>,
    /// Whether `troughs` are real troughs (false: the samples, for want of a sawtooth).
    pub sawtooth: bool,
    /// The level after the warm-up (KiB): the mean of the first troughs.
    pub level_kib: f64,
    pub min_kib: u64,
    pub max_kib: u64,
    /// The least-squares slope of the troughs, KiB per minute.
    pub slope_kib_per_min: f64,
    /// The highest sample after the warm-up (KiB).
    pub peak_kib: u64,
    /// The band allowed around the level, as a fraction (0.10 for ±10 %).
    pub band: f64,
}

impl Trend {
    /// The lowest trough against the level, as a fraction (−0.03 = 3 % below).
    pub fn min_dev(&self) -> f64 {
        self.min_kib as f64 / self.level_kib - 1.0
    }

    /// The highest trough against the level, as a fraction.
    pub fn max_dev(&self) -> f64 {
        self.max_kib as f64 / self.level_kib - 1.0
    }

    /// Every trough within the band around the level.
    pub fn flat(&self) -> bool {
        self.min_dev() >= -self.band && self.max_dev() <= self.band
    }
}

/// The troughs of a series: each sample that ends a drop of at least [`DROP_FRACTION`] (and
/// [`DROP_MIN_KIB`]) from the highest sample since the previous trough, taken at its lowest
/// point before RSS rises again.
pub fn troughs(samples: &[(f64, u64)]) -> Vec<(f64, u64)> {
    let mut out = Vec::new();
    let Some(&(_, first)) = samples.first() else {
        return out;
    };
    let mut peak = first;
    let mut i = 1;
    while i < samples.len() {
        let (_, v) = samples[i];
        if v > peak {
            peak = v;
            i += 1;
            continue;
        }
        let drop = peak - v;
        if drop as f64 >= peak as f64 * DROP_FRACTION && drop >= DROP_MIN_KIB {
            // Follow the descent to its lowest sample.
            let mut low = i;
            while low + 1 < samples.len() && samples[low + 1].1 <= samples[low].1 {
                low += 1;
            }
            out.push(samples[low]);
            peak = samples[low].1;
            i = low + 1;
            continue;
        }
        i += 1;
    }
    out
}

/// Judges `samples` (seconds, KiB) from `warmup_secs` on against a band of ±`band` around the
/// level the troughs had just after the warm-up. None when nothing is left after the warm-up.
pub fn analyse(samples: &[(f64, u64)], warmup_secs: f64, band: f64) -> Option<Trend> {
    let after: Vec<(f64, u64)> = samples
        .iter()
        .copied()
        .filter(|&(t, _)| t >= warmup_secs)
        .collect();
    if after.is_empty() {
        return None;
    }
    // Troughs are found on the whole series (a drop may start before the warm-up ends) and
    // judged after it.
    let found: Vec<(f64, u64)> = troughs(samples)
        .into_iter()
        .filter(|&(t, _)| t >= warmup_secs)
        .collect();
    let sawtooth = found.len() >= 3;
    let judged = if sawtooth { found } else { after.clone() };
    let start = judged[0].0;
    let early: Vec<u64> = judged
        .iter()
        .filter(|&&(t, _)| t <= start + LEVEL_SPAN_SECS)
        .map(|&(_, v)| v)
        .collect();
    let level_kib = early.iter().sum::<u64>() as f64 / early.len() as f64;
    let min_kib = judged.iter().map(|&(_, v)| v).min().unwrap_or(0);
    let max_kib = judged.iter().map(|&(_, v)| v).max().unwrap_or(0);
    let peak_kib = after.iter().map(|&(_, v)| v).max().unwrap_or(0);
    Some(Trend {
        slope_kib_per_min: slope_per_min(&judged),
        troughs: judged,
        sawtooth,
        level_kib,
        min_kib,
        max_kib,
        peak_kib,
        band,
    })
}

/// Least-squares slope of (seconds, KiB) points, in KiB per minute; 0 for fewer than two.
pub fn slope_per_min(points: &[(f64, u64)]) -> f64 {
    if points.len() < 2 {
        return 0.0;
    }
    let n = points.len() as f64;
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1 as f64).sum::<f64>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for &(x, y) in points {
        sxy += (x - mx) * (y as f64 - my);
        sxx += (x - mx) * (x - mx);
    }
    if sxx == 0.0 {
        0.0
    } else {
        sxy / sxx * 60.0
    }
}

/// The web process's RSS after the warm-up: the level, the troughs' range and slope, the verdict.
pub fn print_trend(trend: Option<&Trend>, warmup: f64) {
    let Some(t) = trend else {
        println!("Web process memory: no sample after the {warmup:.0} s warm-up");
        return;
    };
    let m = |kib: f64| kib / 1024.0;
    println!(
        "Web process memory after the {warmup:.0} s warm-up ({}):",
        if t.sawtooth {
            format!("{} post-collection troughs", t.troughs.len())
        } else {
            format!(
                "no sawtooth, {} samples judged as they are",
                t.troughs.len()
            )
        }
    );
    println!();
    println!("| WebKitWebProcess RSS | value |");
    println!("|---|---|");
    println!(
        "| level after the warm-up (mean of the first 2 min of troughs) | {:.0} MiB |",
        m(t.level_kib)
    );
    println!(
        "| lowest / highest trough | {:.0} MiB ({:+.1} %) / {:.0} MiB ({:+.1} %) |",
        m(t.min_kib as f64),
        t.min_dev() * 100.0,
        m(t.max_kib as f64),
        t.max_dev() * 100.0
    );
    println!(
        "| slope of the troughs | {:+.2} MiB/min |",
        m(t.slope_kib_per_min)
    );
    println!(
        "| highest sample after the warm-up | {:.0} MiB |",
        m(t.peak_kib as f64)
    );
    println!(
        "| verdict (every trough within ±{:.0} % of the level) | {} |",
        t.band * 100.0,
        if t.flat() { "met" } else { "MISSED" }
    );
    let list: Vec<String> = t
        .troughs
        .iter()
        .map(|(s, v)| format!("{s:.0}:{}", v / 1024))
        .collect();
    println!("\nTroughs (s:MiB): {}", list.join(" "));
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024;

    /// A sawtooth sampled every 5 s: climbs `rise` MiB per sample from `base` for `teeth`
    /// samples, drops back; the base moves by `drift` MiB each tooth.
    fn saw(base: u64, rise: u64, teeth: usize, drift: i64, count: usize) -> Vec<(f64, u64)> {
        let mut out = Vec::new();
        let mut b = base as i64;
        let mut t = 0.0;
        for _ in 0..count {
            for k in 0..teeth {
                out.push((t, (b as u64 + rise * k as u64) * MIB));
                t += 5.0;
            }
            b += drift;
        }
        out
    }

    #[test]
    fn finds_one_trough_per_collection() {
        let s = saw(300, 20, 10, 0, 6);
        let t = troughs(&s);
        assert_eq!(t.len(), 5, "{t:?}");
        assert!(t.iter().all(|&(_, v)| v == 300 * MIB));
    }

    #[test]
    fn small_dips_are_not_collections() {
        let s: Vec<(f64, u64)> = (0..40)
            .map(|i| (i as f64 * 5.0, (400 + (i % 2) * 2) * MIB))
            .collect();
        assert!(troughs(&s).is_empty());
    }

    #[test]
    fn a_dip_on_the_way_up_is_not_a_collection() {
        // 450 → 420 (−7 %, a young-generation collection) while climbing to 520, then a full one.
        let mib = [380, 420, 450, 420, 470, 520, 390, 430];
        let s: Vec<(f64, u64)> = mib
            .iter()
            .enumerate()
            .map(|(i, v)| (i as f64 * 5.0, v * MIB))
            .collect();
        assert_eq!(troughs(&s), vec![(30.0, 390 * MIB)]);
    }

    #[test]
    fn a_flat_sawtooth_is_within_the_band() {
        let s = saw(300, 20, 10, 0, 20);
        let trend = analyse(&s, 120.0, 0.10).expect("samples after the warm-up");
        assert!(trend.sawtooth);
        assert_eq!(trend.level_kib, 300.0 * MIB as f64);
        assert!(trend.flat(), "{trend:?}");
        assert!(trend.slope_kib_per_min.abs() < 1.0);
        assert_eq!(trend.peak_kib, 480 * MIB);
    }

    #[test]
    fn climbing_troughs_fail_and_show_their_slope() {
        // 10 MiB more each 50 s tooth: 12 MiB a minute, as the web process did before the fix.
        let s = saw(300, 25, 10, 10, 18);
        let trend = analyse(&s, 120.0, 0.10).expect("samples after the warm-up");
        assert!(!trend.flat(), "{trend:?}");
        assert!(
            (trend.slope_kib_per_min / MIB as f64 - 12.0).abs() < 0.5,
            "{trend:?}"
        );
        assert!(trend.max_dev() > 0.10);
    }

    #[test]
    fn without_a_sawtooth_the_samples_are_judged() {
        let s: Vec<(f64, u64)> = (0..60).map(|i| (i as f64 * 5.0, (300 + i) * MIB)).collect();
        let trend = analyse(&s, 100.0, 0.10).expect("samples after the warm-up");
        assert!(!trend.sawtooth);
        assert_eq!(trend.troughs.len(), 40);
        assert!((trend.slope_kib_per_min / MIB as f64 - 12.0).abs() < 0.01);
    }

    #[test]
    fn nothing_after_the_warm_up_is_none() {
        assert_eq!(analyse(&saw(300, 20, 10, 0, 2), 1000.0, 0.1), None);
    }
}
