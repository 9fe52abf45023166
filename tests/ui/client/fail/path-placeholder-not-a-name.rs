// `{task-id}` cannot name a Rust parameter.
#[freshtoken::client]
trait Tasks {
    #[get("/tasks/{task-id}")]
    async fn task(&self, id: u64) -> Result<String>;
}

fn main() {}
