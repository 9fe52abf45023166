//! The example MCP client against the example MCP server on an ephemeral port: it connects,
//! lists the tools and writes a note through a scope step-up, with no OAuth code of its own.

use freshtoken_examples::mcp_client;
use freshtoken_examples::server::ServerConfig;
use freshtoken_examples::server::mcp;

#[tokio::test]
async fn the_example_mcp_client_writes_a_note_through_a_scope_step_up() {
    let server = mcp::start(ServerConfig::default(), 0).await.unwrap();
    let mut printed = String::new();

    let result = mcp_client::run(&server.mcp_url(), &mut |line| {
        printed.push_str(line);
        printed.push('\n');
    })
    .await;

    assert_eq!(result, Ok(()), "{printed}");
    assert!(
        printed.contains("tools: list_notes, write_note"),
        "{printed}"
    );
    assert!(printed.contains("write_note: note 1 written"), "{printed}");
    assert!(
        printed.contains("list_notes: written through a step-up"),
        "{printed}"
    );
    let stats = server.stats();
    assert_eq!(
        stats.logins, 2,
        "the first login and the step-up's: {stats:?}"
    );
    server.shutdown().await;
}
