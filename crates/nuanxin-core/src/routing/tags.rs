//! Which OpenStreetMap ways each travel mode may use, and in which direction: one table of
//! tags, written as data.
//!
//! Sources (OpenStreetMap wiki, consulted 2026):
//! - *OSM tags for routing/Access restrictions*, section "China": the default access of each
//!   `highway` class for pedestrians and bicycles (an electric bicycle, 电动自行车, is a
//!   non-motor vehicle in China under GB 17761-2018, at most 25 km/h, so it follows the
//!   bicycle column; expressways (`motorway`) are closed to it and to pedestrians);
//! - *Key:access*: the hierarchy `access` → `vehicle` → `bicycle` (more specific keys
//!   override less specific ones) and the meaning of the values;
//! - *Key:oneway*, *Key:oneway:bicycle*, *Tag:junction=roundabout* (a roundabout implies
//!   `oneway=yes`), *Tag:cycleway=opposite* (contraflow for bicycles);
//! - *Tag:route=ferry* (ferry routes are ways tagged `route=ferry`, usable by people on foot
//!   and with bicycles unless access tags say otherwise);
//! - *Tag:highway=steps* (walkable; not rideable unless `bicycle=yes`).
//!
//! The decision for one way and one mode is:
//! 0. a way tagged as an area ([`AREA_TAGS`]) is not a road;
//! 1. the default of its `highway` class from [`HIGHWAY_DEFAULTS`] (or [`FERRY_DEFAULT`] for
//!    `route=ferry`); a way with neither is not a road;
//! 2. each key of the mode's [`AccessRule::keys`], least specific first, overrides the result
//!    when its value is in [`ACCESS_VALUES`] (unknown values are ignored; the general
//!    `access` key, [`CLOSE_ONLY_KEYS`], never opens a mode the class closes);
//! 3. the direction: [`ONEWAY_IMPLIED`] tags make a way one-way, then each key of the mode's
//!    [`AccessRule::oneway_keys`], least specific first, overrides with a value from
//!    [`ONEWAY_VALUES`]; [`CONTRAFLOW_TAGS`] lift one-way for e-bikes.

use crate::travel::TravelMode;

/// Default access of one `highway` class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HighwayDefault {
    /// The value of the `highway` key.
    pub highway: &'static str,
    /// Pedestrians may use it.
    pub walk: bool,
    /// Electric bicycles may use it.
    pub ebike: bool,
    /// Motor vehicles use it by default: where two such roads meet the way an e-bike rides,
    /// it slows or waits ([`super::graph::MOTOR`]).
    pub motor: bool,
}

const fn hw(highway: &'static str, walk: bool, ebike: bool) -> HighwayDefault {
    HighwayDefault {
        highway,
        walk,
        ebike,
        motor: false,
    }
}

/// A class that also carries motor traffic ([`HighwayDefault::motor`]).
const fn road(highway: &'static str, walk: bool, ebike: bool) -> HighwayDefault {
    HighwayDefault {
        motor: true,
        ..hw(highway, walk, ebike)
    }
}

/// Default access per `highway` class (OSM wiki, *OSM tags for routing/Access
/// restrictions*, China); `road(…)` marks the classes motor vehicles use (*Key:highway*: the
/// roads for cars, from `motorway` to `service`; `track`, `pedestrian`, paths and ways for
/// people are not). Classes not listed (`construction`, `proposed`, `abandoned`,
/// `raceway`, `bus_guideway`, `escape`, `platform` …) are not roads for either mode.
pub const HIGHWAY_DEFAULTS: &[HighwayDefault] = &[
    road("motorway", false, false),
    road("motorway_link", false, false),
    road("trunk", true, true),
    road("trunk_link", true, true),
    road("primary", true, true),
    road("primary_link", true, true),
    road("secondary", true, true),
    road("secondary_link", true, true),
    road("tertiary", true, true),
    road("tertiary_link", true, true),
    road("unclassified", true, true),
    road("residential", true, true),
    road("living_street", true, true),
    road("service", true, true),
    road("road", true, true),
    hw("track", true, true),
    hw("pedestrian", true, false),
    hw("footway", true, false),
    hw("steps", true, false),
    hw("corridor", true, false),
    hw("path", true, true),
    hw("cycleway", false, true),
    hw("bridleway", false, false),
];

/// Tags that make a way the outline of an area rather than a line one travels along
/// (*Key:area*: `highway=pedestrian` + `area=yes` is a pedestrian square; its outline is not a
/// path, and walking around it is not how people cross it). Such ways are not roads; squares
/// are crossed by the footways mapped over them. Valhalla skips them the same way (measured
/// against it, docs/benchmarks.md, "Accuracy against Valhalla").
pub const AREA_TAGS: &[(&str, &str)] = &[("area", "yes")];

/// Default access of a ferry route (`route=ferry`).
pub const FERRY_DEFAULT: HighwayDefault = hw("ferry", true, true);

/// Access keys and one-way keys consulted for one mode, least specific first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AccessRule {
    /// The mode.
    pub mode: TravelMode,
    /// Access keys (*Key:access* hierarchy), least specific first.
    pub keys: &'static [&'static str],
    /// Whether ordinary one-way tags (`oneway`, roundabouts) bind this mode. Pedestrians may
    /// walk both ways along a one-way street (*Key:oneway*: "oneway applies to vehicles").
    pub follows_oneway: bool,
    /// Direction keys, least specific first (applied after the implied one-way).
    pub oneway_keys: &'static [&'static str],
}

/// The rule of each mode.
pub const ACCESS_RULES: &[AccessRule] = &[
    AccessRule {
        mode: TravelMode::Walk,
        keys: &["access", "foot"],
        follows_oneway: false,
        oneway_keys: &["oneway:foot"],
    },
    AccessRule {
        mode: TravelMode::Ebike,
        keys: &["access", "vehicle", "bicycle", "electric_bicycle"],
        follows_oneway: true,
        oneway_keys: &["oneway", "oneway:bicycle"],
    },
];

/// Access values and whether they admit the mode (*Key:access*). `destination`, `delivery`
/// and `customers` admit: couriers and riders are exactly the people with business there.
pub const ACCESS_VALUES: &[(&str, bool)] = &[
    ("yes", true),
    ("designated", true),
    ("permissive", true),
    ("official", true),
    ("destination", true),
    ("delivery", true),
    ("customers", true),
    ("discouraged", true),
    ("no", false),
    ("private", false),
    ("use_sidepath", false),
    ("dismount", false),
    ("agricultural", false),
    ("forestry", false),
    ("military", false),
];

/// Tags that make a way one-way in its drawing direction (*Tag:junction=roundabout*).
pub const ONEWAY_IMPLIED: &[(&str, &str)] = &[("junction", "roundabout"), ("junction", "circular")];

/// Direction of travel a one-way value allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Both ways.
    Both,
    /// Only in the way's drawing direction.
    Forward,
    /// Only against it.
    Backward,
}

/// One-way values (*Key:oneway*).
pub const ONEWAY_VALUES: &[(&str, Direction)] = &[
    ("yes", Direction::Forward),
    ("true", Direction::Forward),
    ("1", Direction::Forward),
    ("-1", Direction::Backward),
    ("reverse", Direction::Backward),
    ("no", Direction::Both),
    ("false", Direction::Both),
    ("0", Direction::Both),
];

/// Tags that open a one-way street to bicycles against its direction (*Tag:cycleway=opposite*).
pub const CONTRAFLOW_TAGS: &[(&str, &str)] = &[
    ("cycleway", "opposite"),
    ("cycleway", "opposite_lane"),
    ("cycleway", "opposite_track"),
    ("cycleway:left", "opposite_lane"),
    ("cycleway:right", "opposite_lane"),
];

/// Default passage through a barrier node (`barrier=*` on a node of a way), per mode (OSM
/// wiki, *Key:barrier*; access tags on the node override, as on ways, *Key:access*).
/// Barriers not listed are passable by both modes (most are gates or posts that stop cars).
pub const BARRIER_DEFAULTS: &[HighwayDefault] = &[
    // Closed unless tagged otherwise: a linear barrier drawn through the way's node.
    hw("wall", false, false),
    hw("fence", false, false),
    hw("hedge", false, false),
    hw("retaining_wall", false, false),
    hw("city_wall", false, false),
    // People pass, bicycles do not.
    hw("stile", true, false),
    hw("turnstile", true, false),
    hw("full-height_turnstile", true, false),
    hw("kissing_gate", true, false),
    hw("motorcycle_barrier", true, false),
];

/// Access keys that may close a mode but never open one its class (or barrier) closes by
/// default: `access=yes` or `access=permissive` on a footway says the public may use it *as a
/// footway* (Helsinki tags its underground passages and their steps `highway=footway` or
/// `steps` + `access=permissive`), not that it may be ridden; opening a way to a mode takes
/// that mode's own key (`bicycle=yes`, `vehicle=yes`, `foot=yes`). Valhalla's tag processing
/// reads the general `access` key the same way (lua/graph.lua: only a closing value changes
/// the class defaults; `bicycle`, `vehicle` and `cycleway` open), and so do other routers'
/// legal-access tables (AspectedRouting's bicycle.legal_access leaves `access=yes` out "to
/// force highway=motorway; access=yes as not to trigger access for bicycles").
pub const CLOSE_ONLY_KEYS: &[&str] = &["access"];

/// Whether `rule`'s mode may pass: the class `default`, overridden by each of the rule's
/// access keys, least specific first, whose value is in [`ACCESS_VALUES`] (a key of
/// [`CLOSE_ONLY_KEYS`] only when it closes, or when the default opens).
fn allowed_by(tags: &[(&str, &str)], rule: &AccessRule, default: &HighwayDefault) -> bool {
    let default = match rule.mode {
        TravelMode::Walk => default.walk,
        TravelMode::Ebike => default.ebike,
    };
    let mut allowed = default;
    for key in rule.keys {
        if let Some(v) = lookup(tags, key) {
            if let Some((_, a)) = ACCESS_VALUES.iter().find(|(name, _)| *name == v) {
                if *a && !default && CLOSE_ONLY_KEYS.contains(key) {
                    continue;
                }
                allowed = *a;
            }
        }
    }
    allowed
}

/// Whether a barrier node with these tags lets `(walk, ebike)` pass, or `None` when the
/// node is no barrier (no `barrier` key). `tags` are the node's `(key, value)` pairs.
pub fn barrier_passage(tags: &[(&str, &str)]) -> Option<(bool, bool)> {
    let barrier = lookup(tags, "barrier")?;
    let default = BARRIER_DEFAULTS
        .iter()
        .find(|d| d.highway == barrier)
        .copied()
        .unwrap_or(hw("", true, true));
    let of = |mode: TravelMode| {
        ACCESS_RULES
            .iter()
            .find(|r| r.mode == mode)
            .is_none_or(|rule| allowed_by(tags, rule, &default))
    };
    Some((of(TravelMode::Walk), of(TravelMode::Ebike)))
}

/// What a way allows, per mode and direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WayAccess {
    /// Walk forward (drawing direction), walk backward, e-bike forward, e-bike backward.
    pub walk_forward: bool,
    /// See [`WayAccess::walk_forward`].
    pub walk_backward: bool,
    /// See [`WayAccess::walk_forward`].
    pub ebike_forward: bool,
    /// See [`WayAccess::walk_forward`].
    pub ebike_backward: bool,
    /// A ferry route.
    pub ferry: bool,
    /// In a tunnel (`tunnel=yes`): routable, but positions snap to it only when no road at
    /// the surface is near enough (a door is not in a service tunnel four floors down).
    pub tunnel: bool,
    /// Open to motor vehicles: a [`HighwayDefault::motor`] class that no key of
    /// [`MOTOR_KEYS`] closes (`private` and `destination` still carry cars).
    pub motor: bool,
}

impl WayAccess {
    /// Whether any mode may use the way in any direction.
    pub fn any(&self) -> bool {
        self.walk_forward || self.walk_backward || self.ebike_forward || self.ebike_backward
    }
}

/// Road class of each `highway` value for junction delays, as Valhalla ranks them
/// (`baldr::RoadClass`: 0 motorway, 1 trunk, 2 primary, 3 secondary, 4 tertiary, 5
/// unclassified, 6 residential, 7 service and other; a link road has its road's class, a
/// living street a residential one). Values not listed, the ways for people among them, are
/// class 7.
pub const ROAD_CLASSES: &[(&str, u8)] = &[
    ("motorway", 0),
    ("motorway_link", 0),
    ("trunk", 1),
    ("trunk_link", 1),
    ("primary", 2),
    ("primary_link", 2),
    ("secondary", 3),
    ("secondary_link", 3),
    ("tertiary", 4),
    ("tertiary_link", 4),
    ("unclassified", 5),
    ("road", 5),
    ("residential", 6),
    ("living_street", 6),
];

/// The class of a way with these tags ([`ROAD_CLASSES`]).
pub fn road_class(tags: &[(&str, &str)]) -> u8 {
    lookup(tags, "highway")
        .and_then(|h| ROAD_CLASSES.iter().find(|(k, _)| *k == h))
        .map_or(7, |(_, c)| *c)
}

/// Access keys that close a road to motor vehicles with `no`, least specific first
/// (*Key:access* hierarchy: `access` → `vehicle` → `motor_vehicle` → `motorcar`).
pub const MOTOR_KEYS: &[&str] = &["access", "vehicle", "motor_vehicle", "motorcar"];

fn lookup<'t>(tags: &[(&'t str, &'t str)], key: &str) -> Option<&'t str> {
    tags.iter().find(|(k, _)| *k == key).map(|(_, v)| *v)
}

/// Decides what a way with these tags allows (module docs), or `None` when it is not a way
/// any mode may use. `tags` are `(key, value)` pairs as in the file.
pub fn way_access(tags: &[(&str, &str)]) -> Option<WayAccess> {
    if AREA_TAGS.iter().any(|(k, v)| lookup(tags, k) == Some(v)) {
        return None;
    }
    let ferry = lookup(tags, "route") == Some("ferry");
    let default = match lookup(tags, "highway") {
        Some(h) => HIGHWAY_DEFAULTS.iter().find(|d| d.highway == h).copied(),
        None if ferry => Some(FERRY_DEFAULT),
        None => None,
    }?;
    let mut motor = default.motor;
    for key in MOTOR_KEYS {
        if let Some(v) = lookup(tags, key) {
            motor = default.motor && v != "no";
        }
    }
    let mut out = WayAccess {
        ferry,
        tunnel: lookup(tags, "tunnel") == Some("yes"),
        motor,
        ..WayAccess::default()
    };
    for rule in ACCESS_RULES {
        let allowed = allowed_by(tags, rule, &default);
        let mut dir = Direction::Both;
        if rule.follows_oneway
            && ONEWAY_IMPLIED
                .iter()
                .any(|(k, v)| lookup(tags, k) == Some(v))
        {
            dir = Direction::Forward;
        }
        for key in rule.oneway_keys {
            if let Some(v) = lookup(tags, key) {
                if let Some((_, d)) = ONEWAY_VALUES.iter().find(|(name, _)| *name == v) {
                    dir = *d;
                }
            }
        }
        if rule.mode == TravelMode::Ebike
            && CONTRAFLOW_TAGS
                .iter()
                .any(|(k, v)| lookup(tags, k) == Some(v))
        {
            dir = Direction::Both;
        }
        let fwd = allowed && dir != Direction::Backward;
        let bwd = allowed && dir != Direction::Forward;
        match rule.mode {
            TravelMode::Walk => (out.walk_forward, out.walk_backward) = (fwd, bwd),
            TravelMode::Ebike => (out.ebike_forward, out.ebike_backward) = (fwd, bwd),
        }
    }
    out.any().then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acc(tags: &[(&str, &str)]) -> Option<(bool, bool, bool, bool)> {
        way_access(tags).map(|a| {
            (
                a.walk_forward,
                a.walk_backward,
                a.ebike_forward,
                a.ebike_backward,
            )
        })
    }

    #[test]
    fn highway_classes_follow_the_china_defaults() {
        assert_eq!(
            acc(&[("highway", "residential")]),
            Some((true, true, true, true))
        );
        assert_eq!(
            acc(&[("highway", "footway")]),
            Some((true, true, false, false))
        );
        assert_eq!(
            acc(&[("highway", "cycleway")]),
            Some((false, false, true, true))
        );
        assert_eq!(
            acc(&[("highway", "steps")]),
            Some((true, true, false, false))
        );
        assert_eq!(acc(&[("highway", "motorway")]), None);
        assert_eq!(acc(&[("highway", "construction")]), None);
        assert_eq!(acc(&[("building", "yes")]), None);
        // A pedestrian square's outline is not a path.
        assert_eq!(acc(&[("highway", "pedestrian"), ("area", "yes")]), None);
        assert_eq!(
            acc(&[("highway", "pedestrian"), ("area", "no")]),
            Some((true, true, false, false))
        );
    }

    #[test]
    fn specific_access_keys_override_general_ones() {
        // access=no, foot=yes: pedestrians only.
        assert_eq!(
            acc(&[("highway", "service"), ("access", "no"), ("foot", "yes")]),
            Some((true, true, false, false))
        );
        // A footway open to bicycles.
        assert_eq!(
            acc(&[("highway", "footway"), ("bicycle", "yes")]),
            Some((true, true, true, true))
        );
        // vehicle=no closes it to e-bikes, but bicycle=designated (more specific) reopens it.
        assert_eq!(
            acc(&[
                ("highway", "track"),
                ("vehicle", "no"),
                ("bicycle", "designated")
            ]),
            Some((true, true, true, true))
        );
        assert_eq!(acc(&[("highway", "primary"), ("access", "private")]), None);
        // Unknown values are ignored.
        assert_eq!(
            acc(&[("highway", "primary"), ("foot", "sometimes")]),
            Some((true, true, true, true))
        );
        // access=permissive on a footway or steps (Helsinki's underground passages) lets the
        // public walk them; it does not open them to e-bikes (CLOSE_ONLY_KEYS).
        assert_eq!(
            acc(&[("highway", "footway"), ("access", "permissive")]),
            Some((true, true, false, false))
        );
        assert_eq!(
            acc(&[("highway", "steps"), ("access", "yes")]),
            Some((true, true, false, false))
        );
        // Nor a cycleway to pedestrians, nor a stile to e-bikes.
        assert_eq!(
            acc(&[("highway", "cycleway"), ("access", "yes")]),
            Some((false, false, true, true))
        );
        assert_eq!(
            barrier_passage(&[("barrier", "stile"), ("access", "yes")]),
            Some((true, false))
        );
        // A mode's own key still opens it, and access=no then a mode's key reopens.
        assert_eq!(
            acc(&[
                ("highway", "footway"),
                ("access", "permissive"),
                ("bicycle", "yes")
            ]),
            Some((true, true, true, true))
        );
        assert_eq!(
            acc(&[("highway", "footway"), ("access", "no"), ("vehicle", "yes")]),
            Some((false, false, true, true))
        );
        // bicycle=dismount: walk it, do not ride it.
        assert_eq!(
            acc(&[("highway", "pedestrian"), ("bicycle", "dismount")]),
            Some((true, true, false, false))
        );
    }

    #[test]
    fn one_way_binds_ebikes_not_pedestrians() {
        assert_eq!(
            acc(&[("highway", "residential"), ("oneway", "yes")]),
            Some((true, true, true, false))
        );
        assert_eq!(
            acc(&[("highway", "residential"), ("oneway", "-1")]),
            Some((true, true, false, true))
        );
        assert_eq!(
            acc(&[("highway", "primary"), ("junction", "roundabout")]),
            Some((true, true, true, false))
        );
        // A roundabout explicitly two-way for bicycles.
        assert_eq!(
            acc(&[
                ("highway", "primary"),
                ("junction", "roundabout"),
                ("oneway:bicycle", "no")
            ]),
            Some((true, true, true, true))
        );
        assert_eq!(
            acc(&[
                ("highway", "residential"),
                ("oneway", "yes"),
                ("cycleway", "opposite_lane")
            ]),
            Some((true, true, true, true))
        );
        assert_eq!(
            acc(&[("highway", "footway"), ("oneway:foot", "yes")]),
            Some((true, false, false, false))
        );
    }

    #[test]
    fn barriers_block_by_type_and_access_tags() {
        assert_eq!(barrier_passage(&[("highway", "crossing")]), None);
        assert_eq!(barrier_passage(&[("barrier", "gate")]), Some((true, true)));
        // Helsinki botanical garden: "There is no public entrance from this gate."
        assert_eq!(
            barrier_passage(&[("barrier", "gate"), ("access", "no")]),
            Some((false, false))
        );
        assert_eq!(
            barrier_passage(&[("barrier", "gate"), ("access", "private"), ("foot", "yes")]),
            Some((true, false))
        );
        assert_eq!(
            barrier_passage(&[("barrier", "stile")]),
            Some((true, false))
        );
        assert_eq!(
            barrier_passage(&[("barrier", "fence"), ("foot", "yes")]),
            Some((true, false))
        );
        assert_eq!(
            barrier_passage(&[("barrier", "bollard")]),
            Some((true, true))
        );
    }

    #[test]
    fn ferries_carry_both_modes() {
        let a = way_access(&[("route", "ferry")]).unwrap();
        assert!(a.ferry && a.walk_forward && a.ebike_backward);
        assert_eq!(
            acc(&[("route", "ferry"), ("bicycle", "no")]),
            Some((true, true, false, false))
        );
    }

    /// Roads for cars are motor roads unless an access key closes them to motor vehicles
    /// (*Key:access*: `motor_vehicle=no` closes, `motorcar=destination` re-opens); ways for
    /// people are not, whatever their access tags.
    #[test]
    fn motor_roads_follow_the_class_and_the_motor_keys() {
        let motor = |tags: &[(&str, &str)]| way_access(tags).map(|a| a.motor);
        assert_eq!(motor(&[("highway", "residential")]), Some(true));
        assert_eq!(
            motor(&[("highway", "service"), ("access", "destination")]),
            Some(true)
        );
        assert_eq!(
            motor(&[("highway", "residential"), ("motor_vehicle", "no")]),
            Some(false)
        );
        assert_eq!(
            motor(&[
                ("highway", "residential"),
                ("access", "no"),
                ("motorcar", "destination"),
                ("foot", "yes")
            ]),
            Some(true)
        );
        assert_eq!(motor(&[("highway", "footway")]), Some(false));
        assert_eq!(
            motor(&[("highway", "cycleway"), ("motor_vehicle", "yes")]),
            Some(false)
        );
        assert_eq!(motor(&[("highway", "pedestrian")]), Some(false));
        assert_eq!(motor(&[("highway", "track")]), Some(false));
    }
}
