// An HTTP attribute takes `auth` and `timeout` only.
#[freshtoken::client]
trait Tasks {
    #[get("/tasks", retries = 3)]
    async fn tasks(&self) -> Result<String>;
}

fn main() {}
