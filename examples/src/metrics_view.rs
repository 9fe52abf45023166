//! What the metrics demo prints after each step: the Prometheus series the step changed.

// Input: the Prometheus text an exporter renders, before and after a step.
// Output: the series whose value the step changed, as a markdown table.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The series of a Prometheus text exposition, `name{labels}` to value.
///
/// A summary's quantiles and its sum are left out: its count says how many waits, refreshes
/// or store calls a step made, while quantiles and sums of seconds differ from run to run.
#[must_use]
pub fn series(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.contains("quantile=\""))
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let name = series.split('{').next().unwrap_or(series);
            if name.ends_with("_sum") {
                return None;
            }
            Some((series.to_owned(), value.parse().ok()?))
        })
        .collect()
}

/// A series a step changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// `name{labels}`, as the exporter renders it.
    pub series: String,
    /// Its value before the step (0 for a series the step created).
    pub before: f64,
    /// Its value after the step.
    pub after: f64,
}

/// The series whose value differs from `before` to `after`, in name order.
#[must_use]
pub fn changes(before: &BTreeMap<String, f64>, after: &BTreeMap<String, f64>) -> Vec<Change> {
    after
        .iter()
        .filter_map(|(series, &value)| {
            let previous = before.get(series).copied();
            (previous != Some(value)).then(|| Change {
                series: series.clone(),
                before: previous.unwrap_or_default(),
                after: value,
            })
        })
        .collect()
}

/// The changes as a markdown table (a line saying so when there are none).
#[must_use]
pub fn table(changes: &[Change]) -> String {
    if changes.is_empty() {
        return "   (no instrument changed)\n".to_owned();
    }
    let mut table = String::from("| series | before | after |\n|---|---:|---:|\n");
    for change in changes {
        let _ = writeln!(
            table,
            "| `{}` | {} | {} |",
            change.series, change.before, change.after
        );
    }
    table
}
