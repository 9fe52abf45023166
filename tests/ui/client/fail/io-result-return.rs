// `std::io::Result<T>` is an alias with its own error, `std::io::Error`: it is used as
// written, not replaced with the client's error, and `std::io::Error` has no
// `From<freshtoken::client::Error>`.
#[freshtoken::client]
pub trait Files {
    #[get("/files/{name}")]
    async fn read(&self, name: &str) -> std::io::Result<String>;
}

fn main() {}
