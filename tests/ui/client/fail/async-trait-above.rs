// `#[async_trait]` above `#[freshtoken::client]`: it has already made `list` a fn returning
// `Pin<Box<dyn Future>>`. The error says to remove `#[async_trait]`, not to write the `async`
// the user wrote.
use async_trait::async_trait;

#[async_trait]
#[freshtoken::client]
pub trait Tasks {
    #[get("/tasks")]
    async fn list(&self) -> Result<String>;
}

fn main() {}
