// `{id}` in the path, and no parameter to fill it.
#[freshtoken::client]
trait Tasks {
    #[delete("/tasks/{id}")]
    async fn delete_task(&self) -> Result<()>;
}

fn main() {}
