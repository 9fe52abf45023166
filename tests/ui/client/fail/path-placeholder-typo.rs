// A placeholder that names no parameter (a typo of `id`): both ends of the mismatch are shown.
#[freshtoken::client]
trait Tasks {
    #[get("/tasks/{task_id}")]
    async fn task(&self, id: u64) -> Result<String>;
}

fn main() {}
