// A call's future is `Send` (so it can be spawned) and the client is `Send + Sync + Clone`,
// whatever the parameters borrow.
use freshtoken::client::Multipart;
use freshtoken_ui_tests::{cache, is_refused, refused_url};

#[freshtoken::client]
pub trait Tasks {
    #[get("/tasks/{id}")]
    async fn task(&self, id: u64) -> Result<serde_json::Value>;

    #[post("/tasks/{id}/files")]
    async fn attach(
        &self,
        id: u64,
        #[header("x-note")] note: Option<&str>,
        #[multipart] form: &Multipart,
    ) -> Result<()>;
}

fn assert_send<T: Send>(value: T) -> T {
    value
}

fn assert_shareable<T: Send + Sync + Clone + 'static>() {}

#[tokio::main]
async fn main() {
    assert_shareable::<TasksClient<freshtoken_ui_tests::HourTokens>>();
    let client = TasksClient::builder(refused_url(), cache()).build().unwrap();
    let spawned = tokio::spawn({
        let client = client.clone();
        async move { client.task(1).await }
    });
    let error = spawned.await.unwrap().unwrap_err();
    assert!(is_refused(&error), "{error:?}");
    let form = Multipart::new().text("name", "a.txt");
    let error = assert_send(client.attach(1, Some("n"), &form)).await.unwrap_err();
    assert!(is_refused(&error), "{error:?}");
}
