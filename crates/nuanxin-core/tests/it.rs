//! The core crate's integration tests, in ONE test binary (`cargo test -p nuanxin-core --test
//! it`; one module's tests: `cargo test -p nuanxin-core --test it -- spatial::`).
//!
//! Every file of `tests/` is a module of this binary rather than a binary of its own: each
//! integration-test binary links the core and its dependencies, which in CI costs more build
//! time than running their tests does. `autotests = false` in Cargo.toml, so a new file under
//! `tests/` must be declared here; [`every_test_file_is_a_module`] fails when one is not, so no
//! test file is silently left out.

// Test code: helpers outside #[test] functions fail the test on a failed step too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "support/layout.rs"]
mod test_layout;
#[path = "support/xlsx.rs"]
mod xlsx_support;

mod demand_coverage;
mod import_limits;
mod import_stream;
mod import_stream_tables;
mod restart_index;
mod roads;
mod spatial;
mod valhalla_oracle;

/// Every `tests/NAME.rs` and `tests/NAME/main.rs` is declared above as `mod NAME;`, so the
/// single binary runs it (a file cargo no longer builds on its own would otherwise never run).
#[test]
fn every_test_file_is_a_module() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let missing = test_layout::undeclared_test_modules(&dir, include_str!("it.rs"));
    assert!(
        missing.is_empty(),
        "tests/ files not declared in tests/it.rs: {missing:?}"
    );
}
