// A generated client has `with(CallOptions)`, which gives a clone with per-call options: a
// method of the same name would be shadowed by it.
#[freshtoken::client]
pub trait Pages {
    #[get("/with")]
    async fn with(&self) -> Result<String>;
}

fn main() {}
