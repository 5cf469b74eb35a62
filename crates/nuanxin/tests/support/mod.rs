//! Helpers shared by the integration tests (each test file does `mod support;`):
//! - [`http`]: calls to the in-process router (`tower::ServiceExt::oneshot`) and the answer;
//! - [`bin`]: the real binary: the CLI, and `nuanxin serve` started on a free loopback port
//!   with a minimal HTTP/1.1 client;
//! - [`mvt`]: vector tiles decoded by GDAL (an independent decoder), slippy-map formulas;
//! - [`fixture`]: files under `tests/fixtures/`.
//!
//! Each test binary uses some of them only, hence `dead_code` is allowed here.
#![allow(dead_code)]

pub mod bin;
pub mod http;
pub mod mvt;

use std::path::PathBuf;

/// A file under the repository's `tests/fixtures/`.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(name)
}
