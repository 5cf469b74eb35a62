//! Travel modes and their speeds, for turning metres into minutes.

use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// How a user moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TravelMode {
    /// On foot: 5 km/h (a common planning figure for urban walking, e.g. the "15-minute city"
    /// literature; configurable).
    #[default]
    Walk,
    /// Electric bicycle: 15 km/h (a typical urban riding speed, below the 25 km/h legal limit of
    /// GB 17761-2018; configurable).
    Ebike,
}

/// Default walking speed, metres per second (5 km/h).
pub const WALK_SPEED_M_PER_S: f64 = 5000.0 / 3600.0;
/// Default e-bike speed, metres per second (15 km/h).
pub const EBIKE_SPEED_M_PER_S: f64 = 15000.0 / 3600.0;

impl TravelMode {
    /// Every mode.
    pub const ALL: &'static [TravelMode] = &[TravelMode::Walk, TravelMode::Ebike];

    /// The code used in APIs.
    pub fn as_str(self) -> &'static str {
        match self {
            TravelMode::Walk => "walk",
            TravelMode::Ebike => "ebike",
        }
    }

    /// The default speed, metres per second.
    pub fn default_speed_m_per_s(self) -> f64 {
        match self {
            TravelMode::Walk => WALK_SPEED_M_PER_S,
            TravelMode::Ebike => EBIKE_SPEED_M_PER_S,
        }
    }
}

/// Speeds in use (configurable), metres per second.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Speeds {
    /// Walking speed, m/s.
    pub walk_m_per_s: f64,
    /// E-bike speed, m/s.
    pub ebike_m_per_s: f64,
}

impl Default for Speeds {
    fn default() -> Self {
        Self {
            walk_m_per_s: WALK_SPEED_M_PER_S,
            ebike_m_per_s: EBIKE_SPEED_M_PER_S,
        }
    }
}

impl Speeds {
    /// Speed of `mode`, m/s.
    pub fn of(&self, mode: TravelMode) -> f64 {
        match mode {
            TravelMode::Walk => self.walk_m_per_s,
            TravelMode::Ebike => self.ebike_m_per_s,
        }
    }
    /// Minutes to cover `distance_m` metres in `mode` (straight line).
    pub fn minutes(&self, mode: TravelMode, distance_m: f64) -> f64 {
        distance_m / self.of(mode) / 60.0
    }
    /// Metres covered in `minutes` by `mode`: the radius of a service circle.
    pub fn radius_m(&self, mode: TravelMode, minutes: f64) -> f64 {
        self.of(mode) * minutes * 60.0
    }
}

/// An unknown mode name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown mode `{0}`; valid: walk, ebike")]
pub struct UnknownMode(pub String);

impl crate::error::Classify for UnknownMode {
    /// Invalid input naming `mode`, with the modes accepted.
    fn class(&self) -> crate::error::ErrorClass {
        crate::error::ErrorClass::invalid_choice("mode", &["walk", "ebike"])
    }
}

impl FromStr for TravelMode {
    type Err = UnknownMode;
    fn from_str(s: &str) -> Result<Self, UnknownMode> {
        match s.trim().to_ascii_lowercase().as_str() {
            "walk" | "foot" | "walking" => Ok(TravelMode::Walk),
            "ebike" | "e-bike" | "bike" => Ok(TravelMode::Ebike),
            _ => Err(UnknownMode(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_minutes_by_ebike_is_1250_m() {
        // 15 km/h × 5 min = 15000 m / 60 min × 5 min = 1250 m
        assert!((Speeds::default().radius_m(TravelMode::Ebike, 5.0) - 1250.0).abs() < 1e-9);
        // 5 km/h: 1000 m takes 12 minutes
        assert!((Speeds::default().minutes(TravelMode::Walk, 1000.0) - 12.0).abs() < 1e-9);
    }
}
