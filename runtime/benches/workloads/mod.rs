// Input: what to measure (a subject that hands out fresh tokens, a number of tasks, a herd).
// Output: durations, counts and latencies; no statistics and no printing.
//
// Shared by the criterion benchmark (`runtime/benches/token_cache.rs`) and the quick report
// (`examples/src/bin/bench_report.rs`, which includes this folder with `#[path]`), so both
// measure exactly the same code.

pub(crate) mod alloc;
pub(crate) mod herd;
pub(crate) mod run;
pub(crate) mod subjects;
