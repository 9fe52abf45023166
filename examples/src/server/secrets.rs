// Input: secrets to compare.
// Output: comparisons that take the same time however much of a guess is right.

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
}
