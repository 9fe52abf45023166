//! The metrics this test binary records. A process has one global `metrics` recorder, so it
//! is installed once, here, and tests tell their series apart by the name they give their
//! cache (the `freshtoken.cache` attribute).

// Input: everything the caches of this process record.
// Output: cumulative views of it, series by series: counters' totals, gauges' values and
// the highest each was set to, and every value a histogram ever got. The debugging recorder
// hands each count and value over once (a snapshot resets them), so they are added up here
// for every test that reads them.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use metrics::{
    Counter, Gauge, GaugeFn, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit,
};
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};

/// An instrument's name with its attributes, sorted by key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Series {
    pub name: String,
    pub attributes: Vec<(String, String)>,
}

impl Series {
    fn of(key: &Key) -> Self {
        let mut attributes: Vec<_> = key
            .labels()
            .map(|label| (label.key().to_owned(), label.value().to_owned()))
            .collect();
        attributes.sort();
        Self {
            name: key.name().to_owned(),
            attributes,
        }
    }

    /// The value of the attribute `key`.
    pub fn attribute(&self, key: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, value)| value.as_str())
    }
}

/// What a series holds so far.
#[derive(Debug, Clone, PartialEq)]
pub enum Recorded {
    Counter(u64),
    /// The value now, and the highest it was ever set to.
    Gauge {
        now: f64,
        peak: f64,
    },
    /// Every value recorded.
    Histogram(Vec<f64>),
}

struct Process {
    snapshotter: Snapshotter,
    /// Each gauge's value and the highest it was set to: a snapshot resets the debugging
    /// recorder's gauges to 0.
    gauges: Gauges,
    /// What every snapshot handed over, added up; held while a snapshot is read, so two
    /// tests never split a series' counts.
    kept: Mutex<BTreeMap<Series, Recorded>>,
}

type Gauges = Arc<Mutex<HashMap<Key, (f64, f64)>>>;

static PROCESS: OnceLock<Process> = OnceLock::new();

fn process() -> &'static Process {
    PROCESS.get_or_init(|| {
        let debugging = DebuggingRecorder::new();
        let snapshotter = debugging.snapshotter();
        let gauges = Gauges::default();
        metrics::set_global_recorder(PeakGauges {
            inner: debugging,
            gauges: Arc::clone(&gauges),
        })
        .expect("this test binary installs its metrics recorder here only");
        freshtoken::metrics::describe();
        Process {
            snapshotter,
            gauges,
            kept: Mutex::default(),
        }
    })
}

/// Installs the recorder if no test has yet: call it before a test's caches record.
pub fn install() {
    process();
}

/// Every series recorded in this process so far.
pub fn all() -> BTreeMap<Series, Recorded> {
    let process = process();
    let mut kept = process.kept.lock().unwrap_or_else(PoisonError::into_inner);
    let snapshot = process.snapshotter.snapshot();
    let gauges = process
        .gauges
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    for (key, _, _, value) in snapshot.into_vec() {
        let (_, key) = key.into_parts();
        let series = Series::of(&key);
        match (kept.get_mut(&series), value) {
            (Some(Recorded::Counter(total)), DebugValue::Counter(more)) => *total += more,
            (Some(Recorded::Histogram(values)), DebugValue::Histogram(more)) => {
                values.extend(more.into_iter().map(f64::from));
            }
            (_, DebugValue::Gauge(_)) => {
                let (now, peak) = gauges.get(&key).copied().unwrap_or_default();
                kept.insert(series, Recorded::Gauge { now, peak });
            }
            (_, DebugValue::Counter(total)) => {
                kept.insert(series, Recorded::Counter(total));
            }
            (_, DebugValue::Histogram(values)) => {
                kept.insert(
                    series,
                    Recorded::Histogram(values.into_iter().map(f64::from).collect()),
                );
            }
        }
    }
    kept.clone()
}

/// The series of the cache named `cache`.
pub fn of_cache(cache: &str) -> BTreeMap<Series, Recorded> {
    all()
        .into_iter()
        .filter(|(series, _)| series.attribute("freshtoken.cache") == Some(cache))
        .collect()
}

/// The debugging recorder, keeping each gauge's value and the highest it was set to: a gauge
/// that goes up and back within one step would otherwise leave no trace.
struct PeakGauges {
    inner: DebuggingRecorder,
    gauges: Gauges,
}

impl Recorder for PeakGauges {
    fn describe_counter(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.inner.describe_counter(key, unit, description);
    }

    fn describe_gauge(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.inner.describe_gauge(key, unit, description);
    }

    fn describe_histogram(&self, key: KeyName, unit: Option<Unit>, description: SharedString) {
        self.inner.describe_histogram(key, unit, description);
    }

    fn register_counter(&self, key: &Key, metadata: &Metadata<'_>) -> Counter {
        self.inner.register_counter(key, metadata)
    }

    fn register_gauge(&self, key: &Key, metadata: &Metadata<'_>) -> Gauge {
        Gauge::from_arc(Arc::new(PeakGauge {
            inner: self.inner.register_gauge(key, metadata),
            key: key.clone(),
            gauges: Arc::clone(&self.gauges),
        }))
    }

    fn register_histogram(&self, key: &Key, metadata: &Metadata<'_>) -> Histogram {
        self.inner.register_histogram(key, metadata)
    }
}

struct PeakGauge {
    inner: Gauge,
    key: Key,
    gauges: Gauges,
}

impl GaugeFn for PeakGauge {
    fn increment(&self, value: f64) {
        self.inner.increment(value);
        self.update(|now| now + value);
    }

    fn decrement(&self, value: f64) {
        self.inner.decrement(value);
        self.update(|now| now - value);
    }

    fn set(&self, value: f64) {
        self.inner.set(value);
        self.update(|_| value);
    }
}

impl PeakGauge {
    fn update(&self, to: impl FnOnce(f64) -> f64) {
        let mut gauges = self.gauges.lock().unwrap_or_else(PoisonError::into_inner);
        let (now, peak) = gauges.entry(self.key.clone()).or_insert((0.0, f64::MIN));
        *now = to(*now);
        *peak = peak.max(*now);
    }
}
