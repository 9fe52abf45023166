// A header name is a token: no spaces or `:`, on a parameter or on the method.
#[freshtoken::client]
trait Tasks {
    #[get("/tasks")]
    async fn tasks(&self, #[header("request id")] request_id: &str) -> Result<String>;

    #[get("/tags")]
    #[header("accept:", "application/json")]
    async fn tags(&self) -> Result<String>;
}

fn main() {}
