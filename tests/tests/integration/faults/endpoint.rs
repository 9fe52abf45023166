//! A thousand callers of a `#[refresh_token]` method while the token endpoint misbehaves: down,
//! hanging, answering 5xx or 429 with `Retry-After`, refusing the refresh token, failing during
//! a refresh-ahead, and while the API revokes the token in use. Real HTTP on 127.0.0.1 against
//! `ScriptedServer`; tokio's paused clock makes every wait and backoff exact, and every test
//! checks that no secret reached a log line or an error message.

use std::time::Duration;

use freshtoken::AuthErrorKind;
use freshtoken_tests::ApiError;
use freshtoken_tests::faults::{
    CALLERS, ClockHold, FaultClient, Outcome, SOURCE_TIMEOUT, SecretWatch, assert_all_succeeded,
    burst, burst_letting_time_run, burst_of,
};
use freshtoken_tests::scripted::{Reply, ScriptedServer};
use tokio::time::{Instant, advance};

/// Callers in each burst of the refresh-ahead window.
const WINDOW_CALLERS: usize = 100;

/// Callers in each burst of an outage after the first.
const OUTAGE_CALLERS: usize = 100;

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// The refresh errors of `outcomes`, asserting every caller failed with one.
fn auth_errors(outcomes: &[Outcome]) -> Vec<&freshtoken::AuthError> {
    outcomes
        .iter()
        .map(|outcome| match &outcome.result {
            Err(ApiError::Auth(error)) => error,
            other => panic!("expected a refresh error, got {other:?}"),
        })
        .collect()
}

/// Bursts of callers every `every` until one succeeds; the instant of the first success.
async fn burst_until_success(client: &FaultClient, every: Duration, give_up: Duration) -> Instant {
    let deadline = Instant::now() + give_up;
    loop {
        let outcomes = burst(client).await;
        if outcomes.iter().any(|outcome| outcome.result.is_ok()) {
            assert_all_succeeded(&outcomes);
            return Instant::now();
        }
        assert!(Instant::now() < deadline, "no success within {give_up:?}");
        advance(every).await;
    }
}

#[tokio::test(start_paused = true)]
async fn endpoint_down_then_back_follows_the_backoff_and_recovers_without_a_new_client() {
    let mut watch = SecretWatch::start();
    let server = ScriptedServer::start(Reply::issue()).await;
    server.stop();
    let (initial, max) = (secs(1), secs(8));
    let client = FaultClient::new(&server, |cache| cache.backoff(initial, max));

    // Down for 60 s, a burst every 250 ms: every caller fails fast with a retryable error.
    // The first burst is a crowd of `CALLERS`; the 239 after it are what this test crosses
    // (the backoff's schedule), so they are smaller.
    let every = Duration::from_millis(250);
    let down_since = Instant::now();
    let mut callers = CALLERS;
    while down_since.elapsed() < secs(60) {
        let outcomes = burst_of(&client, callers).await;
        callers = OUTAGE_CALLERS;
        for (outcome, error) in outcomes.iter().zip(auth_errors(&outcomes)) {
            assert!(error.is_retryable(), "{error}");
            assert!(
                outcome.took < secs(1),
                "a caller was held {:?}",
                outcome.took
            );
        }
        watch.show(&outcomes);
        advance(every).await;
    }

    // The attempts follow the schedule: the k-th wait is within [d/2, d] of d = 1 s * 2^(k-1)
    // capped at 8 s (equal jitter), plus at most one burst interval for a caller to come.
    let attempts = client.source.calls();
    for (k, pair) in attempts.windows(2).enumerate() {
        let exponent = u32::try_from(k).expect("few attempts");
        let delay = initial
            .saturating_mul(2u32.saturating_pow(exponent))
            .min(max);
        let gap = pair[1] - pair[0];
        assert!(
            gap >= delay / 2 && gap <= delay + every,
            "attempt {} came {gap:?} after the previous one; the backoff was {delay:?}",
            k + 2
        );
    }
    // 1 + 2 + 4 + 8 + 8... at full delays, twice as many at half delays.
    assert!(
        (9..=18).contains(&attempts.len()),
        "{} attempts in 60 s",
        attempts.len()
    );
    assert!(server.token_hits().is_empty(), "the endpoint was down");

    // Back: the first attempt after the restart succeeds, on the same client.
    server.restart().await;
    let attempts_before = attempts.len();
    let recovered_at = burst_until_success(&client, every, max + every).await;
    let attempts = client.source.calls();
    assert_eq!(attempts.len(), attempts_before + 1, "one attempt recovered");
    assert!(attempts[attempts_before] <= recovered_at);
    assert_eq!(server.token_hits().len(), 1);
    assert_all_succeeded(&burst(&client).await);
    // The client, its cache, its source and the token in service print without secrets.
    watch.show_debug(&client);
    watch.show_debug(&client.auth.cached());
    watch.assert_no_secret();
}

#[tokio::test(start_paused = true)]
async fn a_hanging_endpoint_times_out_at_the_request_budget() {
    let mut watch = SecretWatch::start();
    let server = ScriptedServer::start(Reply::Hang).await;
    let client = FaultClient::new(&server, |cache| cache);

    let outcomes = burst_letting_time_run(&client).await;
    for (outcome, error) in outcomes.iter().zip(auth_errors(&outcomes)) {
        assert!(
            matches!(error.kind(), AuthErrorKind::Timeout(budget) if *budget == SOURCE_TIMEOUT),
            "{error}"
        );
        assert!(error.is_retryable());
        // Held for the request's own budget (on tokio's 1 ms timer tick), no longer.
        assert!(
            outcome.took <= SOURCE_TIMEOUT + Duration::from_millis(2),
            "a caller was held {:?}",
            outcome.took
        );
    }
    assert_eq!(server.token_hits().len(), 1, "one request for the burst");
    watch.show(&outcomes);
    watch.assert_no_secret();
}

#[tokio::test(start_paused = true)]
async fn error_statuses_are_retried_no_sooner_than_the_hint() {
    let mut watch = SecretWatch::start();
    let cases = [
        (500, "server_error", None),
        (503, "temporarily_unavailable", Some(30)),
        (429, "slow_down", Some(45)),
    ];
    for (status, code, retry_after) in cases {
        let server = ScriptedServer::start(Reply::Error {
            status,
            code,
            retry_after,
        })
        .await;
        let client = FaultClient::new(&server, |cache| cache.backoff(secs(1), secs(60)));

        let outcomes = burst(&client).await;
        for error in auth_errors(&outcomes) {
            assert!(
                matches!(error.kind(), AuthErrorKind::RefreshFailed { .. }),
                "{status}: {error}"
            );
            assert_eq!(error.retry_after(), retry_after.map(secs), "{status}");
        }
        watch.show(&outcomes);
        assert_eq!(
            server.token_hits().len(),
            1,
            "{status}: one request for the burst"
        );

        // The endpoint recovers at once, but the cache waits for the hint (or, without one,
        // for at least half the first backoff).
        server.set_reply(Reply::issue());
        burst_until_success(&client, Duration::from_millis(500), secs(120)).await;
        let hits = server.token_hits();
        assert_eq!(hits.len(), 2, "{status}: one retry");
        let earliest = retry_after.map_or(Duration::from_millis(500), secs);
        assert!(
            hits[1] - hits[0] >= earliest,
            "{status}: retried after {:?}, before {earliest:?}",
            hits[1] - hits[0]
        );
    }
    watch.assert_no_secret();
}

#[tokio::test(start_paused = true)]
async fn invalid_grant_is_one_attempt_and_no_retry_until_new_credentials() {
    let mut watch = SecretWatch::start();
    let server = ScriptedServer::start(Reply::Error {
        status: 400,
        code: "invalid_grant",
        retry_after: None,
    })
    .await;
    let client = FaultClient::new(&server, |cache| cache);

    // A day of bursts, one an hour: one attempt in all, every caller told to log in again.
    for _ in 0..24 {
        let outcomes = burst(&client).await;
        for error in auth_errors(&outcomes) {
            assert!(error.needs_reauthentication(), "{error}");
        }
        watch.show(&outcomes);
        advance(secs(3600)).await;
    }
    assert_eq!(server.token_hits().len(), 1);

    // New credentials (what a login would give): the next burst refreshes once and succeeds.
    server.set_reply(Reply::issue());
    client
        .auth
        .set_token(freshtoken_tests::faults::expired_token());
    assert_all_succeeded(&burst(&client).await);
    assert_eq!(server.token_hits().len(), 2);
    watch.assert_no_secret();
}

#[tokio::test(start_paused = true)]
async fn a_failing_refresh_ahead_leaves_the_valid_token_serving() {
    let watch = SecretWatch::start();
    // Tokens live 10 minutes; with the default margins (60 s + 60 s) they age from 8 minutes.
    let server = ScriptedServer::start(Reply::Issue {
        expires_in: 600,
        delay: Duration::ZERO,
    })
    .await;
    let client = FaultClient::new(&server, |cache| cache.backoff(secs(1), secs(8)));
    assert_all_succeeded(&burst(&client).await);

    server.set_reply(Reply::Error {
        status: 503,
        code: "temporarily_unavailable",
        retry_after: None,
    });
    advance(secs(8 * 60)).await;
    // Through the whole refresh-ahead window, a burst every 5 s: every caller is served the
    // token in service, with one attempt each, while the refreshes behind them fail. The
    // window is what this test crosses; a crowd of `CALLERS` on one refresh is the first
    // burst's and the other tests' concern, so these bursts are smaller.
    for _ in 0..12 {
        let outcomes = burst_of(&client, WINDOW_CALLERS).await;
        for outcome in &outcomes {
            assert!(outcome.result.is_ok(), "{:?}", outcome.result);
            assert_eq!(outcome.attempts, 1);
        }
        advance(secs(5)).await;
    }
    // The last background attempt may still be on its way back over the socket: let it land
    // (yielding to the server's and the cache's tasks; the paused clock does not move) before
    // comparing the server's count with the cache's. The bound is wall-clock time (a count
    // of yields ran out on a loaded 2-core machine): it only ends a wait that found no
    // agreement, which the assertions below then report.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while client.auth.stats().failures + 1 < server.token_hits().len() as u64
        && std::time::Instant::now() < deadline
    {
        tokio::task::yield_now().await;
    }
    // The cache counts every background attempt that failed; the server sees those that
    // reached it. They can differ by an attempt that ended before the server read it (the
    // paused clock jumps to the source's timeout while the runtime waits on the socket),
    // never the other way round.
    let failed_attempts = client.auth.stats().failures;
    let seen_by_server = server.token_hits().len() as u64 - 1;
    assert!(
        (1..=12).contains(&failed_attempts),
        "{failed_attempts} background attempts for {} callers",
        12 * WINDOW_CALLERS
    );
    assert!(
        seen_by_server <= failed_attempts,
        "the server answered {seen_by_server} attempts, the cache counted {failed_attempts} failures"
    );
    watch.assert_no_secret();
}

#[tokio::test(start_paused = true)]
async fn a_token_revoked_mid_burst_costs_each_caller_at_most_one_retry_and_one_refresh_in_all() {
    let mut watch = SecretWatch::start();
    let server = ScriptedServer::start(Reply::issue()).await;
    let client = FaultClient::new(&server, |cache| cache);
    assert_all_succeeded(&burst(&client).await);
    assert_eq!(server.token_hits().len(), 1);
    // The refresh after the revocation must not wait for the cache's minimum interval
    // between refreshes: the clock is held during the burst, so that wait would never end.
    advance(secs(1)).await;

    // Revoke once a third of the next burst's calls have reached the API.
    let hold = ClockHold::new();
    let running = tokio::spawn({
        let client = client.clone();
        async move { burst(&client).await }
    });
    let (calls_before, _) = server.api_hits();
    while server.api_hits().0 < calls_before + 300 {
        tokio::task::yield_now().await;
    }
    server.revoke_access_tokens();
    let outcomes = running.await.expect("the burst does not panic");
    drop(hold);

    assert_all_succeeded(&outcomes);
    assert!(outcomes.iter().all(|outcome| outcome.attempts <= 2));
    let retried = outcomes
        .iter()
        .filter(|outcome| outcome.attempts == 2)
        .count();
    let (_, unauthorized) = server.api_hits();
    assert!(retried > 0, "the revocation hit calls in flight");
    assert_eq!(unauthorized as usize, retried, "one 401 per retried caller");
    assert_eq!(
        server.token_hits().len(),
        2,
        "one refresh for the whole burst"
    );
    watch.show(&outcomes);
    watch.assert_no_secret();
}
