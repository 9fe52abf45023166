//! Compile-time behaviour of `#[refresh_token]` and `#[freshtoken::client]`: every accepted
//! form compiles and runs (`ui/pass`, `ui/client/pass`), every misuse fails with the message
//! in its `.stderr` (`ui/fail`, `ui/client/fail`).
//!
//! The `.stderr` files are pinned to the workspace's toolchain; after a compiler upgrade,
//! regenerate them with `TRYBUILD=overwrite cargo test -p freshtoken-tests --test ui` and
//! review the diff.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui/pass/*.rs");
    cases.compile_fail("ui/fail/*.rs");
    cases.pass("ui/client/pass/*.rs");
    cases.compile_fail("ui/client/fail/*.rs");
}
