// A call can fail, so a method returns a `Result`.
#[freshtoken::client]
trait Tasks {
    #[get("/tasks")]
    async fn tasks(&self) -> String;

    #[get("/count")]
    async fn count(&self);
}

fn main() {}
