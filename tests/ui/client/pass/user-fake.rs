// The trait stays the user's: code written against it takes the generated client or a fake.
use freshtoken_ui_tests::{cache, refused_url};

#[freshtoken::client]
pub trait Tasks {
    #[get("/tasks/{id}/title")]
    async fn title(&self, id: u64) -> Result<String>;

    #[delete("/tasks/{id}")]
    async fn delete(&self, id: u64) -> Result<()>;
}

struct FakeTasks;

impl Tasks for FakeTasks {
    async fn title(&self, id: u64) -> Result<String, freshtoken::client::Error> {
        Ok(format!("task {id}"))
    }

    async fn delete(&self, _id: u64) -> Result<(), freshtoken::client::Error> {
        Ok(())
    }
}

async fn shout_title(api: &impl Tasks, id: u64) -> Result<String, freshtoken::client::Error> {
    api.delete(id + 1).await?;
    Ok(api.title(id).await?.to_uppercase())
}

#[tokio::main]
async fn main() {
    assert_eq!(shout_title(&FakeTasks, 3).await.unwrap(), "TASK 3");
    let client = TasksClient::builder(refused_url(), cache()).build().unwrap();
    assert!(shout_title(&client, 3).await.is_err());
}
