// `retry` takes `transient`, `none` or a list of known settings with sane values.
#[freshtoken::client]
trait Tasks {
    #[get("/a", retry = always)]
    async fn unknown_kind(&self) -> Result<String>;

    #[get("/b", retry(attempts = 1))]
    async fn one_attempt(&self) -> Result<String>;

    #[get("/c", retry(attempts = 50))]
    async fn too_many(&self) -> Result<String>;

    #[get("/d", retry(backoff = "0ms"))]
    async fn no_backoff(&self) -> Result<String>;

    #[get("/e", retry(max_delay = "10 s"))]
    async fn spaced(&self) -> Result<String>;

    #[get("/f", retry(jitter = true))]
    async fn unknown_setting(&self) -> Result<String>;

    #[get("/g", retry(backoff = "5s", max_delay = "1s"))]
    async fn backoff_over_cap(&self) -> Result<String>;

    #[get("/h", retry)]
    async fn bare(&self) -> Result<String>;

    #[get("/i", retry(attempts = 3, attempts = 4))]
    async fn twice(&self) -> Result<String>;
}

fn main() {}
