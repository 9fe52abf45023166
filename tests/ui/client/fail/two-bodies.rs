// A request has one body.
#[freshtoken::client]
trait Tasks {
    #[post("/tasks")]
    async fn create(
        &self,
        #[json] task: &serde_json::Value,
        #[body] attachment: &[u8],
    ) -> Result<()>;
}

fn main() {}
