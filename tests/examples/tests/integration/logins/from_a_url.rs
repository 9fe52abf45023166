//! From a URL to a token against the reference server: `ProtectedResource::discover` from
//! the Tasks API's 401, registration once (kept in the store), a PKCE login for the resource,
//! and step-ups through the cache when a route needs more scope: one login for a hundred
//! callers, and one in all for a resource that keeps refusing.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use freshtoken::oauth::resource::{ClientIdentity, ClientRegistration, ProtectedResource};
use freshtoken::oauth::{AuthorizationCodePkce, Url};
use freshtoken::{FileStore, TokenCache};
use freshtoken_examples::server::{ResourceRequest, ServerConfig};
use freshtoken_examples::trait_sdk::{NewTask, Tasks as _, TasksClient};
use reqwest::StatusCode;

use crate::common::Oauth;

/// A "browser" that follows the authorize URL (the server consents at once) to the loopback
/// listener, counting the logins it was shown.
fn browser(logins: &Arc<AtomicU32>) -> impl Fn(&Url) + Send + Sync + 'static {
    let logins = Arc::clone(logins);
    move |url: &Url| {
        logins.fetch_add(1, Ordering::SeqCst);
        let url = url.clone();
        tokio::spawn(async move { reqwest::get(url).await.map(drop) });
    }
}

fn identity() -> ClientIdentity {
    ClientIdentity::new().registration(ClientRegistration::loopback("Tasks CLI"))
}

fn tasks_url(oauth: &Oauth) -> Url {
    format!("{}/tasks", oauth.base_url).parse().unwrap()
}

#[tokio::test]
async fn a_401_leads_to_one_registration_and_a_login_for_the_resource_kept_for_the_next_start() {
    let oauth = Oauth::start_default().await;
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(FileStore::new(dir.path().join("tasks-login.json")));
    let logins = Arc::new(AtomicU32::new(0));

    let resource = ProtectedResource::discover(tasks_url(&oauth))
        .await
        .unwrap();
    assert_eq!(resource.resource(), oauth.base_url);
    let challenge = resource.challenge().expect("the 401's challenge");
    assert!(challenge.resource_metadata().unwrap().is_some());
    assert_eq!(resource.scopes(), ["tasks:read", "tasks:write", "tasks"]);
    assert_eq!(
        resource.server_metadata().issuer(),
        oauth.server.issuer().as_str()
    );

    let cache = resource
        .pkce_cache(&identity(), Arc::clone(&store), browser(&logins))
        .await
        .unwrap();
    let token = cache.token().await.unwrap();
    assert_eq!(token.resource(), Some(oauth.base_url.as_str()));
    assert_eq!(
        oauth
            .tasks_status(token.access_token().expose_secret())
            .await,
        StatusCode::OK
    );
    let sent: Vec<ResourceRequest> = oauth.server.resource_requests();
    assert!(
        sent.iter()
            .any(|r| r.request == "authorize" && r.resource.as_deref() == Some(&oauth.base_url)),
        "{sent:?}"
    );
    assert!(
        sent.iter()
            .all(|r| r.resource.as_deref() == Some(&oauth.base_url)),
        "every request names the resource: {sent:?}"
    );

    // The next start of the program: the registration and the login come from the store.
    let again = ProtectedResource::discover(tasks_url(&oauth))
        .await
        .unwrap();
    let cache = again
        .pkce_cache(&identity(), Arc::clone(&store), browser(&logins))
        .await
        .unwrap();
    let adopted = cache.token().await.unwrap();
    assert_eq!(
        adopted.access_token().expose_secret(),
        token.access_token().expose_secret()
    );
    assert_eq!(logins.load(Ordering::SeqCst), 1, "one login in all");
    assert_eq!(oauth.server.stats().client_registrations, 1);
}

/// A client of the Tasks API whose first login asks for `tasks:read` alone, and a counter of
/// the logins it was shown.
async fn reader(oauth: &Oauth) -> (TasksClient<AuthorizationCodePkce>, Arc<AtomicU32>) {
    let resource = ProtectedResource::discover(tasks_url(oauth)).await.unwrap();
    let client = resource
        .client(&identity(), &freshtoken::MemoryStore::default())
        .await
        .unwrap();
    let logins = Arc::new(AtomicU32::new(0));
    let source = resource
        .authorization_code_pkce(client, browser(&logins))
        .await
        .unwrap()
        .scopes(["tasks:read"]);
    let cache = TokenCache::builder(source)
        .resource(resource.resource())
        .build();
    let client = TasksClient::builder(&oauth.base_url, cache)
        .build()
        .unwrap();
    (client, logins)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_callers_refused_for_scope_make_one_step_up_login() {
    let oauth = Oauth::start_default().await;
    let (client, logins) = reader(&oauth).await;
    client.list_tasks().await.expect("tasks:read lists");
    assert_eq!(logins.load(Ordering::SeqCst), 1);

    let calls = (0..100).map(|n| {
        let client = client.clone();
        tokio::spawn(async move {
            let title = format!("task {n}");
            client.create_task(&NewTask { title: &title }).await
        })
    });
    for call in calls.collect::<Vec<_>>() {
        call.await.unwrap().expect("created after the step-up");
    }

    assert_eq!(
        logins.load(Ordering::SeqCst),
        2,
        "one step-up login for all"
    );
    let token = client.cache().cached().unwrap();
    assert_eq!(token.scope(), Some("tasks:read tasks:write"));
    let stats = oauth.server.stats();
    assert!(stats.insufficient_scope_responses >= 1);
    assert!(stats.insufficient_scope_responses <= 100);
}

#[tokio::test]
async fn a_resource_that_refuses_every_scope_costs_one_step_up_then_returns_its_403() {
    let oauth = Oauth::start(ServerConfig {
        refuse_every_scope: true,
        ..ServerConfig::default()
    })
    .await;
    let (client, logins) = reader(&oauth).await;

    for _ in 0..3 {
        let error = client
            .create_task(&NewTask { title: "never" })
            .await
            .unwrap_err();
        assert_eq!(error.status(), Some(StatusCode::FORBIDDEN), "{error}");
    }

    assert_eq!(
        logins.load(Ordering::SeqCst),
        2,
        "the first login and one step-up, not one per call"
    );
    assert_eq!(oauth.server.stats().insufficient_scope_responses, 4);
}

#[tokio::test]
async fn the_tasks_api_refuses_a_token_for_another_resource() {
    use freshtoken::TokenSource as _;
    use freshtoken::oauth::{ClientAuth, PasswordGrant};
    use freshtoken_examples::server::{
        DEMO_CONFIDENTIAL_CLIENT_ID as ID, DEMO_CONFIDENTIAL_CLIENT_SECRET as SECRET,
    };

    let oauth = Oauth::start_default().await;
    let login = |resource: &str| {
        PasswordGrant::new(
            format!("{}/oauth/token", oauth.base_url).parse().unwrap(),
            ClientAuth::basic(ID, SECRET),
            "alice",
            "wonderland",
        )
        .resource(resource)
    };

    let elsewhere = login("https://files.example/api")
        .fetch(None)
        .await
        .unwrap();
    let here = login(&oauth.base_url).fetch(None).await.unwrap();

    let elsewhere = oauth
        .tasks_status(elsewhere.access_token().expose_secret())
        .await;
    let here = oauth
        .tasks_status(here.access_token().expose_secret())
        .await;
    assert_eq!(elsewhere, StatusCode::UNAUTHORIZED);
    assert_eq!(here, StatusCode::OK);
}
