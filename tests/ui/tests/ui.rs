//! Compile-time behaviour of `#[refresh_token]` and `#[freshtoken::client]`: every accepted
//! form compiles and runs (`pass/`, `client/pass/`), every misuse fails with the message in
//! its `.stderr` (`fail/`, `client/fail/`). One trybuild run for all cases, so their common
//! dependencies are built once.
//!
//! The `.stderr` files are pinned to the workspace's toolchain; after a compiler upgrade,
//! regenerate them with `TRYBUILD=overwrite cargo test -p freshtoken-ui-tests` and review the
//! diff.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("pass/*.rs");
    cases.compile_fail("fail/*.rs");
    cases.pass("client/pass/*.rs");
    cases.compile_fail("client/fail/*.rs");
}
