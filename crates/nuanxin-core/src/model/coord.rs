use serde::{Deserialize, Serialize};

/// A position `[lon, lat]` in degrees on WGS-84 (EPSG:4326), the order RFC 7946 §3.1.1 uses.
///
/// Construct with [`LonLat::new`], which rejects NaN, infinities and out-of-range values;
/// it never wraps or clamps (a longitude of 472.98 is an error here; callers that accept map
/// clicks normalise explicitly with [`LonLat::normalized`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(into = "[f64; 2]", try_from = "[f64; 2]")]
pub struct LonLat {
    /// Longitude in degrees, east positive, in `[-180, 180]`.
    pub lon: f64,
    /// Latitude in degrees, north positive, in `[-90, 90]`.
    pub lat: f64,
}

/// Why a coordinate pair was rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CoordError {
    /// Longitude or latitude is NaN or infinite.
    #[error("{field} is not a finite number")]
    NotFinite {
        /// `"lon"` or `"lat"`.
        field: &'static str,
    },
    /// Longitude outside `[-180, 180]` degrees.
    #[error("lon = {} is outside [-180, 180] degrees", crate::error::shown_number(*.0))]
    LonOutOfRange(f64),
    /// Latitude outside `[-90, 90]` degrees.
    #[error("lat = {} is outside [-90, 90] degrees", crate::error::shown_number(*.0))]
    LatOutOfRange(f64),
    /// Latitude outside `[-90, 90]` but the pair reads as a position with the two swapped
    /// (`lon` within ±90°, `lat` within ±180°): the commonest mistake with Chinese sources,
    /// which often write 纬度 (lat) before 经度 (lon).
    #[error(
        "lat = {lat} is outside [-90, 90] degrees; longitude and latitude look swapped \
         (did you mean lon = {lat}, lat = {lon}?)"
    )]
    LatLonSwapped {
        /// The longitude given.
        lon: f64,
        /// The latitude given.
        lat: f64,
    },
    /// Longitude given to [`LonLat::normalized`] beyond one wrap each way (`|lon| > 540`).
    #[error(
        "lon = {0} is outside [-540, 540] degrees (one wrap across the antimeridian each way \
         is accepted and normalised; larger values are not map positions)"
    )]
    LonBeyondOneWrap(f64),
}

impl crate::error::Classify for CoordError {
    fn class(&self) -> crate::error::ErrorClass {
        crate::error::ErrorClass::invalid(match self {
            CoordError::NotFinite { field } => *field,
            CoordError::LonOutOfRange(_) | CoordError::LonBeyondOneWrap(_) => "lon",
            CoordError::LatOutOfRange(_) | CoordError::LatLonSwapped { .. } => "lat",
        })
    }
}

/// Largest `|lon|` in degrees [`LonLat::normalized`] accepts: 180 + one full turn of 360.
pub const MAX_WRAPPED_LON_DEG: f64 = 540.0;

impl LonLat {
    /// Checked constructor.
    ///
    /// # Errors
    /// [`CoordError`] when either value is not finite or out of range.
    pub fn new(lon: f64, lat: f64) -> Result<Self, CoordError> {
        if !lon.is_finite() {
            return Err(CoordError::NotFinite { field: "lon" });
        }
        if !lat.is_finite() {
            return Err(CoordError::NotFinite { field: "lat" });
        }
        if !(-180.0..=180.0).contains(&lon) {
            return Err(CoordError::LonOutOfRange(lon));
        }
        if !(-90.0..=90.0).contains(&lat) {
            if (-90.0..=90.0).contains(&lon) {
                return Err(CoordError::LatLonSwapped { lon, lat });
            }
            return Err(CoordError::LatOutOfRange(lat));
        }
        Ok(Self { lon, lat })
    }

    /// Like [`LonLat::new`] but first wraps the longitude into `[-180, 180)`, as a web map
    /// produces after panning across the antimeridian (472.98 → 112.98).
    ///
    /// Only one wrap each way is accepted: `lon` must lie in `[-540, 540]`, which covers a
    /// map panned once across the antimeridian in either direction (MapLibre's
    /// `LngLat.wrap()` is what clients should call for more). Larger values (`1e20`) are
    /// typing or unit mistakes, not map positions, and are rejected rather than silently
    /// folded onto some unrelated meridian.
    ///
    /// # Errors
    /// [`CoordError`] when a value is not finite, `|lon| > 540`
    /// ([`CoordError::LonBeyondOneWrap`]) or the latitude is out of range.
    pub fn normalized(lon: f64, lat: f64) -> Result<Self, CoordError> {
        if !lon.is_finite() {
            return Err(CoordError::NotFinite { field: "lon" });
        }
        if lon.abs() > MAX_WRAPPED_LON_DEG {
            return Err(CoordError::LonBeyondOneWrap(lon));
        }
        let wrapped = (lon + 180.0).rem_euclid(360.0) - 180.0;
        Self::new(wrapped, lat)
    }

    /// As a `geo` point (x = lon, y = lat).
    pub fn to_point(self) -> geo::Point<f64> {
        geo::Point::new(self.lon, self.lat)
    }
}

impl From<LonLat> for [f64; 2] {
    fn from(p: LonLat) -> Self {
        [p.lon, p.lat]
    }
}

impl TryFrom<[f64; 2]> for LonLat {
    type Error = CoordError;
    fn try_from(v: [f64; 2]) -> Result<Self, CoordError> {
        LonLat::new(v[0], v[1])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bbox_with_heights_parses_to_the_same_box() {
        let flat = Bbox::parse("112.9,28.1,113.0,28.3").unwrap();
        assert_eq!(Bbox::parse("112.9,28.1,-50,113.0,28.3,800").unwrap(), flat);
        assert!(Bbox::parse("112.9,28.1,-50,113.0,28.3").is_err());
        assert!(Bbox::parse("112.9,28.1,NaN,113.0,28.3,1").is_err());
    }

    #[test]
    fn expanded_bbox_wraps_the_antimeridian() {
        let b = Bbox::new(179.9, -17.0, 180.0, -16.0).unwrap();
        let e = b.expanded_by_m(10_000.0);
        assert!(e.west < 179.9 && e.east < 0.0, "{e:?}");
        assert!(e.contains(LonLat::new(-179.95, -16.5).unwrap()));
    }

    #[test]
    fn expanded_bbox_grows_by_at_least_the_radius() {
        // 1 km at the equator: 1000 / 110 574 = 0.009044° of latitude (hand computed);
        // longitude at latitude 1° grows by that / cos 1° = 0.009045°.
        let b = Bbox::new(10.0, 0.0, 11.0, 1.0).unwrap();
        let e = b.expanded_by_m(1000.0);
        assert!((e.south - (-0.009044)).abs() < 1e-6, "{e:?}");
        assert!((e.north - 1.009044).abs() < 1e-6, "{e:?}");
        assert!((e.west - (10.0 - 0.009045)).abs() < 2e-6, "{e:?}");
    }

    #[test]
    fn rejects_out_of_range_and_nan() {
        assert!(LonLat::new(112.98, 28.19).is_ok());
        assert_eq!(
            LonLat::new(472.98, 28.0),
            Err(CoordError::LonOutOfRange(472.98))
        );
        assert_eq!(
            LonLat::new(120.0, 95.0),
            Err(CoordError::LatOutOfRange(95.0))
        );
        // Regression: `nearest?lon=28.19&lat=112.98` only said the latitude was out of range.
        let e = LonLat::new(28.19, 112.98).unwrap_err();
        assert_eq!(
            e,
            CoordError::LatLonSwapped {
                lon: 28.19,
                lat: 112.98
            }
        );
        assert!(
            e.to_string()
                .contains("did you mean lon = 112.98, lat = 28.19"),
            "{e}"
        );
        assert!(matches!(
            LonLat::new(f64::NAN, 0.0),
            Err(CoordError::NotFinite { field: "lon" })
        ));
    }

    #[test]
    fn normalizes_longitude_after_panning() {
        // 472.98 - 360 = 112.98 (hand calculation)
        let p = LonLat::normalized(472.98, 28.19).unwrap();
        assert!((p.lon - 112.98).abs() < 1e-9);
        let q = LonLat::normalized(-190.0, 0.0).unwrap();
        assert!((q.lon - 170.0).abs() < 1e-9);
        // The bounds themselves: 540 - 360 = 180 ≡ -180; -540 + 360 = -180.
        assert!((LonLat::normalized(540.0, 0.0).unwrap().lon.abs() - 180.0).abs() < 1e-9);
        assert!((LonLat::normalized(-540.0, 0.0).unwrap().lon + 180.0).abs() < 1e-9);
    }

    #[test]
    fn normalized_rejects_more_than_one_wrap() {
        for lon in [1e20, -1e20, 540.000_001, -541.0, 900.0] {
            let err = LonLat::normalized(lon, 28.0).unwrap_err();
            assert_eq!(err, CoordError::LonBeyondOneWrap(lon));
            assert!(err.to_string().starts_with("lon = "), "{err}");
        }
    }
}

/// A bounding box in WGS-84 degrees, `[west, south, east, north]` as in RFC 7946 §5.
/// `west > east` means the box crosses the antimeridian (RFC 7946 §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bbox {
    /// Western longitude, degrees.
    pub west: f64,
    /// Southern latitude, degrees.
    pub south: f64,
    /// Eastern longitude, degrees.
    pub east: f64,
    /// Northern latitude, degrees.
    pub north: f64,
}

/// Why a bbox was rejected.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BboxError {
    /// Not four (or six) comma-separated numbers.
    #[error("bbox must be four comma-separated numbers west,south,east,north (or six with heights: west,south,min_height,east,north,max_height); got `{0}`")]
    Syntax(String),
    /// A corner is out of range or not finite.
    #[error("bbox corner invalid: {0}")]
    Corner(#[from] CoordError),
    /// south > north.
    #[error("bbox is inverted: south {south} > north {north}")]
    Inverted {
        /// Southern latitude given.
        south: f64,
        /// Northern latitude given.
        north: f64,
    },
}

impl crate::error::Classify for BboxError {
    fn class(&self) -> crate::error::ErrorClass {
        crate::error::ErrorClass::invalid("bbox")
    }
}

impl Bbox {
    /// This box grown by at least `radius_m` metres on every side: everything within
    /// `radius_m` of a point in the box lies in the result. Latitudes are clamped to ±90;
    /// the box becomes the full longitude range when it would wrap the globe or reach within
    /// 1° of a pole; longitudes wrap across ±180 (west > east then).
    pub fn expanded_by_m(&self, radius_m: f64) -> Bbox {
        let b = self;
        // Degrees of latitude per metre ≥ 1 / 110 574 m (WGS-84 meridian degree at the equator);
        // longitude degrees grow by 1 / cos φ at the box's most poleward latitude.
        let dlat = radius_m / 110_574.0;
        let south = (b.south - dlat).max(-90.0);
        let north = (b.north + dlat).min(90.0);
        let worst = south.abs().max(north.abs());
        if worst >= 89.0 {
            return Bbox {
                west: -180.0,
                south,
                east: 180.0,
                north,
            };
        }
        let dlon = dlat / worst.to_radians().cos();
        let span = if b.west <= b.east {
            b.east - b.west
        } else {
            b.east + 360.0 - b.west
        };
        if span + 2.0 * dlon >= 360.0 {
            return Bbox {
                west: -180.0,
                south,
                east: 180.0,
                north,
            };
        }
        let wrap = |x: f64| (x + 180.0).rem_euclid(360.0) - 180.0;
        Bbox {
            west: wrap(b.west - dlon),
            south,
            east: wrap(b.east + dlon),
            north,
        }
    }

    /// Checked constructor. `west > east` is allowed (antimeridian crossing), `south > north` is not.
    ///
    /// # Errors
    /// [`BboxError`] for out-of-range corners or an inverted latitude span.
    pub fn new(west: f64, south: f64, east: f64, north: f64) -> Result<Self, BboxError> {
        LonLat::new(west, south)?;
        LonLat::new(east, north)?;
        if south > north {
            return Err(BboxError::Inverted { south, north });
        }
        Ok(Self {
            west,
            south,
            east,
            north,
        })
    }

    /// Parses `"west,south,east,north"` (the OGC API – Features `bbox` parameter), or the
    /// six-number form with heights `"west,south,min_height,east,north,max_height"` (OGC API
    /// – Features Part 1 §7.15.3), whose heights are checked to be numbers and then ignored:
    /// every position here is on the ground.
    ///
    /// # Errors
    /// [`BboxError`].
    pub fn parse(s: &str) -> Result<Self, BboxError> {
        let v: Vec<f64> = s
            .split(',')
            .map(|t| t.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| BboxError::Syntax(s.to_string()))?;
        match v.as_slice() {
            [w, s_, e, n] => Self::new(*w, *s_, *e, *n),
            [w, s_, z0, e, n, z1] if z0.is_finite() && z1.is_finite() => Self::new(*w, *s_, *e, *n),
            _ => Err(BboxError::Syntax(s.to_string())),
        }
    }

    /// Whether the box contains `p` (edges inclusive).
    pub fn contains(&self, p: LonLat) -> bool {
        let lat_ok = p.lat >= self.south && p.lat <= self.north;
        let lon_ok = if self.west <= self.east {
            p.lon >= self.west && p.lon <= self.east
        } else {
            p.lon >= self.west || p.lon <= self.east
        };
        lat_ok && lon_ok
    }
}
