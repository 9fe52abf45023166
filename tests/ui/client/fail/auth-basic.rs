// A method sends the cache's bearer token, or none: there is no `basic`.
#[freshtoken::client]
trait Tasks {
    #[get("/tasks", auth = basic)]
    async fn tasks(&self) -> Result<String>;
}

fn main() {}
