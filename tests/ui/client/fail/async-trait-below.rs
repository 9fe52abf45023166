// `#[async_trait]` below `#[freshtoken::client]`: the trait still carries it when the client
// expands. The trait and its fakes use native `async fn`, so the fix is to remove it.
use async_trait::async_trait;

#[freshtoken::client]
#[async_trait]
pub trait Tasks {
    #[get("/tasks")]
    async fn list(&self) -> Result<String>;
}

fn main() {}
