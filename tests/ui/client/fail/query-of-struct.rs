// A struct as `#[query]` cannot be one query value: the error is at the parameter and names
// `#[query(flatten)]`, which sends its fields.
#[derive(serde::Serialize)]
pub struct Search {
    pub text: String,
}

#[freshtoken::client]
pub trait Tasks {
    #[get("/tasks")]
    async fn search(&self, #[query] search: &Search) -> Result<String>;
}

fn main() {}
