// `#[body]` sends bytes or text as they are; a struct is `#[json]` or `#[form]`.
struct NewTask {
    title: String,
}

#[freshtoken::client]
trait Tasks {
    #[post("/tasks")]
    async fn create(&self, #[body] task: &NewTask) -> Result<()>;
}

fn main() {
    let _ = NewTask { title: String::new() }.title;
}
