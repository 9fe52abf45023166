//! A process killed right after a refresh restarts from the rotated refresh token: the cache
//! writes the new token to its `FileStore` before it hands the token out, so a token the
//! process saw is a token on disk. The endpoint accepts only the latest refresh token, as a
//! rotating server with reuse detection does; a lost rotation would be `invalid_grant`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use freshtoken::{FileStore, TokenStore};
use freshtoken_tests::faults::expired_token;
use freshtoken_tests::scripted::{ACCESS_TOKEN_PREFIX, Reply, ScriptedServer};

/// The client process of `tests/src/bin/file_store_client.rs`, told what to do after its
/// first token.
fn client(server: &ScriptedServer, store: &FileStore, then: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_file_store_client"));
    command
        .env("FRESHTOKEN_TOKEN_URL", server.token_url())
        .env("FRESHTOKEN_STORE", store.path())
        .env("FRESHTOKEN_THEN", then)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_process_killed_right_after_a_refresh_restarts_from_the_rotated_refresh_token() {
    let server = ScriptedServer::start(Reply::issue()).await;
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::new(dir.path().join("token.json"));
    store.save(None, &expired_token()).await.unwrap();

    // The first process refreshes (spending the first refresh token), prints the new access
    // token, and is killed the moment it has.
    let mut first = client(&server, &store, "wait").spawn().unwrap();
    let stdout = first.stdout.take().unwrap();
    let printed = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).map(|_| line)
    })
    .await
    .unwrap()
    .unwrap();
    first.kill().unwrap();
    first.wait().unwrap();
    assert_eq!(printed.trim(), format!("{ACCESS_TOKEN_PREFIX}1"));
    assert_eq!(server.token_hits().len(), 1);

    // The restarted process finds that token on disk; told it was rejected, it refreshes
    // with the rotated refresh token, which the endpoint accepts.
    let second = client(&server, &store, "rejected").spawn().unwrap();
    let output = tokio::task::spawn_blocking(|| second.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the restarted client failed: {stderr}"
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        format!("{ACCESS_TOKEN_PREFIX}2")
    );
    assert_eq!(
        server.token_hits().len(),
        2,
        "no refresh token was spent twice"
    );
    let on_disk = store.load().await.unwrap().unwrap();
    assert_eq!(
        on_disk.refresh_token().unwrap().expose_secret(),
        server.latest_refresh_token()
    );
}
