//! The demo's steps, run one after another against a Tasks API, with their counts.

// Input: the URL of a Tasks API with the reference server's auth and admin routes.
// Output: the demo's steps, run against it one after another, each with its counts (calls,
// refreshes, 401s, time) and whether it behaved as described.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use serde_json::Value;

use freshtoken::oauth::JsonLogin;
use freshtoken::{AuthError, TokenCache};

use crate::outage_store::OutageStore;
use crate::sdk::{Task, TasksClient, TasksError};
use crate::trait_sdk::{self, NewTask, Tasks as _};

/// What one step did, and whether that is what it should do.
#[derive(Debug, Clone)]
pub struct StepReport {
    /// What the step shows.
    pub name: &'static str,
    /// API calls made.
    pub calls: u32,
    /// Logins and refreshes the token cache made.
    pub refreshes: u64,
    /// 401 answers the API gave.
    pub unauthorized: u64,
    /// How long the step took.
    pub elapsed: Duration,
    /// Whether every count and result was as expected.
    pub ok: bool,
    /// What went wrong, when something did.
    pub problem: Option<String>,
}

/// What a step expects of the counters.
struct Expected {
    refreshes: u64,
    unauthorized: u64,
}

/// What the walkthrough needs of a Tasks SDK: the calls it makes and the token cache behind
/// them. Implemented for both SDKs of this crate, so the demo can show they behave alike.
pub trait Sdk: Clone + Send + Sync + 'static {
    /// The SDK's error type.
    type Error: std::fmt::Display + Send + 'static;
    /// Lists the user's tasks.
    fn list(&self) -> impl Future<Output = Result<Vec<Task>, Self::Error>> + Send;
    /// Adds a task.
    fn create(&self, title: &str) -> impl Future<Output = Result<Task, Self::Error>> + Send;
    /// Marks a task done.
    fn complete(&self, id: u64) -> impl Future<Output = Result<Task, Self::Error>> + Send;
    /// Whether `error` means the user must log in again.
    fn needs_login(error: &Self::Error) -> bool;
    /// Logins and refreshes made so far.
    fn refreshes(&self) -> u64;
    /// Makes the cached token look expired.
    fn expire_token_now(&self);
    /// Forgets the session, so the next call logs in again.
    fn log_in_again(&self);
}

impl Sdk for TasksClient {
    type Error = TasksError;

    fn list(&self) -> impl Future<Output = Result<Vec<Task>, TasksError>> + Send {
        self.list_tasks()
    }

    fn create(&self, title: &str) -> impl Future<Output = Result<Task, TasksError>> + Send {
        self.create_task(title)
    }

    fn complete(&self, id: u64) -> impl Future<Output = Result<Task, TasksError>> + Send {
        self.complete_task(id)
    }

    fn needs_login(error: &TasksError) -> bool {
        error.needs_login()
    }

    fn refreshes(&self) -> u64 {
        self.auth_stats().refreshes
    }

    fn expire_token_now(&self) {
        TasksClient::expire_token_now(self);
    }

    fn log_in_again(&self) {
        TasksClient::log_in_again(self);
    }
}

/// The trait SDK ([`crate::trait_sdk`]): the generated client and the cache it was built with.
#[derive(Clone)]
pub struct TraitSdk {
    /// The generated client.
    pub client: trait_sdk::TasksClient<JsonLogin>,
    /// Its token cache (a clone shares the cache).
    pub cache: TokenCache<JsonLogin>,
}

impl Sdk for TraitSdk {
    type Error = freshtoken::client::Error;

    fn list(&self) -> impl Future<Output = Result<Vec<Task>, Self::Error>> + Send {
        self.client.list_tasks()
    }

    async fn create(&self, title: &str) -> Result<Task, Self::Error> {
        self.client.create_task(&NewTask { title }).await
    }

    fn complete(&self, id: u64) -> impl Future<Output = Result<Task, Self::Error>> + Send {
        self.client.complete_task(id)
    }

    fn needs_login(error: &Self::Error) -> bool {
        error
            .auth_error()
            .is_some_and(AuthError::needs_reauthentication)
    }

    fn refreshes(&self) -> u64 {
        self.cache.stats().refreshes
    }

    fn expire_token_now(&self) {
        self.cache.expire_now();
    }

    fn log_in_again(&self) {
        self.cache.reset();
    }
}

/// Runs every step with `client` against the API at `base_url` as `username`, printing as it
/// goes through `say`. Returns one report per step. 401s are counted by the server (its
/// `/admin/stats`), so both SDKs are measured alike.
pub async fn run<C: Sdk>(
    client: &C,
    base_url: &str,
    username: &str,
    say: &mut dyn FnMut(&str),
) -> Vec<StepReport> {
    run_observed(client, base_url, username, say, &mut |_| {}).await
}

/// As [`run`], handing each step's report to `after_each` as soon as the step ends: the
/// metrics demo shows what each step recorded.
pub async fn run_observed<C: Sdk>(
    client: &C,
    base_url: &str,
    username: &str,
    say: &mut dyn FnMut(&str),
    after_each: &mut dyn FnMut(&StepReport),
) -> Vec<StepReport> {
    let admin = Admin::new(base_url, username);
    let mut reports = Vec::new();
    let mut done = |report: StepReport| {
        after_each(&report);
        reports.push(report);
    };
    done(
        step(
            client,
            &admin,
            say,
            "first call logs in",
            expect(1, 0),
            first_call(client),
        )
        .await,
    );
    done(
        step(
            client,
            &admin,
            say,
            "second call reuses the token",
            expect(0, 0),
            cached_call(client),
        )
        .await,
    );
    done(
        step(
            client,
            &admin,
            say,
            "100 concurrent calls, one refresh",
            expect(1, 0),
            herd(client),
        )
        .await,
    );
    done(
        step(
            client,
            &admin,
            say,
            "expired token refreshed before the call",
            expect(1, 0),
            expired(client),
        )
        .await,
    );
    done(
        step(
            client,
            &admin,
            say,
            "server revoked the token: 401, refresh, retry",
            expect(1, 1),
            revoked_access(client, &admin),
        )
        .await,
    );
    done(
        step(
            client,
            &admin,
            say,
            "refresh token revoked: log in again",
            expect(2, 1),
            revoked_session(client, &admin),
        )
        .await,
    );
    if let Some(stats) = admin.stats().await {
        say(&format!("\nserver counters: {stats}"));
    }
    reports
}

/// One more step, for an SDK whose cache keeps its token in `store`: the store stops
/// answering, the token expires, and the cache refreshes without the store (its outage
/// policy) so the call still succeeds; then the store comes back.
pub async fn store_outage(
    client: &impl Sdk,
    store: &OutageStore,
    base_url: &str,
    username: &str,
    say: &mut dyn FnMut(&str),
) -> StepReport {
    let admin = Admin::new(base_url, username);
    let body = outage(client, store);
    step(
        client,
        &admin,
        say,
        "token store down: refreshed without it",
        expect(1, 0),
        body,
    )
    .await
}

fn expect(refreshes: u64, unauthorized: u64) -> Expected {
    Expected {
        refreshes,
        unauthorized,
    }
}

/// What a step body returns: the calls it made and a line saying what happened.
type Done = Result<(u32, String), String>;

/// The step's error as text (the SDKs' error types differ).
fn text(error: impl std::fmt::Display) -> String {
    error.to_string()
}

async fn first_call(client: &impl Sdk) -> Done {
    let tasks = client.list().await.map_err(text)?;
    Ok((
        1,
        format!(
            "{} tasks; the cache logged in with the password",
            tasks.len()
        ),
    ))
}

async fn cached_call(client: &impl Sdk) -> Done {
    let task = client.create("try freshtoken").await.map_err(text)?;
    Ok((1, format!("created task {} with the cached token", task.id)))
}

async fn herd(client: &impl Sdk) -> Done {
    client.expire_token_now();
    let calls: Vec<_> = (0..100)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.list().await.map(drop).map_err(text) })
        })
        .collect();
    for call in calls {
        call.await
            .map_err(|error| format!("a concurrent call panicked: {error}"))??;
    }
    Ok((
        100,
        "the token had expired; 100 callers shared one refresh".to_owned(),
    ))
}

async fn expired(client: &impl Sdk) -> Done {
    client.expire_token_now();
    let tasks = client.list().await.map_err(text)?;
    let first = tasks.first().map(|task| task.id).unwrap_or_default();
    let done = client.complete(first).await.map_err(text)?;
    Ok((
        2,
        format!("refreshed first, no 401; completed task {}", done.id),
    ))
}

async fn revoked_access(client: &impl Sdk, admin: &Admin) -> Done {
    admin.post("revoke-access").await?;
    let tasks = client.list().await.map_err(text)?;
    Ok((
        1,
        format!(
            "the retry succeeded with a new token ({} tasks)",
            tasks.len()
        ),
    ))
}

async fn outage(client: &impl Sdk, store: &OutageStore) -> Done {
    store.go_down();
    client.expire_token_now();
    let listed = client.list().await.map_err(text);
    store.come_back();
    Ok((
        1,
        format!(
            "the store refused; the cache refreshed alone and served the call ({} tasks)",
            listed?.len()
        ),
    ))
}

async fn revoked_session<C: Sdk>(client: &C, admin: &Admin) -> Done {
    admin.post("revoke-refresh").await?;
    admin.post("revoke-access").await?;
    let error = match client.list().await {
        Err(error) if C::needs_login(&error) => error,
        Err(error) => return Err(text(error)),
        Ok(_) => return Err("the call succeeded although the session was revoked".to_owned()),
    };
    client.log_in_again();
    let tasks = client.list().await.map_err(text)?;
    Ok((
        2,
        format!(
            "first: \"{error}\"; after logging in again: {} tasks",
            tasks.len()
        ),
    ))
}

/// Runs one step and checks the counters it moved: refreshes from the client's cache, 401s
/// from the server.
async fn step(
    client: &impl Sdk,
    admin: &Admin,
    say: &mut dyn FnMut(&str),
    name: &'static str,
    expected: Expected,
    body: impl Future<Output = Done>,
) -> StepReport {
    say(&format!("\n== {name}"));
    let (refreshes, unauthorized) = (client.refreshes(), admin.unauthorized().await);
    let started = Instant::now();
    let outcome = body.await;
    let elapsed = started.elapsed();
    let refreshes = client.refreshes() - refreshes;
    let unauthorized = admin.unauthorized().await.saturating_sub(unauthorized);

    let mut problem = String::new();
    let calls = match outcome {
        Ok((calls, what)) => {
            say(&format!("   {what}"));
            calls
        }
        Err(error) => {
            let _ = write!(problem, "failed: {error}; ");
            0
        }
    };
    if refreshes != expected.refreshes {
        let _ = write!(
            problem,
            "{refreshes} refreshes, expected {}; ",
            expected.refreshes
        );
    }
    if unauthorized != expected.unauthorized {
        let _ = write!(
            problem,
            "{unauthorized} 401s, expected {}; ",
            expected.unauthorized
        );
    }
    let problem = (!problem.is_empty()).then(|| problem.trim_end_matches("; ").to_owned());
    say(&format!(
        "   {refreshes} refresh(es), {unauthorized} 401(s), {} ms{}",
        elapsed.as_millis(),
        problem
            .as_deref()
            .map(|p| format!("  <-- NOT AS EXPECTED: {p}"))
            .unwrap_or_default()
    ));
    StepReport {
        name,
        calls,
        refreshes,
        unauthorized,
        elapsed,
        ok: problem.is_none(),
        problem,
    }
}

/// The reference server's admin routes, to revoke what a real server would revoke and to
/// read its counters.
struct Admin {
    http: reqwest::Client,
    base_url: String,
    username: String,
}

impl Admin {
    fn new(base_url: &str, username: &str) -> Self {
        Self {
            http: reqwest::Client::new(),
            base_url: base_url.trim_end_matches('/').to_owned(),
            username: username.to_owned(),
        }
    }

    async fn post(&self, action: &str) -> Result<(), String> {
        let url = format!("{}/admin/{action}/{}", self.base_url, self.username);
        let status = self.http.post(url).send().await.map_err(text)?.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("admin route {action} answered {status}"))
        }
    }

    /// The server's counters, if it has the route.
    async fn stats(&self) -> Option<Value> {
        let response = self
            .http
            .get(format!("{}/admin/stats", self.base_url))
            .send()
            .await
            .ok()?;
        serde_json::from_slice(&response.bytes().await.ok()?).ok()
    }

    /// The 401s the server has answered (0 when it does not say).
    async fn unauthorized(&self) -> u64 {
        self.stats()
            .await
            .and_then(|stats| stats.get("unauthorized_responses")?.as_u64())
            .unwrap_or_default()
    }
}

/// The reports as a markdown table, with a total line.
#[must_use]
pub fn table(reports: &[StepReport]) -> String {
    let mut table = String::from(
        "| step | calls | refreshes | 401s | time | as described |\n|---|---:|---:|---:|---:|---|\n",
    );
    for report in reports {
        let _ = writeln!(
            table,
            "| {} | {} | {} | {} | {} ms | {} |",
            report.name,
            report.calls,
            report.refreshes,
            report.unauthorized,
            report.elapsed.as_millis(),
            if report.ok { "yes" } else { "NO" }
        );
    }
    table
}
