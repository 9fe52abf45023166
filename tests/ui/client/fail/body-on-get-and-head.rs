// GET and HEAD requests carry no body.
#[freshtoken::client]
trait Tasks {
    #[get("/tasks")]
    async fn search(&self, #[json] filter: &serde_json::Value) -> Result<String>;

    #[head("/tasks")]
    async fn probe(&self, #[body] payload: &[u8]) -> Result<()>;
}

fn main() {}
