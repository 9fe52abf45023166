//! The demo's walkthrough as an operator's recorder sees it: after each step (login, cached
//! calls, a herd, expiry, a 401, a revoked session, a store outage), the instruments that
//! moved and by how much; and no attribute of any series holding a secret, a user, or a URL.

use std::collections::BTreeMap;

use futures_util::FutureExt as _;

use freshtoken::TokenCache;
use freshtoken::TokenStore as _;
use freshtoken::oauth::{ClientAuth, ClientCredentials, Url};
use freshtoken_examples::metrics_view;
use freshtoken_examples::outage_store::OutageStore;
use freshtoken_examples::sdk::TasksClient;
use freshtoken_examples::server::{
    self, DEMO_CONFIDENTIAL_CLIENT_ID, DEMO_CONFIDENTIAL_CLIENT_SECRET, ServerConfig,
};
use freshtoken_examples::walkthrough::{self, StepReport};

use crate::common::recorded_metrics::{self, Recorded, Series};

/// This test's cache, so that its series are told apart from other tests' in the process.
const CACHE: &str = "metrics-walkthrough";
const FAILURES: &str = "freshtoken.token.refresh.failures";

/// A step's name, the series it moved with how many each gained, and the refresh failures
/// gauge after it and at its highest.
type Step = (&'static str, &'static [(&'static str, u64)], f64, f64);

/// Per step: each series that moved (`name{attributes}`, without the cache's name) with how
/// many it gained (a counter's increase, a histogram's new values), and the refresh failures
/// gauge after the step and the highest it has been.
const EXPECTED: [Step; 7] = [
    (
        "first call logs in",
        &[
            (
                "freshtoken.store.operation.duration{freshtoken.operation=load,freshtoken.outcome=success}",
                1,
            ),
            (
                "freshtoken.store.operation.duration{freshtoken.operation=lock,freshtoken.outcome=success}",
                1,
            ),
            (
                "freshtoken.store.operation.duration{freshtoken.operation=save,freshtoken.outcome=success}",
                1,
            ),
            (
                "freshtoken.token.refreshes{freshtoken.outcome=success,freshtoken.reason=absent}",
                1,
            ),
            (
                "freshtoken.token.request.duration{freshtoken.grant_type=json_login,freshtoken.outcome=success,freshtoken.reason=absent}",
                1,
            ),
            (
                "freshtoken.token.wait.duration{freshtoken.outcome=success}",
                1,
            ),
        ],
        0.0,
        0.0,
    ),
    // Served from the cache: the fast path records nothing.
    ("second call reuses the token", &[], 0.0, 0.0),
    (
        "100 concurrent calls, one refresh",
        &[
            (
                "freshtoken.store.operation.duration{freshtoken.operation=load,freshtoken.outcome=success}",
                1,
            ),
            (
                "freshtoken.store.operation.duration{freshtoken.operation=lock,freshtoken.outcome=success}",
                1,
            ),
            (
                "freshtoken.store.operation.duration{freshtoken.operation=save,freshtoken.outcome=success}",
                1,
            ),
            ("freshtoken.token.coalesced{}", 99),
            ("freshtoken.token.remaining_lifetime{}", 1),
            (
                "freshtoken.token.refreshes{freshtoken.outcome=success,freshtoken.reason=expired}",
                1,
            ),
            (
                "freshtoken.token.request.duration{freshtoken.grant_type=json_login,freshtoken.outcome=success,freshtoken.reason=expired}",
                1,
            ),
            // Every caller of the herd waited: the one that started the refresh and the 99
            // that joined it.
            (
                "freshtoken.token.wait.duration{freshtoken.outcome=success}",
                100,
            ),
        ],
        0.0,
        0.0,
    ),
    (
        "expired token refreshed before the call",
        &[
            (
                "freshtoken.store.operation.duration{freshtoken.operation=load,freshtoken.outcome=success}",
                1,
            ),
            (
                "freshtoken.store.operation.duration{freshtoken.operation=lock,freshtoken.outcome=success}",
                1,
            ),
            (
                "freshtoken.store.operation.duration{freshtoken.operation=save,freshtoken.outcome=success}",
                1,
            ),
            ("freshtoken.token.remaining_lifetime{}", 1),
            (
                "freshtoken.token.refreshes{freshtoken.outcome=success,freshtoken.reason=expired}",
                1,
            ),
            (
                "freshtoken.token.request.duration{freshtoken.grant_type=json_login,freshtoken.outcome=success,freshtoken.reason=expired}",
                1,
            ),
            // The second call of the step is served from the cache.
            (
                "freshtoken.token.wait.duration{freshtoken.outcome=success}",
                1,
            ),
        ],
        0.0,
        0.0,
    ),
    (
        "server revoked the token: 401, refresh, retry",
        &[
            (
                "freshtoken.request.resends{freshtoken.reason=unauthorized}",
                1,
            ),
            (
                "freshtoken.store.operation.duration{freshtoken.operation=load,freshtoken.outcome=success}",
                1,
            ),
            (
                "freshtoken.store.operation.duration{freshtoken.operation=lock,freshtoken.outcome=success}",
                1,
            ),
            (
                "freshtoken.store.operation.duration{freshtoken.operation=save,freshtoken.outcome=success}",
                1,
            ),
            (
                "freshtoken.token.refreshes{freshtoken.outcome=success,freshtoken.reason=unauthorized}",
                1,
            ),
            (
                "freshtoken.token.request.duration{freshtoken.grant_type=json_login,freshtoken.outcome=success,freshtoken.reason=unauthorized}",
                1,
            ),
            (
                "freshtoken.token.wait.duration{freshtoken.outcome=success}",
                1,
            ),
        ],
        0.0,
        0.0,
    ),
    (
        "refresh token revoked: log in again",
        &[
            (
                "freshtoken.request.resends{freshtoken.reason=unauthorized}",
                1,
            ),
            (
                "freshtoken.store.operation.duration{freshtoken.operation=refresh_token_rejected,freshtoken.outcome=success}",
                1,
            ),
            (
                "freshtoken.store.operation.duration{freshtoken.operation=load,freshtoken.outcome=success}",
                1,
            ),
            // One lock for the refused refresh, one for the login after it.
            (
                "freshtoken.store.operation.duration{freshtoken.operation=lock,freshtoken.outcome=success}",
                2,
            ),
            (
                "freshtoken.store.operation.duration{freshtoken.operation=save,freshtoken.outcome=success}",
                1,
            ),
            (
                "freshtoken.token.refreshes{freshtoken.outcome=error,freshtoken.reason=unauthorized}",
                1,
            ),
            (
                "freshtoken.token.refreshes{freshtoken.outcome=success,freshtoken.reason=absent}",
                1,
            ),
            (
                "freshtoken.token.request.duration{freshtoken.grant_type=json_login,freshtoken.outcome=success,freshtoken.reason=absent}",
                1,
            ),
            (
                "freshtoken.token.request.duration{error.type=reauthentication_required,freshtoken.grant_type=json_login,freshtoken.outcome=error,freshtoken.reason=unauthorized,oauth.error=invalid_grant}",
                1,
            ),
            (
                "freshtoken.token.wait.duration{freshtoken.outcome=error}",
                1,
            ),
            (
                "freshtoken.token.wait.duration{freshtoken.outcome=success}",
                1,
            ),
        ],
        0.0,
        1.0,
    ),
    (
        "token store down: refreshed without it",
        &[
            (
                "freshtoken.store.operation.duration{freshtoken.operation=lock,freshtoken.outcome=error}",
                1,
            ),
            ("freshtoken.store.outages{}", 1),
            ("freshtoken.token.remaining_lifetime{}", 1),
            (
                "freshtoken.token.refreshes{freshtoken.outcome=success,freshtoken.reason=expired}",
                1,
            ),
            (
                "freshtoken.token.request.duration{freshtoken.grant_type=json_login,freshtoken.outcome=success,freshtoken.reason=expired}",
                1,
            ),
            (
                "freshtoken.token.wait.duration{freshtoken.outcome=success}",
                1,
            ),
        ],
        0.0,
        1.0,
    ),
];

/// What one step moved, as the test saw it right after the step.
#[derive(Debug, PartialEq)]
struct StepSeen {
    name: &'static str,
    moved: BTreeMap<String, u64>,
    failures_now: f64,
    failures_peak: f64,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_walkthrough_step_records_what_it_did_and_no_secret() {
    recorded_metrics::install();
    let server = server::start(ServerConfig::default()).await.unwrap();
    let base_url = server.base_url();
    let store = OutageStore::new();
    let client = TasksClient::with_cache(&base_url, "alice", "wonderland", |cache| {
        cache.name(CACHE).store(store.clone())
    })
    .unwrap();

    let mut printed = String::new();
    let mut say = |line: &str| {
        printed.push_str(line);
        printed.push('\n');
    };
    let mut seen = recorded_metrics::of_cache(CACHE);
    let mut steps = Vec::new();
    let mut secrets = vec!["wonderland".to_owned()];
    let mut after_each = |report: &StepReport| {
        let now = recorded_metrics::of_cache(CACHE);
        let (failures_now, failures_peak) = failures(&now);
        steps.push(StepSeen {
            name: report.name,
            moved: moved(&seen, &now),
            failures_now,
            failures_peak,
        });
        seen = now;
        secrets.extend(stored_secrets(&store));
    };
    let mut reports =
        walkthrough::run_observed(&client, &base_url, "alice", &mut say, &mut after_each).await;
    let outage = walkthrough::store_outage(&client, &store, &base_url, "alice", &mut say).await;
    after_each(&outage);
    reports.push(outage);
    server.shutdown().await;

    for report in &reports {
        assert!(report.ok, "{report:?}\n{printed}");
    }
    // A token saved late (the store was down when it came) may be saved once the store is
    // back, in the outage step or after it: the step's assertion leaves such saves out.
    if let Some(outage) = steps.last_mut() {
        outage.moved.retain(|series, _| {
            !(series.starts_with("freshtoken.store.operation.duration")
                && series.contains("freshtoken.outcome=success"))
        });
    }
    let expected: Vec<StepSeen> = EXPECTED
        .iter()
        .map(|&(name, moved, failures_now, failures_peak)| StepSeen {
            name,
            moved: moved.iter().map(|&(s, n)| (s.to_owned(), n)).collect(),
            failures_now,
            failures_peak,
        })
        .collect();
    for (seen, expected) in steps.iter().zip(&expected) {
        assert_eq!(seen, expected, "{printed}");
    }
    assert_eq!(steps.len(), expected.len());

    // Every access and refresh token the store held at the end of a step: the ones each
    // step put in service, and so the ones the next step's 401s were answered to.
    assert!(secrets.len() > 7, "{secrets:?}");
    secrets.extend(["alice".to_owned(), base_url]);
    assert_no_attribute_holds(&secrets);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_secret_and_its_tokens_never_become_attributes() {
    recorded_metrics::install();
    let server = server::start(ServerConfig::default()).await.unwrap();
    let token_url: Url = format!("{}/oauth/token", server.base_url())
        .parse()
        .unwrap();
    let wrong_secret = "not-the-demo-secret-7f3c";

    let backend = TokenCache::builder(ClientCredentials::new(
        token_url.clone(),
        ClientAuth::basic(DEMO_CONFIDENTIAL_CLIENT_ID, DEMO_CONFIDENTIAL_CLIENT_SECRET),
    ))
    .name("metrics-secrets-backend")
    .build();
    let first = backend.token().await.unwrap();
    backend.expire_now();
    let second = backend.token().await.unwrap();
    let impostor = TokenCache::builder(ClientCredentials::new(
        token_url,
        ClientAuth::basic(DEMO_CONFIDENTIAL_CLIENT_ID, wrong_secret),
    ))
    .name("metrics-secrets-impostor")
    .build();
    let refused = impostor.token().await.unwrap_err();
    server.shutdown().await;

    // The refusal was recorded, with its kind and not its message.
    let impostor = recorded_metrics::of_cache("metrics-secrets-impostor");
    let failed = impostor
        .keys()
        .find(|series| {
            series.name == "freshtoken.token.request.duration"
                && series.attribute("freshtoken.outcome") == Some("error")
        })
        .unwrap_or_else(|| panic!("no failed request recorded: {impostor:?}"));
    assert_eq!(
        failed.attribute("error.type"),
        Some("invalid_client"),
        "{refused}"
    );
    assert!(
        recorded_metrics::of_cache("metrics-secrets-backend")
            .keys()
            .any(|series| series.attribute("freshtoken.reason") == Some("expired")),
        "the backend's refresh was not recorded"
    );
    assert_no_attribute_holds(&[
        DEMO_CONFIDENTIAL_CLIENT_SECRET.to_owned(),
        DEMO_CONFIDENTIAL_CLIENT_ID.to_owned(),
        wrong_secret.to_owned(),
        first.access_token().expose_secret().to_owned(),
        second.access_token().expose_secret().to_owned(),
    ]);
}

#[test]
fn the_demo_tables_the_series_a_step_changed_without_quantiles_or_sums() {
    let before = metrics_view::series(
        "# TYPE freshtoken_token_refreshes counter\n\
         freshtoken_token_refreshes{freshtoken_cache=\"tasks-api\",freshtoken_reason=\"absent\",freshtoken_outcome=\"success\"} 1\n\
         freshtoken_token_wait_duration{freshtoken_cache=\"tasks-api\",quantile=\"0.5\"} 0.002\n\
         freshtoken_token_wait_duration_sum{freshtoken_cache=\"tasks-api\"} 0.002\n\
         freshtoken_token_wait_duration_count{freshtoken_cache=\"tasks-api\"} 1\n",
    );
    let after = metrics_view::series(
        "freshtoken_token_refreshes{freshtoken_cache=\"tasks-api\",freshtoken_reason=\"absent\",freshtoken_outcome=\"success\"} 1\n\
         freshtoken_token_refreshes{freshtoken_cache=\"tasks-api\",freshtoken_reason=\"expired\",freshtoken_outcome=\"success\"} 1\n\
         freshtoken_token_coalesced{freshtoken_cache=\"tasks-api\"} 99\n\
         freshtoken_token_wait_duration{freshtoken_cache=\"tasks-api\",quantile=\"0.5\"} 0.9\n\
         freshtoken_token_wait_duration_sum{freshtoken_cache=\"tasks-api\"} 90.2\n\
         freshtoken_token_wait_duration_count{freshtoken_cache=\"tasks-api\"} 101\n",
    );
    let changed: Vec<_> = metrics_view::changes(&before, &after)
        .into_iter()
        .map(|change| (change.series, change.before, change.after))
        .collect();
    assert_eq!(
        changed,
        [
            (
                "freshtoken_token_coalesced{freshtoken_cache=\"tasks-api\"}".to_owned(),
                0.0,
                99.0
            ),
            (
                "freshtoken_token_refreshes{freshtoken_cache=\"tasks-api\",freshtoken_reason=\"expired\",freshtoken_outcome=\"success\"}".to_owned(),
                0.0,
                1.0
            ),
            (
                "freshtoken_token_wait_duration_count{freshtoken_cache=\"tasks-api\"}".to_owned(),
                1.0,
                101.0
            ),
        ]
    );
    let table = metrics_view::table(&metrics_view::changes(&before, &after));
    assert!(
        table.contains("| `freshtoken_token_coalesced{freshtoken_cache=\"tasks-api\"}` | 0 | 99 |"),
        "{table}"
    );
    assert_eq!(
        metrics_view::table(&metrics_view::changes(&after, &after)),
        "   (no instrument changed)\n"
    );
}

/// The series that moved from `before` to `after`: a counter's increase, a histogram's
/// number of new values. Gauges are read apart ([`failures`]).
fn moved(
    before: &BTreeMap<Series, Recorded>,
    after: &BTreeMap<Series, Recorded>,
) -> BTreeMap<String, u64> {
    let gained = |series: &Series, now: &Recorded| match (before.get(series), now) {
        (Some(Recorded::Counter(was)), Recorded::Counter(now)) => now - was,
        (None, Recorded::Counter(now)) => *now,
        (Some(Recorded::Histogram(was)), Recorded::Histogram(now)) => {
            (now.len() - was.len()) as u64
        }
        (None, Recorded::Histogram(now)) => now.len() as u64,
        _ => 0,
    };
    after
        .iter()
        .filter_map(|(series, now)| {
            let gained = gained(series, now);
            (gained > 0).then(|| (name_without_cache(series), gained))
        })
        .collect()
}

/// `name{key=value,...}`, the attributes in key order, the cache's name left out.
fn name_without_cache(series: &Series) -> String {
    let attributes: Vec<String> = series
        .attributes
        .iter()
        .filter(|(key, _)| key != "freshtoken.cache")
        .map(|(key, value)| format!("{key}={value}"))
        .collect();
    format!("{}{{{}}}", series.name, attributes.join(","))
}

/// The refresh failures gauge: its value and the highest it has been (0 before any refresh).
fn failures(recorded: &BTreeMap<Series, Recorded>) -> (f64, f64) {
    recorded
        .iter()
        .find_map(|(series, value)| match value {
            Recorded::Gauge { now, peak } if series.name == FAILURES => Some((*now, *peak)),
            _ => None,
        })
        .unwrap_or_default()
}

/// The access and refresh token `store` holds now.
fn stored_secrets(store: &OutageStore) -> Vec<String> {
    let Some(Ok(Some(token))) = store.load().now_or_never() else {
        return Vec::new();
    };
    let mut secrets = vec![token.access_token().expose_secret().to_owned()];
    secrets.extend(
        token
            .refresh_token()
            .map(|refresh| refresh.expose_secret().to_owned()),
    );
    secrets
}

/// No attribute value of any series this process recorded holds one of `secrets`, a query
/// string or a URL.
fn assert_no_attribute_holds(secrets: &[String]) {
    let all = recorded_metrics::all();
    assert!(!all.is_empty());
    for series in all.keys() {
        for (key, value) in &series.attributes {
            for secret in secrets.iter().filter(|secret| !secret.is_empty()) {
                assert!(
                    !value.contains(secret.as_str()),
                    "attribute {key} of {} holds a secret: {value}",
                    series.name
                );
            }
            assert!(
                !value.contains('?') && !value.contains("://"),
                "attribute {key} of {} holds a URL or a query: {value}",
                series.name
            );
        }
    }
}
