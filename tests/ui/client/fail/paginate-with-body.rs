// Each page is asked for again with the same request, which has no body.
use freshtoken::client::Pages;

#[freshtoken::client]
trait Search {
    #[post("/search", paginate = link)]
    async fn search(&self, #[json] query: &serde_json::Value) -> Result<Pages<u64>>;
}

fn main() {}
