// Each `unauthorized` option once, on the trait and on a method.
#[freshtoken::client(unauthorized = [401], unauthorized = [422])]
trait Tasks {
    #[get("/tasks", unauthorized = [401], unauthorized = [422])]
    async fn tasks(&self) -> Result<String>;
}

fn main() {}
