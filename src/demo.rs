//! The embedded demo dataset. (stub; the core-library issue fills it in)

use crate::model::ServicePoint;

/// The demo service points (all flagged `demo: true`).
pub fn demo_points() -> Vec<ServicePoint> {
    Vec::new()
}
