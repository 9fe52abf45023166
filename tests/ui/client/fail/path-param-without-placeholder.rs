// A parameter with no attribute is a path parameter, but the path has no `{page}`.
#[freshtoken::client]
trait Tasks {
    #[get("/tasks")]
    async fn tasks(&self, page: u32) -> Result<String>;
}

fn main() {}
