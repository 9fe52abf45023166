// Query values are parameters, not part of the path.
#[freshtoken::client]
trait Tasks {
    #[get("/tasks?done=true")]
    async fn done_tasks(&self) -> Result<String>;
}

fn main() {}
