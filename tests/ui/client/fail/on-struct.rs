// The attribute goes on a trait.
#[freshtoken::client]
struct Tasks {
    base_url: String,
}

fn main() {}
