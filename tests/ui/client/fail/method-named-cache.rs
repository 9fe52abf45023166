// A generated client has `cache()`, the way back to its token cache: a method of the same
// name would be shadowed by it.
#[freshtoken::client]
pub trait Pages {
    #[get("/cache")]
    async fn cache(&self) -> Result<String>;
}

fn main() {}
