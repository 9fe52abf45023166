// An `unauthorized` function is a `fn(&freshtoken::client::Error) -> bool`.
use freshtoken::client::Error;

fn by_value(error: Error) -> bool {
    error.is_unauthorized()
}

fn by_status(status: u16) -> bool {
    status == 422
}

#[freshtoken::client(unauthorized = by_value)]
trait Tasks {
    #[get("/tasks")]
    async fn tasks(&self) -> Result<String>;

    #[get("/other", unauthorized = by_status)]
    async fn other(&self) -> Result<String>;

    #[get("/missing", unauthorized = no_such_function)]
    async fn missing(&self) -> Result<String>;
}

fn main() {}
