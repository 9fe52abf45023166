use freshtoken::refresh_token;

#[refresh_token(cache = self.auth)]
struct Client {
    auth: u32,
}

fn main() {}
