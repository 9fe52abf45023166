// A type `error_body` names must deserialize: the error points at the type, on the trait
// and on a method.
#[derive(Debug)]
pub struct Fault {
    pub code: String,
}

#[derive(Debug)]
pub struct Rejection {
    pub reason: String,
}

#[freshtoken::client(error_body = Fault)]
pub trait Tasks {
    #[get("/tasks")]
    async fn list(&self) -> Result<String>;
}

#[freshtoken::client]
pub trait Orders {
    #[post("/orders", error_body = Rejection)]
    async fn create(&self) -> Result<()>;
}

fn main() {}
