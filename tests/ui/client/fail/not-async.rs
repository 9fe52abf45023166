// A method is `async`.
#[freshtoken::client]
trait Tasks {
    #[get("/tasks")]
    fn tasks(&self) -> Result<String>;
}

fn main() {}
