// The path is joined to the base URL's path, so it starts with `/`.
#[freshtoken::client]
trait Tasks {
    #[get("tasks")]
    async fn tasks(&self) -> Result<String>;
}

fn main() {}
