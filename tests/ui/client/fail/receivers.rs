// The client is shared between tasks: methods take `&self`, not `self`, `&mut self` or nothing.
#[freshtoken::client]
trait Tasks {
    #[get("/a")]
    async fn by_value(self) -> Result<String>;

    #[get("/b")]
    async fn by_mut(&mut self) -> Result<String>;

    #[get("/c")]
    async fn no_receiver() -> Result<String>;
}

fn main() {}
