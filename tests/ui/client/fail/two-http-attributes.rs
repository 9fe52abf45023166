// One HTTP attribute per method.
#[freshtoken::client]
trait Tasks {
    #[get("/tasks")]
    #[post("/tasks")]
    async fn tasks(&self) -> Result<String>;
}

fn main() {}
