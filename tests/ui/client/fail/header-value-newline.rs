// A header value cannot hold a newline (it would end the header).
#[freshtoken::client]
trait Tasks {
    #[get("/tasks")]
    #[header("x-mode", "fast\r\nx-injected: 1")]
    async fn tasks(&self) -> Result<String>;
}

fn main() {}
