// A timeout is a whole number and a unit, and not zero.
#[freshtoken::client]
trait Tasks {
    #[get("/a", timeout = "2 seconds")]
    async fn spelled_out(&self) -> Result<String>;

    #[get("/b", timeout = "0s")]
    async fn zero(&self) -> Result<String>;

    #[get("/c", timeout = "5")]
    async fn no_unit(&self) -> Result<String>;
}

fn main() {}
