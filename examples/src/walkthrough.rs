//! The demo's steps, run one after another against a Tasks API, with their counts.

// Input: the URL of a Tasks API with the reference server's auth and admin routes.
// Output: the demo's steps, run against it one after another, each with its counts (calls,
// refreshes, 401s, time) and whether it behaved as described.

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::sdk::{TasksClient, TasksError};

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

/// Runs every step against the API at `base_url` as `username`, printing as it goes through
/// `say`. Returns one report per step.
///
/// # Errors
/// Only when the client cannot be built (an invalid `base_url`); a step that misbehaves is a
/// report with `ok: false`, not an error.
pub async fn run(
    base_url: &str,
    username: &str,
    password: &str,
    say: &mut dyn FnMut(&str),
) -> Result<Vec<StepReport>, TasksError> {
    let client = TasksClient::new(base_url, username, password)?;
    let admin = Admin {
        http: reqwest::Client::new(),
        base_url: base_url.trim_end_matches('/').to_owned(),
        username: username.to_owned(),
    };
    let reports = vec![
        step(
            &client,
            say,
            "first call logs in",
            expect(1, 0),
            first_call(&client),
        )
        .await,
        step(
            &client,
            say,
            "second call reuses the token",
            expect(0, 0),
            cached_call(&client),
        )
        .await,
        step(
            &client,
            say,
            "100 concurrent calls, one refresh",
            expect(1, 0),
            herd(&client),
        )
        .await,
        step(
            &client,
            say,
            "expired token refreshed before the call",
            expect(1, 0),
            expired(&client),
        )
        .await,
        step(
            &client,
            say,
            "server revoked the token: 401, refresh, retry",
            expect(1, 1),
            revoked_access(&client, &admin),
        )
        .await,
        step(
            &client,
            say,
            "refresh token revoked: log in again",
            expect(2, 1),
            revoked_session(&client, &admin),
        )
        .await,
    ];
    if let Some(stats) = admin.stats().await {
        say(&format!("\nserver counters: {stats}"));
    }
    Ok(reports)
}

fn expect(refreshes: u64, unauthorized: u64) -> Expected {
    Expected {
        refreshes,
        unauthorized,
    }
}

/// What a step body returns: the calls it made and a line saying what happened.
type Done = Result<(u32, String), TasksError>;

async fn first_call(client: &TasksClient) -> Done {
    let tasks = client.list_tasks().await?;
    Ok((
        1,
        format!(
            "{} tasks; the cache logged in with the password",
            tasks.len()
        ),
    ))
}

async fn cached_call(client: &TasksClient) -> Done {
    let task = client.create_task("try freshtoken").await?;
    Ok((1, format!("created task {} with the cached token", task.id)))
}

async fn herd(client: &TasksClient) -> Done {
    client.expire_token_now();
    let calls: Vec<_> = (0..100)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.list_tasks().await })
        })
        .collect();
    for call in calls {
        call.await
            .map_err(|error| unexpected(&format!("a concurrent call panicked: {error}")))??;
    }
    Ok((
        100,
        "the token had expired; 100 callers shared one refresh".to_owned(),
    ))
}

async fn expired(client: &TasksClient) -> Done {
    client.expire_token_now();
    let tasks = client.list_tasks().await?;
    let first = tasks.first().map(|task| task.id).unwrap_or_default();
    let done = client.complete_task(first).await?;
    Ok((
        2,
        format!("refreshed first, no 401; completed task {}", done.id),
    ))
}

async fn revoked_access(client: &TasksClient, admin: &Admin) -> Done {
    admin.post("revoke-access").await?;
    let tasks = client.list_tasks().await?;
    Ok((
        1,
        format!(
            "the retry succeeded with a new token ({} tasks)",
            tasks.len()
        ),
    ))
}

async fn revoked_session(client: &TasksClient, admin: &Admin) -> Done {
    admin.post("revoke-refresh").await?;
    admin.post("revoke-access").await?;
    let error = match client.list_tasks().await {
        Err(error) if error.needs_login() => error,
        Err(error) => return Err(error),
        Ok(_) => {
            return Err(unexpected(
                "the call succeeded although the session was revoked",
            ));
        }
    };
    client.log_in_again();
    let tasks = client.list_tasks().await?;
    Ok((
        2,
        format!(
            "first: \"{error}\"; after logging in again: {} tasks",
            tasks.len()
        ),
    ))
}

/// Runs one step and checks the counters it moved.
async fn step(
    client: &TasksClient,
    say: &mut dyn FnMut(&str),
    name: &'static str,
    expected: Expected,
    body: impl Future<Output = Done>,
) -> StepReport {
    say(&format!("\n== {name}"));
    let (refreshes, unauthorized) = (client.auth_stats().refreshes, client.unauthorized_answers());
    let started = Instant::now();
    let outcome = body.await;
    let elapsed = started.elapsed();
    let refreshes = client.auth_stats().refreshes - refreshes;
    let unauthorized = client.unauthorized_answers() - unauthorized;

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

/// The reference server's admin routes, to revoke what a real server would revoke.
struct Admin {
    http: reqwest::Client,
    base_url: String,
    username: String,
}

impl Admin {
    async fn post(&self, action: &str) -> Result<(), TasksError> {
        let url = format!("{}/admin/{action}/{}", self.base_url, self.username);
        let status = self.http.post(url).send().await?.status();
        if status.is_success() {
            Ok(())
        } else {
            Err(unexpected(&format!(
                "admin route {action} answered {status}"
            )))
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
}

fn unexpected(message: &str) -> TasksError {
    TasksError::Api {
        status: reqwest::StatusCode::INTERNAL_SERVER_ERROR,
        message: message.to_owned(),
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
