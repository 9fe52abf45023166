//! Compile-time behaviour of `#[refresh_token]`: every accepted form compiles and runs
//! (`ui/pass`), every misuse fails with the message in its `.stderr` (`ui/fail`).
//!
//! The `.stderr` files are pinned to the workspace's toolchain; after a compiler upgrade,
//! regenerate them with `TRYBUILD=overwrite cargo test -p freshtoken-tests --test ui` and
//! review the diff.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("ui/pass/*.rs");
    cases.compile_fail("ui/fail/*.rs");
}
