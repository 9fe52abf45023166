// Each option once.
#[freshtoken::client(name = TasksApi, name = TasksSdk)]
trait Tasks {
    #[get("/tasks")]
    async fn tasks(&self) -> Result<String>;
}

fn main() {}
