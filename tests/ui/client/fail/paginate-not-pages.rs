// A paginated method gives the items of every page as a stream, so it returns `Pages<T>`.
use freshtoken::client::Pages;

#[freshtoken::client]
trait Tasks {
    #[get("/tasks", paginate = link)]
    async fn all(&self) -> Result<Vec<u64>>;

    #[get("/tasks", paginate = cursor(field = "/next", param = "cursor"))]
    async fn first(&self) -> Result<u64>;

    #[get("/tasks", paginate = page)]
    async fn fine(&self) -> Result<Pages<u64>>;
}

// And `Pages<T>` needs `paginate`: without it, nothing says where the next page is.
#[freshtoken::client]
trait Unpaged {
    #[get("/tasks")]
    async fn all(&self) -> Result<Pages<u64>>;
}

fn main() {}
