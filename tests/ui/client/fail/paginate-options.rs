// Each style takes its own options; a JSON Pointer starts with `/`.
use freshtoken::client::Pages;

#[freshtoken::client]
trait Tasks {
    #[get("/a", paginate = next)]
    async fn a(&self) -> Result<Pages<u64>>;

    #[get("/b", paginate = cursor(param = "cursor"))]
    async fn b(&self) -> Result<Pages<u64>>;

    #[get("/c", paginate = link(param = "page"))]
    async fn c(&self) -> Result<Pages<u64>>;

    #[get("/d", paginate = page(items = "data"))]
    async fn d(&self) -> Result<Pages<u64>>;

    #[get("/e", paginate = offset(max_pages = 0))]
    async fn e(&self) -> Result<Pages<u64>>;

    #[get("/f", paginate = link, paginate = page)]
    async fn f(&self) -> Result<Pages<u64>>;
}

fn main() {}
