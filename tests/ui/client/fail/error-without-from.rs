// A method's own error type must take the client's errors.
#[derive(Debug)]
enum MyError {
    NotFound,
}

#[freshtoken::client]
trait Tasks {
    #[get("/tasks")]
    async fn tasks(&self) -> Result<String, MyError>;
}

fn main() {
    let _ = MyError::NotFound;
}
