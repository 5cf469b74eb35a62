//! The server crate's integration tests, in ONE test binary (`cargo test -p nuanxin --test it`;
//! one module's tests: `cargo test -p nuanxin --test it -- cli::`).
//!
//! Every file of `tests/` is a module of this binary rather than a binary of its own: each
//! integration-test binary links the whole server and its dependencies, and 15 of them cost
//! more build time in CI than running their tests does. `autotests = false` in Cargo.toml, so
//! a new file under `tests/` must be declared here; [`every_test_file_is_a_module`] fails when
//! one is not, so no test file is silently left out.

// Test code: helpers outside #[test] functions fail the test on a failed step too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;
#[path = "../../nuanxin-core/tests/support/layout.rs"]
mod test_layout;
#[path = "../../nuanxin-core/tests/support/xlsx.rs"]
mod xlsx_support;

#[path = "api/main.rs"]
mod api;
mod cli;
mod cli_output;
mod cluster;
mod coverage;
mod db_copy;
mod demo_data;
mod gdal;
mod import;
mod openapi_conformance;
mod readme;
mod roads_api;
mod roads_cli;
#[path = "suggestions/main.rs"]
mod suggestions;
mod throttle;
mod whatif;

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
