//! Section 10: what the `metrics` feature costs. The read path, `cache.token().await` on a
//! fresh token (1 thread, and 4 threads on one cache), with a Prometheus recorder installed
//! and without one; and, for information, a forced refresh from a source that answers at
//! once, where the cache does record.
//!
//! Both sides run in the same run, in turns, on the same cache and the same kind of thread:
//! each sample's threads build a current-thread runtime (so every task of the sample, the
//! spawned refresh included, runs on a thread that has or has not the recorder), and on the
//! "on" side set the recorder as the thread's default with
//! `metrics::set_default_local_recorder`. A global recorder could not be taken away again for
//! the "off" samples.

use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use freshtoken::TokenCache;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusRecorder};
use serde_json::{Value, json};

use super::workloads::subjects::{Issuer, LIFETIME, fresh_cache, token};
use super::{Target, median, ns_per_call};

/// Sample pairs of the read path, and reads per sample and thread (some ms).
const PAIRS: usize = 100;
const CALLS: u64 = 200_000;
/// Threads of the contended comparison, all on one cache.
const THREADS: usize = 4;
/// Sample pairs of the forced refresh, and refreshes per sample.
const REFRESH_PAIRS: usize = 60;
const REFRESHES: u64 = 2_000;
/// The target: the read path with a recorder at most this many times the read path without.
const READ_TARGET: f64 = 1.05;
/// What the "on" side's recorder must have seen after the refreshes: the proof that it was
/// the recorder the cache recorded to.
const REFRESHES_RENDERED: &str = "freshtoken_token_refreshes";

/// What a sample does on each of its threads.
#[derive(Clone, Copy)]
enum Work {
    /// `cache.token().await` on a fresh token.
    Read,
    /// `cache.refresh().await`: a new token from the source, which answers at once.
    Refresh,
}

/// Wall time of `calls` runs of `work` on each of `threads` threads at once, from the moment
/// all are ready to the last one's end; with `recorder` as each thread's default recorder.
fn sample(
    cache: &TokenCache<Issuer>,
    recorder: Option<&PrometheusRecorder>,
    threads: usize,
    work: Work,
    calls: u64,
) -> Duration {
    let ready = Barrier::new(threads + 1);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                let ready = &ready;
                scope.spawn(move || {
                    // The time driver for the refresh's timeout.
                    let rt = tokio::runtime::Builder::new_current_thread()
                        .enable_time()
                        .build()
                        .expect("a current-thread runtime");
                    let _recording = recorder.map(|r| metrics::set_default_local_recorder(r));
                    ready.wait();
                    rt.block_on(async {
                        for _ in 0..calls {
                            let token = match work {
                                Work::Read => cache.token().await,
                                Work::Refresh => cache.refresh().await,
                            };
                            black_box(token.expect("the issuer answers"));
                        }
                    });
                })
            })
            .collect();
        ready.wait();
        let started = Instant::now();
        for handle in handles {
            handle.join().expect("a working thread does not panic");
        }
        started.elapsed()
    })
}

/// The two sides in turns (on off off on ...): per-call medians and the spread of the ratios.
#[derive(Debug, Clone, Copy)]
struct OnOff {
    on_ns: f64,
    off_ns: f64,
    /// Quartiles of the ratio on / off of the two samples of each pair.
    p25: f64,
    p50: f64,
    p75: f64,
}

impl OnOff {
    fn measure(
        cache: &TokenCache<Issuer>,
        recorder: &PrometheusRecorder,
        threads: usize,
        work: Work,
        (pairs, calls): (usize, u64),
    ) -> Self {
        let (mut on, mut off) = (Vec::with_capacity(pairs), Vec::with_capacity(pairs));
        for pair in 0..pairs {
            let mut sample_on = || on.push(sample(cache, Some(recorder), threads, work, calls));
            if pair % 2 == 0 {
                sample_on();
                off.push(sample(cache, None, threads, work, calls));
            } else {
                off.push(sample(cache, None, threads, work, calls));
                sample_on();
            }
        }
        let per_call = calls * threads as u64;
        let ns = |samples: &[Duration]| {
            median(
                samples
                    .iter()
                    .map(|time| ns_per_call(*time, per_call))
                    .collect(),
            )
        };
        let mut ratios: Vec<f64> = on
            .iter()
            .zip(&off)
            .map(|(on, off)| on.as_secs_f64() / off.as_secs_f64())
            .collect();
        ratios.sort_by(f64::total_cmp);
        let quartile = |q: usize| ratios[(ratios.len() - 1) * q / 4];
        Self {
            on_ns: ns(&on),
            off_ns: ns(&off),
            p25: quartile(1),
            p50: median(ratios.clone()),
            p75: quartile(3),
        }
    }

    fn json(&self) -> Value {
        json!({
            "metrics_on_ns": self.on_ns,
            "metrics_off_ns": self.off_ns,
            "pair_ratio_p25": self.p25,
            "pair_ratio_p50": self.p50,
            "pair_ratio_p75": self.p75,
        })
    }
}

/// Section 10's figures.
pub(crate) struct MetricsFigures {
    read: OnOff,
    /// Per read of wall time over all threads' reads.
    read_threads: OnOff,
    refresh: OnOff,
}

/// Measures section 10, each comparison after a warm-up of a tenth of its pairs.
pub(crate) fn metrics_cost() -> MetricsFigures {
    let recorder = PrometheusBuilder::new().build_recorder();
    let cache = fresh_cache();
    let reads = (PAIRS, CALLS);
    let warm_reads = (PAIRS / 10, CALLS);
    OnOff::measure(&cache, &recorder, 1, Work::Read, warm_reads);
    let read = OnOff::measure(&cache, &recorder, 1, Work::Read, reads);
    let (threads_reads, warm_threads_reads) = ((PAIRS, CALLS / 2), (PAIRS / 10, CALLS / 2));
    OnOff::measure(&cache, &recorder, THREADS, Work::Read, warm_threads_reads);
    let read_threads = OnOff::measure(&cache, &recorder, THREADS, Work::Read, threads_reads);
    let rendered = recorder.handle().render();
    assert!(
        !rendered.contains(REFRESHES_RENDERED),
        "reads of a fresh token record no refresh:\n{rendered}"
    );

    // No pause between refreshes (by default a second): the refresh itself is measured.
    let unthrottled = TokenCache::builder(Issuer::default())
        .min_refresh_interval(Duration::ZERO)
        .build();
    unthrottled.set_token(token("cached", LIFETIME));
    let refreshes = (REFRESH_PAIRS, REFRESHES);
    OnOff::measure(
        &unthrottled,
        &recorder,
        1,
        Work::Refresh,
        (REFRESH_PAIRS / 10, REFRESHES),
    );
    let refresh = OnOff::measure(&unthrottled, &recorder, 1, Work::Refresh, refreshes);
    let rendered = recorder.handle().render();
    assert!(
        rendered.contains(REFRESHES_RENDERED),
        "the recorder saw the refreshes of the \"on\" samples:\n{rendered}"
    );
    MetricsFigures {
        read,
        read_threads,
        refresh,
    }
}

impl MetricsFigures {
    pub(crate) fn table(&self) -> String {
        let row = |name: &str, p: &OnOff| {
            format!(
                "| {name} | {:.1} ns/call | {:.1} ns/call | {:.3}x ({:.3}x–{:.3}x) |\n",
                p.on_ns, p.off_ns, p.p50, p.p25, p.p75
            )
        };
        format!(
            "\n10. The `metrics` feature: a Prometheus recorder on the calling threads, and none, \
             samples in turns on the same cache\n\
             | measurement | recorder | no recorder | per pair: median (quartiles) |\n\
             |---|---:|---:|---:|\n\
             {}{}{}\
             \n{PAIRS} pairs of {CALLS} reads ({THREADS} threads: {} reads each, ns of wall time \
             per read); {REFRESH_PAIRS} pairs of {REFRESHES} refreshes.\n",
            row("1 thread: `cache.token().await`, a fresh token", &self.read),
            row(
                &format!("{THREADS} threads on one cache: the same"),
                &self.read_threads
            ),
            row(
                "1 thread: `cache.refresh().await`, a source that answers at once (recorded)",
                &self.refresh
            ),
            CALLS / 2,
        )
    }

    pub(crate) fn targets(&self) -> Vec<Target> {
        vec![
            Target {
                name: "read path with a metrics recorder <= 1.05x without, 1 thread (per-pair median)",
                measured: format!("{:.3}x", self.read.p50),
                met: self.read.p50 <= READ_TARGET,
            },
            Target {
                name: "read path with a metrics recorder <= 1.05x without, 4 threads on one cache (per-pair median)",
                measured: format!("{:.3}x", self.read_threads.p50),
                met: self.read_threads.p50 <= READ_TARGET,
            },
        ]
    }

    pub(crate) fn json(&self) -> Value {
        json!({
            "read_1_thread": self.read.json(),
            "read_threads": self.read_threads.json(),
            "threads": THREADS,
            "refresh_1_thread": self.refresh.json(),
            "pairs": PAIRS,
            "calls_per_sample": CALLS,
            "refresh_pairs": REFRESH_PAIRS,
            "refreshes_per_sample": REFRESHES,
        })
    }
}
