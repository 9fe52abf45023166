// A POST or PATCH may not be safe to send twice: `retry` on one says it is, with `idempotent`.
#[freshtoken::client]
trait Orders {
    #[post("/orders", retry = transient)]
    async fn create(&self) -> Result<String>;

    #[patch("/orders/{id}", retry(attempts = 3))]
    async fn rename(&self, id: u64) -> Result<String>;

    #[post("/orders/{id}/cancel", retry(idempotent))]
    async fn cancel(&self, id: u64) -> Result<String>;
}

fn main() {}
