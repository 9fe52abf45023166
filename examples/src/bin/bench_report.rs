//! A quick benchmark report of freshtoken's token fast path (issue 6), of the ageing token's
//! path (issue 11) and of a `#[freshtoken::client]` method against the same request by hand
//! over loopback (issue 12), in well under two minutes: reduced versions of the criterion
//! benchmarks in `runtime/benches/` and `examples/benches/`, run on one multi-thread tokio
//! runtime with 2 workers, each measurement repeated and its median kept.
//!
//! ```sh
//! cargo run --release -p freshtoken-examples --bin bench_report          # everything
//! cargo run --release -p freshtoken-examples --bin bench_report client   # issue 12 only
//! cargo run --release -p freshtoken-examples --bin bench_report fleet    # issue 14 only
//! cargo run --release -p freshtoken-examples --bin bench_report token-vs-fresh
//! cargo run --release -p freshtoken-examples --bin bench_report partitions
//! cargo run --release -p freshtoken-examples --bin bench_report metrics
//! cargo run -p freshtoken-examples --bin bench_report markdown  # the guide's table, from the JSON
//! ```
//!
//! `token-vs-fresh` runs only `token().await` beside `fresh_token()` on one cache, with 1 and
//! 64 tasks, samples taken in turns: the cost of the future itself. `partitions` runs only
//! the `TokenCaches` section: a hit on a user's partition beside a plain cache read, and the
//! memory of 100,000 idle partitions. `metrics` runs only the read path and a refresh with a
//! metrics recorder on the calling threads beside the same without one.
//!
//! Prints markdown tables (ratios to the floor and to the baselines), whether each target of
//! the issue was met, and writes the figures to `target/bench-report.json` at the workspace
//! root. The workloads are the benchmark's own (`runtime/benches/workloads/`), included here
//! so both measure the same code. This crate builds tokio without `test-util`.

#[path = "../../../runtime/benches/workloads/mod.rs"]
mod workloads;

#[path = "../../benches/workloads/client_call.rs"]
mod client_call;

#[path = "../../benches/workloads/client_pages.rs"]
mod client_pages;

#[path = "../../benches/workloads/fleet.rs"]
mod fleet;

#[path = "bench_report/markdown.rs"]
mod markdown;

#[path = "bench_report/dpop.rs"]
mod dpop;

#[path = "bench_report/partitions.rs"]
mod partitions;

#[path = "bench_report/partition_memory.rs"]
mod partition_memory;

#[path = "bench_report/metrics_cost.rs"]
mod metrics_cost;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tokio::runtime::Runtime;

use workloads::herd::{self, Herd, Moment};
use workloads::subjects::{
    Ageing, ByHand, Cache, CacheSync, Client, Floor, MutexBaseline, OutOfLine, RwLockBaseline,
    Subject, TokioFloor, Wrapped, fresh_cache,
};
use workloads::{alloc, run};

/// Repetitions of every timing; the report keeps the median.
const ROUNDS: usize = 5;
/// Reads per single-task timing.
const SINGLE_CALLS: u64 = 2_000_000;
/// Reads per contended timing, shared out among the tasks.
const CONTENDED_CALLS: u64 = 2_000_000;
/// Reads counted for allocations.
const ALLOC_CALLS: u64 = 100_000;
/// Callers in a herd, and how long their token source takes.
const HERD_CALLERS: usize = 10_000;
const SOURCE_LATENCY: Duration = Duration::from_millis(50);
const HERD_ROUNDS: usize = 5;
/// How long the ageing subject's token takes to start ageing, and then ages for. Made at the
/// start, it ages by the time the other measurements are over; made again (and waited for)
/// if too little of its window is left.
const AGEING_WAIT: Duration = Duration::from_secs(20);
/// Sample pairs of the generated client against the hand-written request, and calls per
/// sample (one loopback request each, some tens of µs).
const CLIENT_PAIRS: usize = 1_500;
const CLIENT_CALLS: u64 = 40;
/// Calls counted for allocations over loopback.
const CLIENT_ALLOC_CALLS: u64 = 2_000;
/// Sample pairs of a paginated listing read by the generated method and by hand, and
/// listings per sample (each `client_pages::PAGES` loopback requests).
const PAGES_PAIRS: usize = 100;
const PAGES_LISTINGS: u64 = 4;
/// Sample pairs of `token().await` beside `fresh_token()`, and reads per sample (some ms).
const TOKEN_VS_FRESH_PAIRS: usize = 100;
const TOKEN_VS_FRESH_CALLS: u64 = 200_000;

fn main() {
    let started = Instant::now();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    match std::env::args().nth(1).as_deref() {
        None => full_report(&rt, started),
        Some("client") => client_report(&rt, started),
        Some("fleet") => fleet_report(&rt, started),
        Some("token-vs-fresh") => token_vs_fresh_report(&rt, started),
        Some("dpop") => dpop_report(started),
        Some("partitions") => partitions_report(&rt, started),
        Some("metrics") => metrics_report(started),
        Some("markdown") => markdown::markdown_report(),
        Some(other) => {
            eprintln!(
                "unknown section `{other}`: run without an argument for the full report, or \
                 with `client` for the generated client against hand-written reqwest only, \
                 `fleet` for the RedisStore figures only, `token-vs-fresh` for \
                 `token().await` beside `fresh_token()` only, `dpop` for the DPoP proofs \
                 only, `partitions` for the `TokenCaches` figures only, `metrics` for the read path \
                 with a metrics recorder and without only, or `markdown` to write the guide's \
                 performance table from the last runs' JSON"
            );
            std::process::exit(2);
        }
    }
}

/// Every section; figures to `target/bench-report.json`.
fn full_report(rt: &Runtime, started: Instant) {
    let ageing = Ageing::new(AGEING_WAIT);

    eprintln!("warming up...");
    rounds(rt, 1, SINGLE_CALLS / 10, CONTENDED_CALLS / 10);
    eprintln!("fast path and contention, {ROUNDS} rounds...");
    let mut timings = rounds(rt, ROUNDS, SINGLE_CALLS, CONTENDED_CALLS);
    eprintln!("token().await beside fresh_token(), {TOKEN_VS_FRESH_PAIRS} sample pairs each...");
    timings.token_vs_fresh = token_vs_fresh_both(rt);
    eprintln!("herds, {HERD_ROUNDS} rounds each...");
    let hard = herds(rt, Moment::HardExpiry);
    let ahead = herds(rt, Moment::RefreshAhead);
    let herd_floor_ms = median(
        (0..HERD_ROUNDS)
            .map(|_| rt.block_on(herd::floor(HERD_CALLERS)).as_secs_f64() * 1e3)
            .collect(),
    );
    let allocs = Allocs {
        token: rt.block_on(alloc::per_call(Cache(fresh_cache()), ALLOC_CALLS)),
        fresh_token: rt.block_on(alloc::per_call(CacheSync(fresh_cache()), ALLOC_CALLS)),
        wrapped: rt.block_on(alloc::per_call(Wrapped(Client::new()), ALLOC_CALLS)),
    };
    let ageing = if ageing.ageing_left() < AGEING_WAIT / 2 {
        Ageing::new(AGEING_WAIT)
    } else {
        ageing
    };
    eprintln!(
        "ageing token, {ROUNDS} rounds (after up to {:.0?} for it to age)...",
        ageing.ageing_left().saturating_sub(AGEING_WAIT)
    );
    ageing.start(rt.handle());
    timings.ageing = ageing_rounds(rt, &ageing);
    // After the ageing token's phase: before it, this section could outlast the token's
    // refresh-ahead window and cost a second wait for a new one to age.
    eprintln!("generated client against hand-written reqwest, {CLIENT_PAIRS} sample pairs...");
    let client = client_call(rt);
    eprintln!("DPoP proofs...");
    let proofs = dpop::dpop_proofs();
    eprintln!("TokenCaches: partition hits, handles, and 100,000 idle partitions...");
    let partitions = partitions::partitions(rt);
    eprintln!("the read path and a refresh with a metrics recorder and without...");
    let metrics = metrics_cost::metrics_cost();

    let figures = Figures::new(&timings, &hard, &ahead, &allocs, herd_floor_ms);
    print!("{}", figures.tables(&hard, &ahead, &allocs));
    println!("{}", client.table());
    print!("{}", proofs.table());
    print!("{}", partitions.table());
    print!("{}", metrics.table());
    let mut targets = figures.targets();
    targets.push(client.target());
    targets.push(proofs.target());
    targets.extend(partitions.targets());
    targets.extend(metrics.targets());
    print_targets(&targets);

    let path = write_json(&figures, &hard, &ahead, &allocs, &client, &targets);
    let mut report: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("the report was written"))
            .expect("the report is JSON");
    report["dpop_proofs"] = proofs.json();
    report["partitions"] = partitions.json();
    report["metrics"] = metrics.json();
    let path = write_report("bench-report.json", &report);
    println!(
        "\nRun in {:.0?} ({ROUNDS} rounds, medians; 2 tokio workers). Figures written to {}.",
        started.elapsed(),
        path.display()
    );
}

/// Only the generated client against hand-written reqwest; figures to
/// `target/bench-report-client.json`.
fn client_report(rt: &Runtime, started: Instant) {
    eprintln!("generated client against hand-written reqwest, {CLIENT_PAIRS} sample pairs...");
    let client = client_call(rt);
    print!("{}", client.table());
    eprintln!("a paginated listing, generated and by hand, {PAGES_PAIRS} sample pairs...");
    let pages = client_pages(rt);
    print!("{}", pages.table());
    let targets = [client.target()];
    print_targets(&targets);
    let report = json!({
        "client_call": client.json(),
        "client_pages": pages.json(),
        "worker_threads": 2,
        "targets": targets_json(&targets),
    });
    let path = write_report("bench-report-client.json", &report);
    println!(
        "\nRun in {:.0?} (2 tokio workers). Figures written to {}.",
        started.elapsed(),
        path.display()
    );
}

/// The DPoP proofs alone; figures to `target/bench-report-dpop.json`.
fn dpop_report(started: Instant) {
    eprintln!("DPoP proofs...");
    let proofs = dpop::dpop_proofs();
    print!("{}", proofs.table());
    let targets = [proofs.target()];
    print_targets(&targets);
    let report = json!({ "dpop_proofs": proofs.json(), "targets": targets_json(&targets) });
    let path = write_report("bench-report-dpop.json", &report);
    println!(
        "\nRun in {:.0?}. Figures written to {}.",
        started.elapsed(),
        path.display()
    );
}

/// The `TokenCaches` section alone; figures to `target/bench-report-partitions.json`.
fn partitions_report(rt: &Runtime, started: Instant) {
    eprintln!("TokenCaches: partition hits, handles, and 100,000 idle partitions...");
    let partitions = partitions::partitions(rt);
    print!("{}", partitions.table());
    let targets = partitions.targets();
    print_targets(&targets);
    let report = json!({
        "partitions": partitions.json(),
        "worker_threads": 2,
        "targets": targets_json(&targets),
    });
    let path = write_report("bench-report-partitions.json", &report);
    println!(
        "\nRun in {:.0?} (2 tokio workers). Figures written to {}.",
        started.elapsed(),
        path.display()
    );
}

/// The `metrics` section alone; figures to `target/bench-report-metrics.json`.
fn metrics_report(started: Instant) {
    eprintln!("the read path and a refresh with a metrics recorder and without...");
    let metrics = metrics_cost::metrics_cost();
    print!("{}", metrics.table());
    let targets = metrics.targets();
    print_targets(&targets);
    let report = json!({ "metrics": metrics.json(), "targets": targets_json(&targets) });
    let path = write_report("bench-report-metrics.json", &report);
    println!(
        "\nRun in {:.0?} (current-thread runtimes, one per thread). Figures written to {}.",
        started.elapsed(),
        path.display()
    );
}

/// The `RedisStore` section alone (it needs `redis-server`); figures to
/// `target/bench-report-fleet.json`.
fn fleet_report(rt: &Runtime, started: Instant) {
    eprintln!("RedisStore: fast path, then a fleet of caches on a local redis-server...");
    let Some(fleet) = fleet::fleet(rt) else {
        std::process::exit(1);
    };
    print!("{}", fleet.table());
    let path = write_report("bench-report-fleet.json", &fleet.json());
    println!(
        "\nRun in {:.0?} (2 tokio workers). Figures written to {}.",
        started.elapsed(),
        path.display()
    );
}

fn print_targets(targets: &[Target]) {
    println!("\n| target | measured | met |\n|---|---|---|");
    for target in targets {
        let met = if target.met { "met" } else { "**not met**" };
        println!("| {} | {} | {met} |", target.name, target.measured);
    }
    let met = targets.iter().filter(|t| t.met).count();
    println!("\n{met} of {} targets met.", targets.len());
}

/// The generated method against the hand-written request over loopback (issue 12).
#[derive(Debug)]
struct ClientFigures {
    /// Median µs per call of each.
    generated_us: f64,
    hand_written_us: f64,
    /// Generated over hand-written, of the medians.
    ratio: f64,
    /// Quartiles of the ratio of the two samples of each pair: how much it moves.
    pair_ratio_p25: f64,
    pair_ratio_p50: f64,
    pair_ratio_p75: f64,
    /// Allocations per call in the whole process, the server's included (the same for both).
    generated_allocs: f64,
    hand_written_allocs: f64,
}

/// Starts the local API, checks both methods, warms up, then takes interleaved samples.
fn client_call(rt: &Runtime) -> ClientFigures {
    let server = client_call::Server::start();
    let clients = client_call::Clients::new(&server);
    client_call::check(rt, &clients);
    let (generated, hand_written) = (&clients.generated, &clients.hand_written);
    interleaved(rt, generated, hand_written, CLIENT_PAIRS / 10, CLIENT_CALLS);
    let (a, b) = interleaved(rt, generated, hand_written, CLIENT_PAIRS, CLIENT_CALLS);
    let us = |samples: &[Duration]| {
        median(
            samples
                .iter()
                .map(|time| ns_per_call(*time, CLIENT_CALLS) / 1e3)
                .collect(),
        )
    };
    let mut pair_ratios: Vec<f64> = a
        .iter()
        .zip(&b)
        .map(|(a, b)| a.as_secs_f64() / b.as_secs_f64())
        .collect();
    pair_ratios.sort_by(f64::total_cmp);
    let quartile = |q: usize| pair_ratios[(pair_ratios.len() - 1) * q / 4];
    let (generated_us, hand_written_us) = (us(&a), us(&b));
    ClientFigures {
        generated_us,
        hand_written_us,
        ratio: generated_us / hand_written_us,
        pair_ratio_p25: quartile(1),
        pair_ratio_p50: median(pair_ratios.clone()),
        pair_ratio_p75: quartile(3),
        generated_allocs: rt.block_on(alloc::per_call(generated.clone(), CLIENT_ALLOC_CALLS)),
        hand_written_allocs: rt.block_on(alloc::per_call(hand_written.clone(), CLIENT_ALLOC_CALLS)),
    }
}

/// A paginated listing read by the generated method against the hand-written loop.
#[derive(Debug)]
struct PagesFigures {
    /// Median µs per page of each.
    generated_us: f64,
    hand_written_us: f64,
    /// Generated over hand-written, of the medians.
    ratio: f64,
}

/// Starts the local API with the listing, checks both readers, warms up, then takes
/// interleaved samples.
fn client_pages(rt: &Runtime) -> PagesFigures {
    let server = client_call::Server::start_with(client_pages::routes);
    let (generated, hand_written) = client_pages::subjects(&server);
    let items = (
        rt.block_on(generated.read()).map(|items| items.len()),
        rt.block_on(hand_written.read()).map(|items| items.len()),
    );
    assert!(
        matches!(items, (Ok(a), Ok(b)) if a == client_pages::ITEMS && b == a),
        "both read the whole listing: {items:?}"
    );
    interleaved(
        rt,
        &generated,
        &hand_written,
        PAGES_PAIRS / 10,
        PAGES_LISTINGS,
    );
    let (a, b) = interleaved(rt, &generated, &hand_written, PAGES_PAIRS, PAGES_LISTINGS);
    let us = |samples: &[Duration]| {
        median(
            samples
                .iter()
                .map(|time| ns_per_call(*time, PAGES_LISTINGS * client_pages::PAGES) / 1e3)
                .collect(),
        )
    };
    let (generated_us, hand_written_us) = (us(&a), us(&b));
    PagesFigures {
        generated_us,
        hand_written_us,
        ratio: generated_us / hand_written_us,
    }
}

impl PagesFigures {
    fn table(&self) -> String {
        format!(
            "\n| a paginated listing, loopback, 1 task, {} pages of `Link: rel=\"next\"` | µs/page (median) |\n\
             |---|---:|\n\
             | `#[freshtoken::client]` method with `paginate = link`, `try_collect()` | {:.2} |\n\
             | the loop by hand: `token()` per page, `Link` by string search, JSON | {:.2} |\n\
             \nGenerated / hand-written: {:.3}x per page (of the medians; {PAGES_PAIRS} pairs of \
             {PAGES_LISTINGS} listings, taken in turns).\n",
            client_pages::PAGES,
            self.generated_us,
            self.hand_written_us,
            self.ratio,
        )
    }

    fn json(&self) -> Value {
        json!({
            "generated_us_per_page": self.generated_us,
            "hand_written_us_per_page": self.hand_written_us,
            "ratio": self.ratio,
            "pages_per_listing": client_pages::PAGES,
            "pairs": PAGES_PAIRS,
            "listings_per_sample": PAGES_LISTINGS,
        })
    }
}

/// `pairs` samples of each subject, each the time of `calls` calls in one task, taken in
/// turns A B B A A B ... so that drift and noise fall on both alike and neither always
/// follows the other.
fn interleaved<A: Subject, B: Subject>(
    rt: &Runtime,
    a: &A,
    b: &B,
    pairs: usize,
    calls: u64,
) -> (Vec<Duration>, Vec<Duration>) {
    interleaved_tasks(rt, a, b, pairs, 1, calls)
}

/// As [`interleaved`], each sample's calls shared out among `tasks` tasks that run at once
/// (for more than one).
fn interleaved_tasks<A: Subject, B: Subject>(
    rt: &Runtime,
    a: &A,
    b: &B,
    pairs: usize,
    tasks: u64,
    calls: u64,
) -> (Vec<Duration>, Vec<Duration>) {
    fn sample<T: Subject>(rt: &Runtime, subject: &T, tasks: u64, calls: u64) -> Duration {
        if tasks == 1 {
            rt.block_on(run::single(subject.clone(), calls))
        } else {
            rt.block_on(run::contended(subject.clone(), tasks, calls))
        }
    }
    let mut a_samples = Vec::with_capacity(pairs);
    let mut b_samples = Vec::with_capacity(pairs);
    for pair in 0..pairs {
        let mut sample_a = || a_samples.push(sample(rt, a, tasks, calls));
        if pair % 2 == 0 {
            sample_a();
            b_samples.push(sample(rt, b, tasks, calls));
        } else {
            b_samples.push(sample(rt, b, tasks, calls));
            sample_a();
        }
    }
    (a_samples, b_samples)
}

impl ClientFigures {
    fn table(&self) -> String {
        format!(
            "\n| generated client vs hand-written reqwest, loopback, 1 task | µs/call (median) | allocations/call (process, server too) |\n\
             |---|---:|---:|\n\
             | `#[freshtoken::client]` method `GET /items/{{id}}` → JSON | {:.2} | {} |\n\
             | the same by hand: `token()`, `format!` URL, `error_for_status`, JSON | {:.2} | {} |\n\
             \nGenerated / hand-written: {:.3}x (of the medians; per pair of samples: median {:.3}x, \
             quartiles {:.3}x–{:.3}x; {CLIENT_PAIRS} pairs of {CLIENT_CALLS} calls, taken in turns).\n",
            self.generated_us,
            self.generated_allocs,
            self.hand_written_us,
            self.hand_written_allocs,
            self.ratio,
            self.pair_ratio_p50,
            self.pair_ratio_p25,
            self.pair_ratio_p75,
        )
    }

    fn target(&self) -> Target {
        Target {
            name: "generated client method <= 1.02x the hand-written reqwest request, loopback",
            measured: format!("{:.3}x", self.ratio),
            met: self.ratio <= 1.02,
        }
    }

    fn json(&self) -> Value {
        json!({
            "generated_us": self.generated_us,
            "hand_written_us": self.hand_written_us,
            "ratio": self.ratio,
            "pair_ratio_p25": self.pair_ratio_p25,
            "pair_ratio_p50": self.pair_ratio_p50,
            "pair_ratio_p75": self.pair_ratio_p75,
            "generated_allocs": self.generated_allocs,
            "hand_written_allocs": self.hand_written_allocs,
            "pairs": CLIENT_PAIRS,
            "calls_per_sample": CLIENT_CALLS,
        })
    }
}

/// The median of some samples.
fn median(mut samples: Vec<f64>) -> f64 {
    samples.sort_by(f64::total_cmp);
    let mid = samples.len() / 2;
    if samples.len() % 2 == 1 {
        samples[mid]
    } else {
        f64::midpoint(samples[mid - 1], samples[mid])
    }
}

/// Nanoseconds per call of one single-task timing.
fn ns_per_call(elapsed: Duration, calls: u64) -> f64 {
    #[allow(clippy::cast_precision_loss)] // call counts far below 2^52
    let calls = calls as f64;
    elapsed.as_secs_f64() * 1e9 / calls
}

/// Calls per second of one contended timing.
fn calls_per_s(elapsed: Duration, calls: u64) -> f64 {
    #[allow(clippy::cast_precision_loss)] // call counts far below 2^52
    let calls = calls as f64;
    calls / elapsed.as_secs_f64()
}

/// Medians of every timing of sections 1 to 3.
#[derive(Debug, Default)]
struct Timings {
    floor_ns: f64,
    floor_tokio_ns: f64,
    fast_path_ns: f64,
    fresh_token_ns: f64,
    mutex_ns: f64,
    rwlock_ns: f64,
    /// The two methods polled out of line, as from another crate: the macro's overhead.
    wrapped_ns: f64,
    by_hand_ns: f64,
    /// The two methods where the benchmark loop may inline their state machines.
    wrapped_inlined_ns: f64,
    by_hand_inlined_ns: f64,
    /// Calls per second with 2 and with 64 tasks.
    contended: [Contended; 2],
    /// `token().await` beside `fresh_token()` with 1 and with 64 tasks.
    token_vs_fresh: [TokenVsFresh; 2],
    ageing: AgeingTimings,
}

/// `token().await` beside `fresh_token()` on one cache, samples taken in turns: what the
/// future costs beyond the synchronous read it wraps.
#[derive(Debug, Default, Clone, Copy)]
struct TokenVsFresh {
    tasks: u64,
    /// Median ns per read of each (with several tasks, the wall time over all their reads).
    token_ns: f64,
    fresh_ns: f64,
    /// `token_ns` over `fresh_ns`.
    ratio: f64,
    /// Quartiles of the ratio of the two samples of each pair: steadier than the ratio of the
    /// medians when the machine's load drifts.
    pair_ratio_p25: f64,
    pair_ratio_p50: f64,
    pair_ratio_p75: f64,
}

/// `token().await` beside `fresh_token()` with 1 and with 64 tasks, after a warm-up.
fn token_vs_fresh_both(rt: &Runtime) -> [TokenVsFresh; 2] {
    // One cache behind both subjects, so both read the same token at the same addresses.
    let cache = fresh_cache();
    let (token, fresh) = (Cache(cache.clone()), CacheSync(cache));
    [1, 64].map(|tasks| {
        interleaved_tasks(
            rt,
            &token,
            &fresh,
            TOKEN_VS_FRESH_PAIRS / 10,
            tasks,
            TOKEN_VS_FRESH_CALLS,
        );
        let (a, b) = interleaved_tasks(
            rt,
            &token,
            &fresh,
            TOKEN_VS_FRESH_PAIRS,
            tasks,
            TOKEN_VS_FRESH_CALLS,
        );
        let ns = |samples: &[Duration]| {
            median(
                samples
                    .iter()
                    .map(|time| ns_per_call(*time, TOKEN_VS_FRESH_CALLS))
                    .collect(),
            )
        };
        let mut pair_ratios: Vec<f64> = a
            .iter()
            .zip(&b)
            .map(|(a, b)| a.as_secs_f64() / b.as_secs_f64())
            .collect();
        pair_ratios.sort_by(f64::total_cmp);
        let quartile = |q: usize| pair_ratios[(pair_ratios.len() - 1) * q / 4];
        let (token_ns, fresh_ns) = (ns(&a), ns(&b));
        TokenVsFresh {
            tasks,
            token_ns,
            fresh_ns,
            ratio: token_ns / fresh_ns,
            pair_ratio_p25: quartile(1),
            pair_ratio_p50: median(pair_ratios.clone()),
            pair_ratio_p75: quartile(3),
        }
    })
}

impl TokenVsFresh {
    /// The table of both task counts.
    fn table(both: &[Self; 2]) -> String {
        let mut lines = vec![
            "\n| `token().await` beside `fresh_token()`, one cache, samples in turns | `token().await` | `fresh_token()` | ratio of medians | per pair: median (quartiles) |".to_owned(),
            "|---|---:|---:|---:|---:|".to_owned(),
        ];
        for s in both {
            let tasks = match s.tasks {
                1 => "1 task".to_owned(),
                n => format!("{n} tasks (wall time / reads)"),
            };
            lines.push(format!(
                "| {tasks} | {:.1} ns/call | {:.1} ns/call | {:.3}x | {:.3}x ({:.3}x–{:.3}x) |",
                s.token_ns,
                s.fresh_ns,
                s.ratio,
                s.pair_ratio_p50,
                s.pair_ratio_p25,
                s.pair_ratio_p75,
            ));
        }
        lines.push(format!(
            "\n{TOKEN_VS_FRESH_PAIRS} pairs of {TOKEN_VS_FRESH_CALLS} reads for each task count."
        ));
        lines.join("\n")
    }

    fn target(both: &[Self; 2]) -> Target {
        let many = both[1];
        Target {
            name: "`token().await` <= 1.1x `fresh_token()`, 64 tasks, same run (per-pair median)",
            measured: format!("{:.3}x", many.pair_ratio_p50),
            met: many.pair_ratio_p50 <= 1.1,
        }
    }

    fn json(&self) -> Value {
        json!({
            "tasks": self.tasks,
            "token_ns": self.token_ns,
            "fresh_token_ns": self.fresh_ns,
            "ratio": self.ratio,
            "pair_ratio_p25": self.pair_ratio_p25,
            "pair_ratio_p50": self.pair_ratio_p50,
            "pair_ratio_p75": self.pair_ratio_p75,
            "pairs": TOKEN_VS_FRESH_PAIRS,
            "calls_per_sample": TOKEN_VS_FRESH_CALLS,
        })
    }
}

/// Only `token().await` beside `fresh_token()`; figures to
/// `target/bench-report-token-vs-fresh.json`.
fn token_vs_fresh_report(rt: &Runtime, started: Instant) {
    eprintln!("token().await beside fresh_token(), {TOKEN_VS_FRESH_PAIRS} sample pairs each...");
    let both = token_vs_fresh_both(rt);
    println!("{}", TokenVsFresh::table(&both));
    let targets = [TokenVsFresh::target(&both)];
    print_targets(&targets);
    let report = json!({
        "token_vs_fresh_token": both.iter().map(TokenVsFresh::json).collect::<Vec<_>>(),
        "worker_threads": 2,
        "targets": targets_json(&targets),
    });
    let path = write_report("bench-report-token-vs-fresh.json", &report);
    println!(
        "\nRun in {:.0?} (2 tokio workers). Figures written to {}.",
        started.elapsed(),
        path.display()
    );
}

/// `token()` on an ageing token while its background refresh runs, measured in a phase of its
/// own with the floor and the fresh path beside it (the ratios use that floor).
#[derive(Debug, Default, Clone, Copy)]
struct AgeingTimings {
    floor_ns: f64,
    fresh_ns: f64,
    ageing_ns: f64,
    /// Calls per second with 64 tasks.
    floor64: f64,
    fresh64: f64,
    ageing64: f64,
}

/// Calls per second of every subject with some number of tasks.
#[derive(Debug, Default, Clone, Copy)]
struct Contended {
    tasks: u64,
    floor: f64,
    cache: f64,
    mutex: f64,
    rwlock: f64,
}

/// Every subject measured once per round, interleaved so that noise from the shared machine
/// falls on all of them alike; medians over the rounds.
fn rounds(rt: &Runtime, rounds: usize, single_calls: u64, contended_calls: u64) -> Timings {
    // One closure per subject keeps every subject's type concrete.
    fn timed<T: Subject>(rt: &Runtime, subject: T) -> Box<dyn Fn(u64) -> Duration + '_> {
        Box::new(move |calls| rt.block_on(run::single(subject.clone(), calls)))
    }
    let client = Client::new();
    let subjects = [
        timed(rt, Floor::new()),
        timed(rt, TokioFloor::new()),
        timed(rt, Cache(fresh_cache())),
        timed(rt, CacheSync(fresh_cache())),
        timed(rt, MutexBaseline::new()),
        timed(rt, RwLockBaseline::new()),
        timed(rt, OutOfLine(Wrapped(client.clone()))),
        timed(rt, OutOfLine(ByHand(client.clone()))),
        timed(rt, Wrapped(client.clone())),
        timed(rt, ByHand(client)),
    ];
    let mut samples: Vec<Vec<f64>> = vec![Vec::new(); subjects.len()];
    for _ in 0..rounds {
        for (subject, samples) in subjects.iter().zip(&mut samples) {
            samples.push(ns_per_call(subject(single_calls), single_calls));
        }
    }
    let mut medians = samples.into_iter().map(median);
    let mut next = || medians.next().expect("one median per subject");
    let mut timings = Timings {
        floor_ns: next(),
        floor_tokio_ns: next(),
        fast_path_ns: next(),
        fresh_token_ns: next(),
        mutex_ns: next(),
        rwlock_ns: next(),
        wrapped_ns: next(),
        by_hand_ns: next(),
        wrapped_inlined_ns: next(),
        by_hand_inlined_ns: next(),
        ..Timings::default()
    };
    for (slot, tasks) in timings.contended.iter_mut().zip([2, 64]) {
        *slot = contended(rt, rounds, tasks, contended_calls);
    }
    timings
}

/// Calls per second with `tasks` tasks hammering each subject, medians over `rounds`.
fn contended(rt: &Runtime, rounds: usize, tasks: u64, calls: u64) -> Contended {
    let floor = Floor::new();
    let cache = Cache(fresh_cache());
    let mutex = MutexBaseline::new();
    let rwlock = RwLockBaseline::new();
    let mut samples: [Vec<f64>; 4] = Default::default();
    for _ in 0..rounds {
        let times = [
            rt.block_on(run::contended(floor.clone(), tasks, calls)),
            rt.block_on(run::contended(cache.clone(), tasks, calls)),
            rt.block_on(run::contended(mutex.clone(), tasks, calls)),
            rt.block_on(run::contended(rwlock.clone(), tasks, calls)),
        ];
        for (samples, time) in samples.iter_mut().zip(times) {
            samples.push(calls_per_s(time, calls));
        }
    }
    let [floor, cache, mutex, rwlock] = samples.map(median);
    Contended {
        tasks,
        floor,
        cache,
        mutex,
        rwlock,
    }
}

/// The ageing token's path beside the floor and the fresh path, medians over `ROUNDS`.
fn ageing_rounds(rt: &Runtime, ageing: &Ageing) -> AgeingTimings {
    let floor = Floor::new();
    let fresh = Cache(fresh_cache());
    let mut samples: [Vec<f64>; 6] = Default::default();
    for _ in 0..ROUNDS {
        let single = [
            rt.block_on(run::single(floor.clone(), SINGLE_CALLS)),
            rt.block_on(run::single(fresh.clone(), SINGLE_CALLS)),
            rt.block_on(run::single(ageing.clone(), SINGLE_CALLS)),
        ];
        let many = [
            rt.block_on(run::contended(floor.clone(), 64, CONTENDED_CALLS)),
            rt.block_on(run::contended(fresh.clone(), 64, CONTENDED_CALLS)),
            rt.block_on(run::contended(ageing.clone(), 64, CONTENDED_CALLS)),
        ];
        let figures = single
            .map(|time| ns_per_call(time, SINGLE_CALLS))
            .into_iter()
            .chain(many.map(|time| calls_per_s(time, CONTENDED_CALLS)));
        for (samples, figure) in samples.iter_mut().zip(figures) {
            samples.push(figure);
        }
    }
    assert!(
        ageing.is_ageing(),
        "the token stopped ageing during the measurement; raise AGEING_WAIT"
    );
    let [floor_ns, fresh_ns, ageing_ns, floor64, fresh64, ageing64] = samples.map(median);
    AgeingTimings {
        floor_ns,
        fresh_ns,
        ageing_ns,
        floor64,
        fresh64,
        ageing64,
    }
}

/// Medians of herd runs; source calls as the largest seen (every run must make one).
#[derive(Debug)]
struct HerdFigures {
    source_calls_max: usize,
    source_calls_min: usize,
    all_done_ms: f64,
    refresh_ms: f64,
    p50_ms: f64,
    p99_ms: f64,
    served_new: usize,
}

fn herds(rt: &Runtime, moment: Moment) -> HerdFigures {
    let runs: Vec<Herd> = (0..HERD_ROUNDS)
        .map(|_| rt.block_on(herd::run(moment, HERD_CALLERS, SOURCE_LATENCY)))
        .collect();
    let ms =
        |f: fn(&Herd) -> Duration| median(runs.iter().map(|h| f(h).as_secs_f64() * 1e3).collect());
    HerdFigures {
        source_calls_max: runs.iter().map(|h| h.source_calls).max().unwrap_or(0),
        source_calls_min: runs.iter().map(|h| h.source_calls).min().unwrap_or(0),
        all_done_ms: ms(|h| h.all_done),
        refresh_ms: ms(|h| h.refresh),
        p50_ms: ms(|h| h.p50),
        p99_ms: ms(|h| h.p99),
        served_new: runs.iter().map(|h| h.served_new).max().unwrap_or(0),
    }
}

/// Allocations per call.
#[derive(Debug)]
struct Allocs {
    token: f64,
    fresh_token: f64,
    wrapped: f64,
}

/// The figures the targets are judged by.
#[derive(Debug)]
struct Figures {
    t: Timings,
    macro_overhead: f64,
    herd_source_calls: usize,
    herd_all_done_ms: f64,
    ahead_source_calls: usize,
    ahead_all_done_ms: f64,
    fast_path_allocs: f64,
    /// All done for the same herd reading the floor: the cost of waking the callers alone.
    herd_floor_ms: f64,
}

/// One target of the issue and whether this run met it.
#[derive(Debug)]
struct Target {
    name: &'static str,
    measured: String,
    met: bool,
}

impl Figures {
    fn new(
        t: &Timings,
        hard: &HerdFigures,
        ahead: &HerdFigures,
        allocs: &Allocs,
        herd_floor_ms: f64,
    ) -> Self {
        // A herd that ever made other than one call reports the worst count it made.
        let calls = |h: &HerdFigures| {
            if h.source_calls_min == 1 {
                h.source_calls_max
            } else {
                h.source_calls_min
            }
        };
        Self {
            t: Timings {
                contended: t.contended,
                ..*t
            },
            macro_overhead: t.wrapped_ns / t.by_hand_ns,
            herd_source_calls: calls(hard),
            herd_all_done_ms: hard.all_done_ms,
            ahead_source_calls: calls(ahead),
            ahead_all_done_ms: ahead.all_done_ms,
            fast_path_allocs: allocs.token,
            herd_floor_ms,
        }
    }

    fn c64(&self) -> Contended {
        self.t.contended[1]
    }

    /// The tables of sections 1 to 3 and 5 (fast path, contention, macro, allocations).
    fn tables(&self, hard: &HerdFigures, ahead: &HerdFigures, allocs: &Allocs) -> String {
        let t = &self.t;
        let mut lines = vec![
            "| measurement | value | vs floor | vs tokio Mutex baseline | vs tokio RwLock baseline |"
                .to_owned(),
            "|---|---:|---:|---:|---:|".to_owned(),
        ];
        let single = |name: &str, ns: f64| {
            format!(
                "| 1 task: {name} | {ns:.1} ns/call | {:.2}x the time | {:.1}x faster | {:.1}x faster |",
                ns / t.floor_ns,
                t.mutex_ns / ns,
                t.rwlock_ns / ns,
            )
        };
        lines.push(single(
            "floor (std `Instant::now()` + compare + `Arc` clone)",
            t.floor_ns,
        ));
        lines.push(single(
            "floor with tokio's `Instant::now()`",
            t.floor_tokio_ns,
        ));
        lines.push(single("freshtoken `token().await`", t.fast_path_ns));
        lines.push(single("freshtoken `fresh_token()`", t.fresh_token_ns));
        lines.push(single(
            "`tokio::sync::Mutex<Option<_>>` baseline",
            t.mutex_ns,
        ));
        lines.push(single(
            "`tokio::sync::RwLock` double-check baseline",
            t.rwlock_ns,
        ));
        for c in &t.contended {
            let many = |name: &str, calls: f64| {
                format!(
                    "| {} tasks: {name} | {:.1} M calls/s | {:.2}x the throughput | {:.1}x faster | {:.1}x faster |",
                    c.tasks,
                    calls / 1e6,
                    calls / c.floor,
                    calls / c.mutex,
                    calls / c.rwlock,
                )
            };
            lines.push(many("floor", c.floor));
            lines.push(many("freshtoken `token().await`", c.cache));
            lines.push(many("Mutex baseline", c.mutex));
            lines.push(many("RwLock baseline", c.rwlock));
        }
        lines.extend(self.ageing_rows());
        lines.push(single(
            "method with `#[refresh_token]`, polled out of line",
            t.wrapped_ns,
        ));
        lines.push(single(
            "same method by hand (401 retry too), polled out of line",
            t.by_hand_ns,
        ));
        lines.push(single(
            "method with `#[refresh_token]`, inlined into the loop",
            t.wrapped_inlined_ns,
        ));
        lines.push(single(
            "same method by hand, inlined into the loop",
            t.by_hand_inlined_ns,
        ));
        lines.push(format!(
            "\nMacro overhead: {:.3}x the hand-written method, both polled out of line as an \
             application polls an SDK's methods ({:.3}x where the benchmark loop may inline them: \
             LLVM inlines the hand-written method's smaller state machine, not the wrapped one's). \
             Allocations per call: `token()` {}, `fresh_token()` {}, wrapped method {}.",
            self.macro_overhead,
            t.wrapped_inlined_ns / t.by_hand_inlined_ns,
            allocs.token,
            allocs.fresh_token,
            allocs.wrapped,
        ));
        lines.push(self.ageing_note());
        lines.push(TokenVsFresh::table(&t.token_vs_fresh));
        lines.push(self.herd_table(hard, ahead));
        lines.join("\n")
    }

    /// The rows of `token()` on an ageing token while its refresh runs.
    fn ageing_rows(&self) -> [String; 2] {
        let t = &self.t;
        let a = &t.ageing;
        let c64 = self.c64();
        [
            format!(
                "| 1 task: freshtoken `token().await`, token ageing, refresh running | {:.1} ns/call | {:.2}x the time | {:.1}x faster | {:.1}x faster |",
                a.ageing_ns,
                a.ageing_ns / a.floor_ns,
                t.mutex_ns / a.ageing_ns,
                t.rwlock_ns / a.ageing_ns,
            ),
            format!(
                "| 64 tasks: freshtoken `token().await`, token ageing, refresh running | {:.1} M calls/s | {:.2}x the throughput | {:.1}x faster | {:.1}x faster |",
                a.ageing64 / 1e6,
                a.ageing64 / a.floor64,
                a.ageing64 / c64.mutex,
                a.ageing64 / c64.rwlock,
            ),
        ]
    }

    /// Where the ageing rows' floor comes from.
    fn ageing_note(&self) -> String {
        format!(
            "The two ageing rows were measured in a phase of their own, beside the floor \
             ({:.1} ns/call; {:.1} M calls/s with 64 tasks) and the fresh token \
             ({:.1} ns/call; {:.1} M calls/s), and their ratios are to that floor.",
            self.t.ageing.floor_ns,
            self.t.ageing.floor64 / 1e6,
            self.t.ageing.fresh_ns,
            self.t.ageing.fresh64 / 1e6,
        )
    }

    /// The table of section 4 (herds).
    fn herd_table(&self, hard: &HerdFigures, ahead: &HerdFigures) -> String {
        let latency_ms = SOURCE_LATENCY.as_secs_f64() * 1e3;
        let mut lines = vec![
            format!(
                "\n| herd: {HERD_CALLERS} callers, {latency_ms:.0} ms source | source calls | all done | \
                 ÷ source latency | refresh took | p50 per caller | p99 per caller | callers given the new token |"
            ),
            "|---|---:|---:|---:|---:|---:|---:|---:|".to_owned(),
        ];
        for (name, h) in [
            ("at hard expiry", hard),
            ("at the refresh-ahead point", ahead),
        ] {
            let calls = if h.source_calls_min == h.source_calls_max {
                h.source_calls_max.to_string()
            } else {
                format!("{} to {}", h.source_calls_min, h.source_calls_max)
            };
            lines.push(format!(
                "| {name} | {calls} | {:.1} ms | {:.2}x | {:.1} ms | {:.3} ms | {:.3} ms | {} of {HERD_CALLERS} |",
                h.all_done_ms,
                h.all_done_ms / latency_ms,
                h.refresh_ms,
                h.p50_ms,
                h.p99_ms,
                h.served_new,
            ));
        }
        lines.push(format!(
            "| floor: callers only wake and read the floor | 0 | {:.1} ms | {:.2}x | | | | |\n",
            self.herd_floor_ms,
            self.herd_floor_ms / latency_ms,
        ));
        lines.join("\n")
    }

    fn targets(&self) -> Vec<Target> {
        let t = &self.t;
        let c64 = self.c64();
        let latency_ms = SOURCE_LATENCY.as_secs_f64() * 1e3;
        let fast_vs_floor = t.fast_path_ns / t.floor_ns;
        let tput_vs_floor = c64.cache / c64.floor;
        let vs_mutex = t.mutex_ns / t.fast_path_ns;
        let vs_mutex64 = c64.cache / c64.mutex;
        let a = &t.ageing;
        let ageing_vs_floor = a.ageing_ns / a.floor_ns;
        let ageing_tput_vs_floor = a.ageing64 / a.floor64;
        vec![
            Target {
                name: "fast path <= 1.5x the floor, 1 task",
                measured: format!("{fast_vs_floor:.2}x"),
                met: fast_vs_floor <= 1.5,
            },
            Target {
                name: "fast path >= 0.85x the floor's throughput, 64 tasks",
                measured: format!("{tput_vs_floor:.2}x"),
                met: tput_vs_floor >= 0.85,
            },
            Target {
                name: ">= 2x faster than the Mutex baseline, 1 task",
                measured: format!("{vs_mutex:.1}x"),
                met: vs_mutex >= 2.0,
            },
            Target {
                name: ">= 5x faster than the Mutex baseline, 64 tasks",
                measured: format!("{vs_mutex64:.1}x"),
                met: vs_mutex64 >= 5.0,
            },
            Target {
                name: "ageing token, refresh running: <= 1.5x the floor, 1 task",
                measured: format!("{ageing_vs_floor:.2}x"),
                met: ageing_vs_floor <= 1.5,
            },
            Target {
                name: "ageing token, refresh running: >= 0.67x the floor's throughput (1.5x the time), 64 tasks",
                measured: format!("{ageing_tput_vs_floor:.2}x"),
                met: ageing_tput_vs_floor >= 1.0 / 1.5,
            },
            TokenVsFresh::target(&t.token_vs_fresh),
            Target {
                name: "0 allocations per fast-path call",
                measured: format!("{}", self.fast_path_allocs),
                met: self.fast_path_allocs == 0.0,
            },
            Target {
                name: "macro overhead <= 1.15x",
                measured: format!("{:.3}x", self.macro_overhead),
                met: self.macro_overhead <= 1.15,
            },
            Target {
                name: "herd at hard expiry: exactly 1 source call",
                measured: self.herd_source_calls.to_string(),
                met: self.herd_source_calls == 1,
            },
            Target {
                name: "herd at hard expiry: all done within 1.2x the source latency",
                measured: format!("{:.2}x", self.herd_all_done_ms / latency_ms),
                met: self.herd_all_done_ms <= 1.2 * latency_ms,
            },
            Target {
                name: "herd at the refresh-ahead point: exactly 1 source call",
                measured: self.ahead_source_calls.to_string(),
                met: self.ahead_source_calls == 1,
            },
            Target {
                name: "herd at the refresh-ahead point: all done within 0.1x the source latency",
                measured: format!("{:.3}x", self.ahead_all_done_ms / latency_ms),
                met: self.ahead_all_done_ms <= 0.1 * latency_ms,
            },
        ]
    }
}

/// Writes the figures to `target/bench-report.json` at the workspace root.
fn write_json(
    f: &Figures,
    hard: &HerdFigures,
    ahead: &HerdFigures,
    allocs: &Allocs,
    client: &ClientFigures,
    targets: &[Target],
) -> PathBuf {
    let t = &f.t;
    let [c2, c64] = t.contended;
    let targets = targets_json(targets);
    // Its own object: one `json!` with every field exceeds the macro's recursion limit.
    let ageing = json!({
        "floor_ns": t.ageing.floor_ns,
        "fresh_token_ns": t.ageing.fresh_ns,
        "ageing_ns": t.ageing.ageing_ns,
        "contended64_floor_calls_per_s": t.ageing.floor64,
        "contended64_fresh_calls_per_s": t.ageing.fresh64,
        "contended64_ageing_calls_per_s": t.ageing.ageing64,
    });
    let mut report = json!({
        "floor_ns": t.floor_ns,
        "floor_tokio_clock_ns": t.floor_tokio_ns,
        "fast_path_ns": t.fast_path_ns,
        "fresh_token_ns": t.fresh_token_ns,
        "mutex_baseline_ns": t.mutex_ns,
        "rwlock_baseline_ns": t.rwlock_ns,
        "contended2_floor_calls_per_s": c2.floor,
        "contended2_calls_per_s": c2.cache,
        "contended2_mutex_calls_per_s": c2.mutex,
        "contended2_rwlock_calls_per_s": c2.rwlock,
        "contended64_floor_calls_per_s": c64.floor,
        "contended64_calls_per_s": c64.cache,
        "contended64_mutex_calls_per_s": c64.mutex,
        "contended64_rwlock_calls_per_s": c64.rwlock,
        "ageing": ageing,
        "client_call": client.json(),
        "macro_wrapped_ns": t.wrapped_ns,
        "macro_by_hand_ns": t.by_hand_ns,
        "macro_wrapped_inlined_ns": t.wrapped_inlined_ns,
        "macro_by_hand_inlined_ns": t.by_hand_inlined_ns,
        "macro_overhead_ratio": f.macro_overhead,
        "herd_callers": HERD_CALLERS,
        "herd_source_latency_ms": SOURCE_LATENCY.as_secs_f64() * 1e3,
        "herd_source_calls": f.herd_source_calls,
        "herd_all_done_ms": hard.all_done_ms,
        "herd_refresh_latency_ms": hard.refresh_ms,
        "herd_p50_ms": hard.p50_ms,
        "herd_p99_ms": hard.p99_ms,
        "ahead_herd_source_calls": f.ahead_source_calls,
        "ahead_herd_all_done_ms": ahead.all_done_ms,
        "ahead_herd_refresh_latency_ms": ahead.refresh_ms,
        "ahead_herd_p50_ms": ahead.p50_ms,
        "ahead_herd_p99_ms": ahead.p99_ms,
        "ahead_herd_served_new_token": ahead.served_new,
        "herd_floor_all_done_ms": f.herd_floor_ms,
        "fast_path_allocs": allocs.token,
        "fresh_token_allocs": allocs.fresh_token,
        "macro_wrapped_allocs": allocs.wrapped,
        "rounds": ROUNDS,
        "worker_threads": 2,
        "targets": targets,
    });
    // Added apart: one more field in the `json!` above exceeds the macro's recursion limit.
    report["token_vs_fresh_token"] = t.token_vs_fresh.iter().map(TokenVsFresh::json).collect();
    write_report("bench-report.json", &report)
}

fn targets_json(targets: &[Target]) -> Vec<Value> {
    targets
        .iter()
        .map(|t| json!({ "target": t.name, "measured": t.measured, "met": t.met }))
        .collect()
}

/// Writes `report` to `target/<name>` at the workspace root.
fn write_report(name: &str, report: &Value) -> PathBuf {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../target"));
    std::fs::create_dir_all(&dir).expect("the workspace's target directory can be created");
    let path = dir.join(name);
    let text = serde_json::to_string_pretty(report).expect("figures serialize");
    std::fs::write(&path, text + "\n").expect("the report can be written");
    path.canonicalize().unwrap_or(path)
}
