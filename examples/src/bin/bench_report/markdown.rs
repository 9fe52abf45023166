// Input: the figures of the last full run (`target/bench-report.json`) and, when there, of the
// last fleet run (`target/bench-report-fleet.json`).
// Output: the guide's table of figures and targets (`runtime/src/guide/performance_figures.md`),
// so the performance chapter shows what the last run measured and cannot drift from it.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// The generated chapter part, relative to the workspace root.
const FIGURES_FILE: &str = "runtime/src/guide/performance_figures.md";

/// `bench_report markdown`: writes the figures file from the last runs' JSON, or says which
/// file is missing or unreadable and how to make it.
pub(crate) fn markdown_report() {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    match write_figures(&root) {
        Ok(path) => println!("wrote {}", path.display()),
        Err(problem) => {
            eprintln!("{problem}");
            std::process::exit(1);
        }
    }
}

fn write_figures(root: &Path) -> Result<PathBuf, String> {
    let full = read_json(&root.join("target/bench-report.json"), "")?.ok_or_else(|| {
        "no target/bench-report.json: run `cargo run --release -p freshtoken-examples \
             --bin bench_report` first (the full report writes it)"
            .to_owned()
    })?;
    let fleet = read_json(&root.join("target/bench-report-fleet.json"), " fleet")?;
    let text = figures_markdown(&full, fleet.as_ref())?;
    let path = root.join(FIGURES_FILE);
    std::fs::write(&path, text)
        .map_err(|error| format!("cannot write {}: {error}", path.display()))?;
    Ok(path.canonicalize().unwrap_or(path))
}

/// The file's JSON, or `None` when there is no such file.
fn read_json(path: &Path, section: &str) -> Result<Option<Value>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(format!("cannot read {}: {error}", path.display())),
    };
    serde_json::from_str(&text).map(Some).map_err(|error| {
        format!(
            "{} is not the JSON bench_report writes ({error}): run `cargo run --release -p \
             freshtoken-examples --bin bench_report{section}` again",
            path.display()
        )
    })
}

/// One field of a report, as a number; a missing one names itself (the report is older than
/// this generator, or was written by hand).
fn num(report: &Value, path: &str) -> Result<f64, String> {
    report.pointer(path).and_then(Value::as_f64).ok_or_else(|| {
        format!("the report has no number at `{path}`: run bench_report again to rewrite it")
    })
}

/// Writes one row of a Markdown table.
fn row(out: &mut String, cells: &[String]) {
    let _ = writeln!(out, "| {} |", cells.join(" | "));
}

/// The Markdown of the figures and targets.
pub(crate) fn figures_markdown(full: &Value, fleet: Option<&Value>) -> Result<String, String> {
    let mut out = String::new();
    cache_rows(full, &mut out)?;
    method_rows(full, &mut out)?;
    herd_and_client_rows(full, &mut out)?;
    if let Some(partitions) = full.get("partitions") {
        partition_rows(partitions, &mut out)?;
    }
    if let Some(fleet) = fleet {
        fleet_rows(fleet, &mut out)?;
    }
    targets_table(full, &mut out)?;
    Ok(out)
}

/// The introduction, the header, and the token paths against the floor and the baselines.
fn cache_rows(full: &Value, out: &mut String) -> Result<(), String> {
    let f = |path: &str| num(full, path);
    let floor = f("/floor_ns")?;
    let floor64 = f("/contended64_floor_calls_per_s")?;
    let mutex = f("/mutex_baseline_ns")?;
    let _ = writeln!(
        out,
        "The last run of the full report, on a multi-thread tokio runtime with {} workers \
         (medians of {} rounds). Regenerate this table with\n\
         `cargo run --release -p freshtoken-examples --bin bench_report` and then\n\
         `cargo run -p freshtoken-examples --bin bench_report markdown`.\n",
        f("/worker_threads")?,
        f("/rounds")?
    );
    out.push_str("| measurement | value | vs floor | vs Mutex baseline |\n|---|---:|---:|---:|\n");
    let single = [
        (
            "1 task: floor (std `Instant::now()` + compare + `Arc` clone)",
            floor,
        ),
        ("1 task: freshtoken `token().await`", f("/fast_path_ns")?),
        ("1 task: freshtoken `fresh_token()`", f("/fresh_token_ns")?),
        ("1 task: `tokio::sync::Mutex<Option<_>>` baseline", mutex),
        (
            "1 task: `tokio::sync::RwLock` double-check baseline",
            f("/rwlock_baseline_ns")?,
        ),
    ];
    for (name, ns) in single {
        row(
            out,
            &[
                name.to_owned(),
                format!("{ns:.1} ns/call"),
                format!("{:.2}x", ns / floor),
                format!("{:.1}x faster", mutex / ns),
            ],
        );
    }
    let mutex64 = f("/contended64_mutex_calls_per_s")?;
    let contended = [
        ("64 tasks: floor", floor64),
        (
            "64 tasks: freshtoken `token().await`",
            f("/contended64_calls_per_s")?,
        ),
        ("64 tasks: Mutex baseline", mutex64),
        (
            "64 tasks: `RwLock` baseline",
            f("/contended64_rwlock_calls_per_s")?,
        ),
    ];
    for (name, per_s) in contended {
        row(
            out,
            &[
                name.to_owned(),
                format!("{:.1} M calls/s", per_s / 1e6),
                format!("{:.2}x the throughput", per_s / floor64),
                format!("{:.1}x faster", per_s / mutex64),
            ],
        );
    }
    Ok(())
}

/// The ageing token, the macro against the same method by hand, allocations.
fn method_rows(full: &Value, out: &mut String) -> Result<(), String> {
    let f = |path: &str| num(full, path);
    let ageing_floor = f("/ageing/floor_ns")?;
    row(
        out,
        &[
            "1 task: `token().await`, token ageing, refresh running".to_owned(),
            format!("{:.1} ns/call", f("/ageing/ageing_ns")?),
            format!(
                "{:.2}x (its own floor: {ageing_floor:.1} ns)",
                f("/ageing/ageing_ns")? / ageing_floor
            ),
            String::new(),
        ],
    );
    row(
        out,
        &[
            "64 tasks: the same".to_owned(),
            format!(
                "{:.1} M calls/s",
                f("/ageing/contended64_ageing_calls_per_s")? / 1e6
            ),
            format!(
                "{:.2}x the throughput",
                f("/ageing/contended64_ageing_calls_per_s")?
                    / f("/ageing/contended64_floor_calls_per_s")?
            ),
            String::new(),
        ],
    );
    row(
        out,
        &[
            "method with `#[refresh_token]` / the same by hand, polled out of line".to_owned(),
            format!(
                "{:.1} / {:.1} ns/call",
                f("/macro_wrapped_ns")?,
                f("/macro_by_hand_ns")?
            ),
            format!("macro overhead {:.2}x", f("/macro_overhead_ratio")?),
            String::new(),
        ],
    );
    row(
        out,
        &[
            "the same two inlined into the benchmark loop".to_owned(),
            format!(
                "{:.1} / {:.1} ns/call",
                f("/macro_wrapped_inlined_ns")?,
                f("/macro_by_hand_inlined_ns")?
            ),
            format!(
                "{:.2}x",
                f("/macro_wrapped_inlined_ns")? / f("/macro_by_hand_inlined_ns")?
            ),
            String::new(),
        ],
    );
    row(
        out,
        &[
            "allocations per call: `token()`, `fresh_token()`, wrapped method".to_owned(),
            format!(
                "{} / {} / {}",
                f("/fast_path_allocs")?,
                f("/fresh_token_allocs")?,
                f("/macro_wrapped_allocs")?
            ),
            String::new(),
            String::new(),
        ],
    );
    Ok(())
}

/// The herds and the generated client.
fn herd_and_client_rows(full: &Value, out: &mut String) -> Result<(), String> {
    let f = |path: &str| num(full, path);
    let latency = f("/herd_source_latency_ms")?;
    let callers = f("/herd_callers")?;
    row(
        out,
        &[
            format!("herd at hard expiry: {callers} callers, {latency} ms source"),
            format!(
                "{} source call(s), all done in {:.1} ms, p99 {:.1} ms",
                f("/herd_source_calls")?,
                f("/herd_all_done_ms")?,
                f("/herd_p99_ms")?
            ),
            format!(
                "{:.2}x the source latency",
                f("/herd_all_done_ms")? / latency
            ),
            String::new(),
        ],
    );
    row(
        out,
        &[
            "herd at the refresh-ahead point".to_owned(),
            format!(
                "{} source call(s), all done in {:.1} ms, p99 {:.3} ms",
                f("/ahead_herd_source_calls")?,
                f("/ahead_herd_all_done_ms")?,
                f("/ahead_herd_p99_ms")?
            ),
            format!("{:.2}x", f("/ahead_herd_all_done_ms")? / latency),
            String::new(),
        ],
    );
    row(
        out,
        &[
            "floor herd: the callers only wake and read the clock".to_owned(),
            format!("{:.1} ms", f("/herd_floor_all_done_ms")?),
            format!("{:.2}x", f("/herd_floor_all_done_ms")? / latency),
            String::new(),
        ],
    );
    row(
        out,
        &[
            "generated client / hand-written reqwest, loopback".to_owned(),
            format!(
                "{:.1} / {:.1} µs/call, {} / {} allocations",
                f("/client_call/generated_us")?,
                f("/client_call/hand_written_us")?,
                f("/client_call/generated_allocs")?,
                f("/client_call/hand_written_allocs")?
            ),
            format!(
                "{:.3}x (per pair: {:.3}x, quartiles {:.2}x–{:.2}x)",
                f("/client_call/ratio")?,
                f("/client_call/pair_ratio_p50")?,
                f("/client_call/pair_ratio_p25")?,
                f("/client_call/pair_ratio_p75")?
            ),
            String::new(),
        ],
    );
    Ok(())
}

/// `TokenCaches`: a partition hit beside a plain read, and the memory of idle partitions
/// (reports written before the section was added have none).
fn partition_rows(partitions: &Value, out: &mut String) -> Result<(), String> {
    let p = |path: &str| num(partitions, path);
    let ratio = |pair: &str| -> Result<String, String> {
        Ok(format!(
            "{:.2}x (per pair; quartiles {:.2}x–{:.2}x)",
            p(&format!("/{pair}/pair_ratio_p50"))?,
            p(&format!("/{pair}/pair_ratio_p25"))?,
            p(&format!("/{pair}/pair_ratio_p75"))?
        ))
    };
    for (name, pair) in [
        (
            "1 task: `caches.token(&user).await` / `cache.token().await`".to_owned(),
            "hit_1_thread",
        ),
        (
            format!(
                "{} threads, a user each: the same / a cache each",
                p("/threads")?
            ),
            "hit_threads",
        ),
        (
            "1 task: `caches.cache(&user)` / `cache.clone()`".to_owned(),
            "handle_1_thread",
        ),
    ] {
        row(
            out,
            &[
                name,
                format!(
                    "{:.1} / {:.1} ns/call",
                    p(&format!("/{pair}/partition_ns"))?,
                    p(&format!("/{pair}/plain_ns"))?
                ),
                ratio(pair)?,
                String::new(),
            ],
        );
    }
    for (name, stores) in [
        ("`MemoryStores`", "memory_stores"),
        ("`FileStores`", "file_stores"),
    ] {
        row(
            out,
            &[
                format!(
                    "{} idle partitions with {name}, an 800-byte access token each",
                    p("/memory_partitions")?
                ),
                format!(
                    "{:.0} B each, {:.1} MiB in all",
                    p(&format!("/{stores}/bytes_per_partition"))?,
                    p(&format!("/{stores}/total_mib"))?
                ),
                String::new(),
                String::new(),
            ],
        );
    }
    Ok(())
}

/// The fleet on `RedisStore`, from its own report.
fn fleet_rows(fleet: &Value, out: &mut String) -> Result<(), String> {
    let g = |path: &str| num(fleet, path);
    row(
        out,
        &[
            format!(
                "fleet: {} caches on `RedisStore`, token requests alone / shared",
                g("/fleet_hosts")?
            ),
            format!(
                "{} / {}",
                g("/fleet_requests_caches_alone")?,
                g("/fleet_token_requests")?
            ),
            format!(
                "{:.2} per rotation",
                g("/fleet_token_requests_per_rotation")?
            ),
            String::new(),
        ],
    );
    row(
        out,
        &[
            "fleet: Redis round trips per host per rotation; stall after a dead lease holder"
                .to_owned(),
            format!(
                "{:.2}; {:.2} s",
                g("/fleet_redis_round_trips_per_host_per_rotation")?,
                g("/fleet_dead_lease_holder_stall_ms")? / 1000.0
            ),
            String::new(),
            String::new(),
        ],
    );
    Ok(())
}

/// Each target of the full report, met or not.
fn targets_table(full: &Value, out: &mut String) -> Result<(), String> {
    out.push_str("\n| target | measured | met |\n|---|---|---|\n");
    let targets = full
        .get("targets")
        .and_then(Value::as_array)
        .ok_or("the report has no `targets` list: run bench_report again to rewrite it")?;
    let mut met = 0;
    for target in targets {
        let name = target.get("target").and_then(Value::as_str).unwrap_or("?");
        let measured = target
            .get("measured")
            .and_then(Value::as_str)
            .unwrap_or("?");
        let is_met = target.get("met").and_then(Value::as_bool).unwrap_or(false);
        met += usize::from(is_met);
        let verdict = if is_met { "yes" } else { "**no**" };
        row(
            out,
            &[name.to_owned(), measured.to_owned(), verdict.to_owned()],
        );
    }
    let _ = writeln!(out, "\n{met} of {} targets met in this run.", targets.len());
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::figures_markdown;

    /// A report as `bench_report` writes it, every figure 2.0 unless given.
    fn report(floor_ns: f64, token_ns: f64, targets: &Value) -> Value {
        let mut report = json!({ "ageing": {}, "client_call": {}, "targets": targets.clone() });
        for key in [
            "floor_ns",
            "contended64_floor_calls_per_s",
            "mutex_baseline_ns",
            "worker_threads",
            "rounds",
            "fresh_token_ns",
            "rwlock_baseline_ns",
            "contended64_mutex_calls_per_s",
            "contended64_calls_per_s",
            "contended64_rwlock_calls_per_s",
            "macro_wrapped_ns",
            "macro_by_hand_ns",
            "macro_overhead_ratio",
            "macro_wrapped_inlined_ns",
            "macro_by_hand_inlined_ns",
            "fast_path_allocs",
            "fresh_token_allocs",
            "macro_wrapped_allocs",
            "herd_source_latency_ms",
            "herd_callers",
            "herd_source_calls",
            "herd_all_done_ms",
            "herd_p99_ms",
            "ahead_herd_source_calls",
            "ahead_herd_all_done_ms",
            "ahead_herd_p99_ms",
            "herd_floor_all_done_ms",
        ] {
            report[key] = json!(2.0);
        }
        for key in [
            "floor_ns",
            "ageing_ns",
            "contended64_ageing_calls_per_s",
            "contended64_floor_calls_per_s",
        ] {
            report["ageing"][key] = json!(2.0);
        }
        for key in [
            "generated_us",
            "hand_written_us",
            "generated_allocs",
            "hand_written_allocs",
            "ratio",
            "pair_ratio_p50",
            "pair_ratio_p25",
            "pair_ratio_p75",
        ] {
            report["client_call"][key] = json!(2.0);
        }
        report["floor_ns"] = json!(floor_ns);
        report["fast_path_ns"] = json!(token_ns);
        report
    }

    #[test]
    fn the_table_shows_the_runs_figures_and_each_targets_verdict() {
        let targets = json!([
            { "target": "fast path <= 1.5x the floor", "measured": "1.25x", "met": true },
            { "target": "herd within 1.2x", "measured": "2.09x", "met": false },
        ]);
        let text = figures_markdown(&report(40.0, 50.0, &targets), None).unwrap();
        assert!(
            text.contains("| 1 task: freshtoken `token().await` | 50.0 ns/call | 1.25x |"),
            "{text}"
        );
        assert!(
            text.contains("| fast path <= 1.5x the floor | 1.25x | yes |"),
            "{text}"
        );
        assert!(
            text.contains("| herd within 1.2x | 2.09x | **no** |"),
            "{text}"
        );
        assert!(text.contains("1 of 2 targets met in this run."), "{text}");
        assert!(
            !text.contains("fleet:"),
            "no fleet rows without a fleet report: {text}"
        );
        assert!(
            !text.contains("idle partitions"),
            "no partition rows in a report without them: {text}"
        );
    }

    #[test]
    fn a_report_with_partitions_shows_the_hit_ratio_and_the_memory() {
        let mut full = report(40.0, 50.0, &json!([]));
        let pair = |partition: f64, plain: f64| {
            json!({ "partition_ns": partition, "plain_ns": plain, "pair_ratio_p25": 1.2,
                    "pair_ratio_p50": 1.4, "pair_ratio_p75": 1.6 })
        };
        let weight =
            |bytes: f64, mib: f64| json!({ "bytes_per_partition": bytes, "total_mib": mib });
        full["partitions"] = json!({
            "hit_1_thread": pair(70.0, 50.0),
            "hit_threads": pair(60.0, 40.0),
            "handle_1_thread": pair(30.0, 5.0),
            "threads": 4,
            "memory_partitions": 100_000,
            "memory_stores": weight(3800.0, 362.4),
            "file_stores": weight(2700.0, 257.5),
        });
        let text = figures_markdown(&full, None).unwrap();
        assert!(
            text.contains(
                "| 1 task: `caches.token(&user).await` / `cache.token().await` | 70.0 / 50.0 \
                 ns/call | 1.40x (per pair; quartiles 1.20x–1.60x) |"
            ),
            "{text}"
        );
        assert!(
            text.contains("| 4 threads, a user each: the same / a cache each | 60.0 / 40.0"),
            "{text}"
        );
        assert!(
            text.contains(
                "| 100000 idle partitions with `MemoryStores`, an 800-byte access token each \
                 | 3800 B each, 362.4 MiB in all |"
            ),
            "{text}"
        );
    }

    #[test]
    fn a_report_missing_a_figure_names_it_and_says_to_run_the_report_again() {
        let mut incomplete = report(40.0, 50.0, &json!([]));
        incomplete
            .as_object_mut()
            .unwrap()
            .remove("mutex_baseline_ns");
        let problem = figures_markdown(&incomplete, None).unwrap_err();
        assert!(problem.contains("`/mutex_baseline_ns`"), "{problem}");
        assert!(problem.contains("run bench_report again"), "{problem}");
    }
}
