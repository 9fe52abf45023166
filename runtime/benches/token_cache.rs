//! Benchmarks of the token fast path, contention, the ageing token's path (issue 11), the
//! macro's overhead and herds (issue 6).
//!
//! Every group runs on one multi-thread tokio runtime with 2 workers and puts freshtoken
//! beside the floor (`Instant::now()`, a compare, an `Arc` clone) and two simple baselines.
//! Run with `cargo bench -p freshtoken`; for a quick table with ratios and targets, run
//! `cargo run --release -p freshtoken-examples --bin bench_report`.
//!
//! Note: the runtime crate's dev-dependencies turn on tokio's `test-util`, so here tokio's
//! `Instant::now()` first checks whether any runtime paused the clock; the `floor (tokio
//! clock)` row shows what that costs.

mod workloads;

use std::cell::OnceCell;
use std::time::Duration;

use criterion::{BenchmarkGroup, Criterion, Throughput, measurement::WallTime};
use tokio::runtime::Runtime;

use workloads::herd::{self, Moment};
use workloads::run;
use workloads::subjects::{
    Ageing, ByHand, Cache, CacheSync, Client, Floor, MutexBaseline, OutOfLine, RwLockBaseline,
    Subject, TokioFloor, Wrapped, fresh_cache,
};

/// Callers in a herd, and how long their token source takes.
const HERD_CALLERS: usize = 10_000;
const SOURCE_LATENCY: Duration = Duration::from_millis(50);

/// How long the ageing subject's token takes to start ageing, and then ages for: long enough
/// for the two benchmarks of section 2b (about 5 s each).
const AGEING_WAIT: Duration = Duration::from_secs(20);

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

fn bench_single<T: Subject>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    rt: &Runtime,
    name: &str,
    subject: &T,
) {
    group.bench_function(name, |b| {
        b.to_async(rt)
            .iter_custom(|iters| run::single(subject.clone(), iters));
    });
}

fn bench_contended<T: Subject>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    rt: &Runtime,
    name: &str,
    tasks: u64,
    subject: &T,
) {
    group.bench_function(name, |b| {
        b.to_async(rt)
            .iter_custom(|iters| run::contended(subject.clone(), tasks, iters));
    });
}

/// Section 1: ns per fresh-token read, one task.
fn single_task(c: &mut Criterion, rt: &Runtime) {
    let mut group = c.benchmark_group("single_task");
    group.throughput(Throughput::Elements(1));
    bench_single(&mut group, rt, "floor", &Floor::new());
    bench_single(&mut group, rt, "floor (tokio clock)", &TokioFloor::new());
    bench_single(&mut group, rt, "freshtoken token()", &Cache(fresh_cache()));
    bench_single(
        &mut group,
        rt,
        "freshtoken fresh_token()",
        &CacheSync(fresh_cache()),
    );
    bench_single(
        &mut group,
        rt,
        "tokio Mutex baseline",
        &MutexBaseline::new(),
    );
    bench_single(
        &mut group,
        rt,
        "tokio RwLock baseline",
        &RwLockBaseline::new(),
    );
    group.finish();
}

/// Section 2: The same with 2 and 64 tasks hammering one cache; time per call over all tasks.
/// `token()` and `fresh_token()` side by side: for the ratio of the two, `bench_report
/// token-vs-fresh` takes their samples in turns, which the shared machine's noise needs.
fn contended(c: &mut Criterion, rt: &Runtime) {
    for tasks in [2, 64] {
        let mut group = c.benchmark_group(format!("contended_{tasks}_tasks"));
        group.throughput(Throughput::Elements(1));
        bench_contended(&mut group, rt, "floor", tasks, &Floor::new());
        // One cache behind both, so `token()` and `fresh_token()` read the same token at
        // the same addresses: the difference is the future's own cost.
        let cache = fresh_cache();
        bench_contended(
            &mut group,
            rt,
            "freshtoken token()",
            tasks,
            &Cache(cache.clone()),
        );
        bench_contended(
            &mut group,
            rt,
            "freshtoken fresh_token()",
            tasks,
            &CacheSync(cache),
        );
        bench_contended(
            &mut group,
            rt,
            "tokio Mutex baseline",
            tasks,
            &MutexBaseline::new(),
        );
        bench_contended(
            &mut group,
            rt,
            "tokio RwLock baseline",
            tasks,
            &RwLockBaseline::new(),
        );
        group.finish();
    }
}

/// Section 2b: `token()` on a token in its refresh-ahead window while its background
/// refresh runs, with 1 and 64 tasks; compare with `single_task` and `contended_64_tasks`.
/// Waits `AGEING_WAIT` for the token to age, and only when one of these benchmarks runs.
fn ageing(c: &mut Criterion, rt: &Runtime) {
    let subject = OnceCell::new();
    let aged = || {
        subject
            .get_or_init(|| {
                eprintln!("waiting {AGEING_WAIT:?} for the token to start ageing...");
                let ageing = Ageing::new(AGEING_WAIT);
                ageing.start(rt.handle());
                ageing
            })
            .clone()
    };
    let checked = |ageing: &Ageing, elapsed: Duration| {
        assert!(
            ageing.is_ageing(),
            "the token stopped ageing during the measurement; raise AGEING_WAIT"
        );
        elapsed
    };
    let mut group = c.benchmark_group("ageing_token_refresh_running");
    group.throughput(Throughput::Elements(1));
    group.bench_function("freshtoken token(), 1 task", |b| {
        let ageing = aged();
        b.to_async(rt).iter_custom(|iters| {
            let ageing = ageing.clone();
            async move { checked(&ageing, run::single(ageing.clone(), iters).await) }
        });
    });
    group.bench_function("freshtoken token(), 64 tasks", |b| {
        let ageing = aged();
        b.to_async(rt).iter_custom(|iters| {
            let ageing = ageing.clone();
            async move { checked(&ageing, run::contended(ageing.clone(), 64, iters).await) }
        });
    });
    group.finish();
    if let Some(ageing) = subject.get() {
        eprintln!("  (the token ages for {:.1?} more)", ageing.ageing_left());
    }
}

/// Section 3: A method with `#[refresh_token]` against the same method by hand.
fn macro_overhead(c: &mut Criterion, rt: &Runtime) {
    let client = Client::new();
    let mut group = c.benchmark_group("macro_overhead");
    group.throughput(Throughput::Elements(1));
    bench_single(
        &mut group,
        rt,
        "#[refresh_token] method",
        &Wrapped(client.clone()),
    );
    bench_single(
        &mut group,
        rt,
        "by hand, with 401 retry",
        &ByHand(client.clone()),
    );
    bench_single(
        &mut group,
        rt,
        "#[refresh_token] method, polled out of line",
        &OutOfLine(Wrapped(client.clone())),
    );
    bench_single(
        &mut group,
        rt,
        "by hand, with 401 retry, polled out of line",
        &OutOfLine(ByHand(client)),
    );
    group.finish();
}

/// Section 4: herds of 10,000 callers; criterion times "all done" (moment to last caller
/// served), and each run's source calls and p50/p99 are printed.
fn herds(c: &mut Criterion, rt: &Runtime) {
    let mut group = c.benchmark_group("herd_10000_callers_50ms_source");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(15));
    for (name, moment) in [
        ("hard expiry", Moment::HardExpiry),
        ("refresh-ahead point", Moment::RefreshAhead),
    ] {
        group.bench_function(name, |b| {
            b.to_async(rt).iter_custom(|iters| async move {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let herd = herd::run(moment, HERD_CALLERS, SOURCE_LATENCY).await;
                    assert_eq!(herd.source_calls, 1, "{name}: one refresh for the herd");
                    eprintln!(
                        "  {name}: source calls {}, all done {:.1?}, refresh {:.1?}, p50 {:.1?}, p99 {:.1?}, new token for {}",
                        herd.source_calls, herd.all_done, herd.refresh, herd.p50, herd.p99, herd.served_new
                    );
                    total += herd.all_done;
                }
                total
            });
        });
    }
    group.bench_function("floor: callers only wake and read the floor", |b| {
        b.to_async(rt).iter_custom(|iters| async move {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                total += herd::floor(HERD_CALLERS).await;
            }
            total
        });
    });
    group.finish();
}

/// Section 5: Allocations per fast-path call, printed before the timings.
fn allocations(rt: &Runtime) {
    const CALLS: u64 = 100_000;
    let client = Client::new();
    let token = rt.block_on(workloads::alloc::per_call(Cache(fresh_cache()), CALLS));
    let sync = rt.block_on(workloads::alloc::per_call(CacheSync(fresh_cache()), CALLS));
    let wrapped = rt.block_on(workloads::alloc::per_call(Wrapped(client), CALLS));
    println!(
        "allocations per call: token() {token}, fresh_token() {sync}, #[refresh_token] method {wrapped}"
    );
}

fn main() {
    let rt = runtime();
    allocations(&rt);
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    single_task(&mut c, &rt);
    contended(&mut c, &rt);
    ageing(&mut c, &rt);
    macro_overhead(&mut c, &rt);
    herds(&mut c, &rt);
    c.final_summary();
}
