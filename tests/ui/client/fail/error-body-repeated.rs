// Each `error_body` option once, on the trait and on a method.
#[derive(Debug, serde::Deserialize)]
pub struct Fault {
    pub code: String,
}

#[freshtoken::client(error_body = Fault, error_body = freshtoken::client::Problem)]
trait Tasks {
    #[get("/tasks", error_body = Fault, error_body = Fault)]
    async fn tasks(&self) -> Result<String>;
}

fn main() {}
