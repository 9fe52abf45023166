// `#[form]` takes nothing but `brackets`, and `#[query]` takes `brackets` after `flatten`.
#[derive(serde::Serialize)]
pub struct Order {
    pub id: u64,
}

#[freshtoken::client]
trait Orders {
    #[post("/orders")]
    async fn create(&self, #[form(nested)] order: &Order) -> Result<()>;

    #[get("/orders")]
    async fn list(&self, #[query(brackets)] order: &Order) -> Result<()>;
}

fn main() {}
