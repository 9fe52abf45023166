// `idempotent` vouches for one POST or PATCH, so it goes on that method, not on the trait.
#[freshtoken::client(retry(idempotent))]
trait Orders {
    #[post("/orders")]
    async fn create(&self) -> Result<String>;
}

fn main() {}
