// Input: secrets to compare, and the operating system's CSPRNG.
// Output: comparisons that take the same time however much of a guess is right, and new
// random values for codes the server hands out.

use std::io;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Whether `given` equals `expected`, compared without an early exit so the time taken does
/// not tell how much of a guess was right (only whether the lengths differ).
pub(crate) fn same_secret(expected: &str, given: &str) -> bool {
    expected.len() == given.len()
        && expected
            .bytes()
            .zip(given.bytes())
            .fold(0, |differ, (a, b)| differ | (a ^ b))
            == 0
}

/// 256 random bits, base64url without padding (43 characters): authorization codes and
/// device codes.
pub(crate) fn random_code() -> io::Result<String> {
    let mut bytes = [0_u8; 32];
    getrandom::fill(&mut bytes).map_err(io::Error::other)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("wonderland", "wonderland"));
        assert!(!same_secret("wonderland", "wonderlanD"));
        assert!(!same_secret("wonderland", "wonder"));
        assert!(!same_secret("", "x"));
    }

    #[test]
    fn codes_are_long_and_differ() {
        let (a, b) = (random_code().unwrap(), random_code().unwrap());
        assert_eq!(a.len(), 43);
        assert_ne!(a, b);
    }
}
