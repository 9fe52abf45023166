// The trait's attribute takes `error` and `name` only.
#[freshtoken::client(base_url = "https://api.example")]
trait Tasks {
    #[get("/tasks")]
    async fn tasks(&self) -> Result<String>;
}

fn main() {}
