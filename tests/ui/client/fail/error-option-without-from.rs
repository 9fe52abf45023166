// The same through `error = ...`: every `Result<T>` method has that error.
#[derive(Debug)]
struct MyError;

#[freshtoken::client(error = MyError)]
trait Tasks {
    #[get("/tasks", auth = none)]
    async fn tasks(&self) -> Result<String>;
}

fn main() {}
