// Each option once.
#[freshtoken::client]
trait Tasks {
    #[get("/tasks", auth = none, auth = bearer)]
    async fn tasks(&self) -> Result<String>;
}

fn main() {}
