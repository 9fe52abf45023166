// `unauthorized` takes a non-empty list of error statuses, each once, or a function's path;
// and only where a token is sent.
#[freshtoken::client(unauthorized = [])]
trait Tasks {
    #[get("/a", unauthorized = [200])]
    async fn success(&self) -> Result<String>;

    #[get("/b", unauthorized = [401, 70000])]
    async fn too_large(&self) -> Result<String>;

    #[get("/c", unauthorized = [401, "422"])]
    async fn quoted(&self) -> Result<String>;

    #[get("/d", unauthorized = [4.22])]
    async fn float(&self) -> Result<String>;

    #[get("/e", unauthorized = [401, 422, 401])]
    async fn twice(&self) -> Result<String>;

    #[get("/f", unauthorized = 401)]
    async fn bare(&self) -> Result<String>;

    #[get("/g", auth = none, unauthorized = [401, 422])]
    async fn public(&self) -> Result<String>;
}

fn main() {}
