//! Nuanxin Map (暖新地图): a geospatial service for China's gig workers.
//!
//! The library is usable without the HTTP server:
//! - [`model`]: service points and their vocabularies;
//! - [`geodesy`]: distances on the WGS-84 ellipsoid and the unit-vector embedding the index uses;
//! - [`crs`]: WGS-84 / GCJ-02 / BD-09 conversions, and the OGC CRSs (CRS84, EPSG:4326/4490/3857);
//! - [`cql2`]: CQL2 filters (text and JSON) and `sortby` over GeoJSON features;
//! - [`index`]: the R*-tree answering nearest-neighbour, radius, bbox and id queries;
//! - [`error`]: the one classification of errors ([`error::Classify`]) the edges map to HTTP
//!   statuses and CLI messages;
//! - [`districts`]: shipped district boundaries and point-in-polygon adcode lookup;
//! - [`geojson_out`]: RFC 7946 output hygiene (winding, precision, validity);
//! - [`import`]: GeoJSON, CSV and XLSX importers with row-level errors;
//! - [`demo`]: the embedded demo dataset;
//! - [`travel`]: travel modes and their speeds;
//! - [`coverage`]: service circles, H3 coverage and maximal-covering proposals;
//! - [`routing`]: OpenStreetMap road graphs, travel times along roads, network service areas;
//! - [`suggestions`]: suggestions (人民建议), their storage and lifecycle;
//! - [`nav`]: Amap and Baidu navigation links (web URIs and app schemes);
//! - [`vector_tiles`]: tile arithmetic and low-zoom thinning of our vector tiles;
//! - [`search`]: place search (service points, metro, districts, POIs; pinyin initials; pasted
//!   coordinates and share links);
//!
//! The HTTP server and CLI live in the `nuanxin` crate, which depends on this one.

// No unsafe code in the core, and no `allow` can bring it back (the workspace denies it).
#![forbid(unsafe_code)]

pub mod coverage;
pub mod cql2;
pub mod crs;
pub mod demo;
pub mod districts;
pub mod error;
pub mod geodesy;
pub mod geojson_out;
pub mod import;
pub mod index;
pub mod model;
pub mod nav;
pub mod routing;
pub mod search;
pub mod street_names;
pub mod suggestions;
pub mod travel;
pub mod vector_tiles;
