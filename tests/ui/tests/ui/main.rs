//! Compile-time behaviour of `#[refresh_token]` and `#[freshtoken::client]`: every misuse
//! fails with the message in its `.stderr` (`fail/`, `client/fail/`). One trybuild run for all
//! cases, so their common dependencies are checked once; the accepted forms (`pass/`,
//! `client/pass/`) compile and run as ordinary tests in the `pass` module, in this binary too
//! (one test binary fewer to link, and they run while trybuild checks).
//!
//! The `.stderr` files are pinned to the workspace's toolchain; after a compiler upgrade,
//! regenerate them with `TRYBUILD=overwrite cargo test -p freshtoken-ui-tests` and review the
//! diff.

mod pass;

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("fail/*.rs");
    cases.compile_fail("client/fail/*.rs");
}
