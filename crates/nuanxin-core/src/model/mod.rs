//! The domain model: service points and the vocabularies they use.
//!
//! Names follow `docs/GLOSSARY.md` (kinds, amenities, access methods). Every enum
//! serialises as its `snake_case` code name, parses from it with [`std::str::FromStr`],
//! and has a Simplified Chinese label for the user interface.

mod coord;
mod hours;
mod record;
mod service_point;
mod time;
mod vocab;

pub use coord::{Bbox, BboxError, CoordError, LonLat};
pub use hours::{OpeningHours, OpeningHoursError};
pub use record::{RecordError, RECORD_VERSION};
pub use service_point::{ServicePoint, ServicePointError};
pub use time::{china_local_now, china_offset, parse_instant, parse_local_time};
pub(crate) use vocab::vocabulary;
pub use vocab::{AccessMethod, Amenity, AmenitySet, ServiceKind, UnknownCode};
