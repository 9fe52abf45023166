// Every method says which HTTP method and path it calls.
#[freshtoken::client]
trait Tasks {
    async fn tasks(&self) -> Result<String>;
}

fn main() {}
