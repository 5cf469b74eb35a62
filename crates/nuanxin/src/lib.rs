//! Nuanxin Map (暖新地图): the HTTP server and command-line tool.
//!
//! The domain lives in [`nuanxin_core`] (model, geodesy, CRS, index, districts, import,
//! coverage, suggestions store), which has no HTTP dependencies. This crate adds
//! [`server`], the axum HTTP layer over it. The core's modules are re-exported here so
//! `nuanxin::model`, `nuanxin::index`, … keep working for the server and its tests.

pub use nuanxin_core::*;

#[allow(unsafe_code)] // the one audited module with `unsafe` (malloc_trim); see its docs
pub mod memory;
pub mod server;
