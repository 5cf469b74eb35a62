//! The embedded demo dataset: synthetic service points in Changsha, all flagged `demo: true`.
//!
//! [`demo_points`] reads the shipped file `data/demo/service_points_demo.geojson` (embedded
//! with `include_str!`). [`generate`] makes that file: `nuanxin demo` writes
//! [`generate_geojson`]`(`[`DEMO_SEED`]`)`, and a unit test checks that the shipped file is
//! exactly that, byte for byte.
//!
//! What is generated ([`DEMO_COUNTS`]): 272 rest stations (some of them 24-hour "red homes"
//! 红色之家 entered by face scan), 100 suggestion collection points, 40 rider-friendly
//! communities (each with an entrance and a small outline polygon) and 15 legal-aid points,
//! inside Changsha's nine county-level districts (adcode 4301xx, from `data/boundaries`).
//! Districts are drawn with weights that favour the urban core (芙蓉, 天心, 岳麓, 开福, 雨花);
//! about half the points lie within 900 m of a real metro station (`data/metro`), the rest
//! scatter around the district's centre. Names are built from real community (社区) and
//! street (街道) names of the National Bureau of Statistics 2023 division codes
//! (`data/demo/changsha_communities_nbs2023.csv`); positions, phone numbers, hours and
//! amenities are invented.
//!
//! Randomness: ChaCha8 seeded with [`DEMO_SEED`]; floats are made from raw `u64` draws by this
//! module (not by `rand`'s distributions), so the output depends only on the ChaCha8 stream.

use crate::districts::Districts;
use crate::geodesy::destination;
use crate::import::{geojson::import_geojson_str, to_geojson, ImportOptions};
use crate::model::{AccessMethod, Amenity, LonLat, OpeningHours, ServiceKind, ServicePoint};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::Value;
use std::sync::OnceLock;

/// The shipped demo dataset (GeoJSON, WGS-84).
pub const DEMO_GEOJSON: &str = include_str!("../../../data/demo/service_points_demo.geojson");
/// Path of the shipped demo dataset, relative to the repository root.
pub const DEMO_PATH: &str = "data/demo/service_points_demo.geojson";
/// The seed the shipped dataset was generated with.
pub const DEMO_SEED: u64 = 20_261_129;
/// How many points of each kind [`generate`] makes.
pub const DEMO_COUNTS: [(ServiceKind, usize); 4] = [
    (ServiceKind::Station, 272),
    (ServiceKind::CollectionPoint, 100),
    (ServiceKind::RiderFriendlyCommunity, 40),
    (ServiceKind::LegalAid, 15),
];

const METRO_GEOJSON: &str =
    include_str!("../../../data/metro/changsha_metro_stations_wgs84.geojson");
const COMMUNITIES_CSV: &str = include_str!("../../../data/demo/changsha_communities_nbs2023.csv");

/// The demo service points, parsed once from [`DEMO_GEOJSON`].
pub fn demo_points() -> Vec<ServicePoint> {
    static P: OnceLock<Vec<ServicePoint>> = OnceLock::new();
    P.get_or_init(
        || match import_geojson_str(DEMO_GEOJSON, &ImportOptions::default()) {
            Ok(imported) => imported.points,
            // Compiled in; the test `demo_points_have_the_announced_counts_and_flags` imports
            // every point.
            Err(_) => unreachable!("the embedded demo dataset imports cleanly"),
        },
    )
    .clone()
}

/// A district of Changsha with its sampling weight and centre.
struct DemoDistrict {
    adcode: &'static str,
    /// Relative share of points (urban core higher).
    weight: u32,
    /// Approximate WGS-84 position of the district's main built-up centre (government seat),
    /// read off OpenStreetMap; only used to scatter points, checked to lie in the district.
    centre: (f64, f64),
    /// Standard deviation of the scatter around `centre`, metres.
    spread_m: f64,
}

const DISTRICTS: &[DemoDistrict] = &[
    DemoDistrict {
        adcode: "430102",
        weight: 15,
        centre: (113.0105, 28.1960),
        spread_m: 2200.0,
    },
    DemoDistrict {
        adcode: "430103",
        weight: 14,
        centre: (112.9850, 28.1250),
        spread_m: 2800.0,
    },
    DemoDistrict {
        adcode: "430104",
        weight: 16,
        centre: (112.9350, 28.2100),
        spread_m: 3500.0,
    },
    DemoDistrict {
        adcode: "430105",
        weight: 14,
        centre: (112.9900, 28.2450),
        spread_m: 2800.0,
    },
    DemoDistrict {
        adcode: "430111",
        weight: 16,
        centre: (113.0300, 28.1350),
        spread_m: 3000.0,
    },
    DemoDistrict {
        adcode: "430112",
        weight: 7,
        centre: (112.8200, 28.3500),
        spread_m: 3500.0,
    },
    DemoDistrict {
        adcode: "430121",
        weight: 8,
        centre: (113.0800, 28.2400),
        spread_m: 3500.0,
    },
    DemoDistrict {
        adcode: "430181",
        weight: 5,
        centre: (113.6400, 28.1600),
        spread_m: 3000.0,
    },
    DemoDistrict {
        adcode: "430182",
        weight: 5,
        centre: (112.5550, 28.2750),
        spread_m: 3000.0,
    },
];

/// A community (社区) name with its street and district.
struct Community {
    name: String,
    township: String,
    county: String,
}

fn communities() -> Vec<Community> {
    COMMUNITIES_CSV
        .lines()
        .skip(1)
        .filter_map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            (c.len() == 4).then(|| Community {
                name: c[1].trim_end_matches("居委会").to_string(),
                township: c[2].to_string(),
                county: c[3].to_string(),
            })
        })
        .collect()
}

fn metro_stations() -> Vec<LonLat> {
    let Ok(v) = serde_json::from_str::<Value>(METRO_GEOJSON) else {
        // Compiled in; `shipped_file_is_reproducible_byte_for_byte` places points near them.
        unreachable!("the embedded metro stations are JSON");
    };
    v["features"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|f| {
            let c = f["geometry"]["coordinates"].as_array()?;
            LonLat::new(c[0].as_f64()?, c[1].as_f64()?).ok()
        })
        .collect()
}

/// Uniform in [0, 1) from the top 53 bits of one draw.
fn unit(rng: &mut ChaCha8Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// Uniform integer in `0..n` (n > 0).
fn below(rng: &mut ChaCha8Rng, n: usize) -> usize {
    ((unit(rng) * n as f64) as usize).min(n - 1)
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[below(rng, items.len())]
}

/// Standard normal by the Box–Muller transform.
fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1 = 1.0 - unit(rng);
    let u2 = unit(rng);
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn rounded(p: LonLat) -> LonLat {
    LonLat {
        lon: round6(p.lon),
        lat: round6(p.lat),
    }
}

struct Generator {
    rng: ChaCha8Rng,
    districts: &'static Districts,
    metro_by_district: Vec<Vec<LonLat>>,
    communities: Vec<Community>,
    used_names: std::collections::HashSet<String>,
}

impl Generator {
    fn weighted_district(&mut self) -> usize {
        let total: u32 = DISTRICTS.iter().map(|d| d.weight).sum();
        let mut r = below(&mut self.rng, total as usize) as u32;
        for (i, d) in DISTRICTS.iter().enumerate() {
            if r < d.weight {
                return i;
            }
            r -= d.weight;
        }
        DISTRICTS.len() - 1
    }

    fn in_district(&self, p: LonLat, di: usize) -> bool {
        self.districts
            .county_at(p)
            .is_some_and(|c| c.adcode == DISTRICTS[di].adcode)
    }

    /// A position inside district `di`: near a metro station (if the district has any) or
    /// scattered around its centre.
    fn position(&mut self, di: usize) -> LonLat {
        let d = &DISTRICTS[di];
        let centre = LonLat {
            lon: d.centre.0,
            lat: d.centre.1,
        };
        for _ in 0..200 {
            let near_metro = !self.metro_by_district[di].is_empty() && unit(&mut self.rng) < 0.5;
            let p = if near_metro {
                let st = *pick(&mut self.rng, &self.metro_by_district[di]);
                let az = 360.0 * unit(&mut self.rng);
                let dist = 80.0 + 820.0 * unit(&mut self.rng);
                destination(st, az, dist)
            } else {
                let az = 360.0 * unit(&mut self.rng);
                let dist = (normal(&mut self.rng) * d.spread_m).abs();
                destination(centre, az, dist)
            };
            let p = rounded(p);
            if self.in_district(p, di) {
                return p;
            }
        }
        // 200 misses in a row (never with the shipped seed): the centre, which lies in its
        // district (test `district_centres_lie_in_their_districts`).
        centre
    }

    fn community(&mut self, di: usize) -> usize {
        let adcode = DISTRICTS[di].adcode;
        let idx: Vec<usize> = (0..self.communities.len())
            .filter(|&i| self.communities[i].county == adcode)
            .collect();
        *pick(&mut self.rng, &idx)
    }

    /// A name not used yet, built from a community of district `di` by `make`.
    fn unique_name(
        &mut self,
        di: usize,
        make: impl Fn(&Community, &mut ChaCha8Rng) -> String,
    ) -> (usize, String) {
        loop {
            let ci = self.community(di);
            let name = make(&self.communities[ci], &mut self.rng);
            if self.used_names.insert(name.clone()) {
                return (ci, name);
            }
        }
    }

    fn phone(&mut self) -> String {
        // Changsha landlines: area code 0731, 8 digits (fictitious numbers).
        let n = 80_000_000 + below(&mut self.rng, 9_999_999) as u64;
        format!("0731-{n}")
    }

    fn amenities(
        &mut self,
        always: &[Amenity],
        optional: &[Amenity],
        p: f64,
    ) -> crate::model::AmenitySet {
        let mut set: crate::model::AmenitySet = always.iter().copied().collect();
        for a in optional {
            if unit(&mut self.rng) < p {
                set.insert(*a);
            }
        }
        set
    }
}

/// The opening hours `s`, one of the generator's constants (all valid: the test
/// `shipped_file_is_reproducible_byte_for_byte` compares every point's hours).
fn hours(s: &str) -> Option<OpeningHours> {
    OpeningHours::parse(s).ok()
}

/// When every demo point was last updated: 2026-11-01T00:00:00Z (checked at compile time).
const DEMO_UPDATED_AT: chrono::NaiveDateTime = match chrono::NaiveDate::from_ymd_opt(2026, 11, 1) {
    Some(day) => match day.and_hms_opt(0, 0, 0) {
        Some(t) => t,
        None => unreachable!(),
    },
    None => unreachable!(),
};

/// Generates the demo points for `seed` (see the module docs). Deterministic: the same seed
/// gives the same points on every platform.
pub fn generate(seed: u64) -> Vec<ServicePoint> {
    let districts = Districts::embedded();
    let metro = metro_stations();
    let mut g = Generator {
        rng: ChaCha8Rng::seed_from_u64(seed),
        districts,
        metro_by_district: Vec::new(),
        communities: communities(),
        used_names: Default::default(),
    };
    g.metro_by_district = (0..DISTRICTS.len())
        .map(|di| {
            metro
                .iter()
                .copied()
                .filter(|p| g.in_district(*p, di))
                .collect()
        })
        .collect();
    let updated_at = DEMO_UPDATED_AT.and_utc();

    use Amenity::*;
    let mut out = Vec::new();
    for (kind, count) in DEMO_COUNTS {
        for i in 0..count {
            // Legal aid: one per district first, then weighted.
            let di = if kind == ServiceKind::LegalAid && i < DISTRICTS.len() {
                i
            } else {
                g.weighted_district()
            };
            let district_name = districts
                .get(DISTRICTS[di].adcode)
                .map_or(String::new(), |d| d.name.clone());
            let location = g.position(di);
            let id = format!("demo-{}-{:03}", kind.as_str().replace('_', "-"), i + 1);
            let mut p = ServicePoint::new(id, kind, String::new(), location);
            let (ci, name) = match kind {
                ServiceKind::Station => {
                    let style = unit(&mut g.rng);
                    let (ci, name) = g.unique_name(di, |c, rng| {
                        if style < 0.25 {
                            format!("{}红色之家", c.name)
                        } else if style < 0.55 {
                            format!("{}工会户外劳动者服务站", c.township)
                        } else {
                            let n = ["暖新驿站", "暖新驿站", "骑手驿站", "爱心驿站"];
                            format!("{}{}", c.name, n[below(rng, n.len())])
                        }
                    });
                    if style < 0.25 {
                        p.opening_hours = hours("24/7");
                        p.access = Some(AccessMethod::FaceScan);
                        p.operator = Some(format!("{}党工委", g.communities[ci].township));
                        p.amenities = g.amenities(
                            &[DrinkingWater, Charging, Rest, Toilet, Heating, Cooling],
                            &[HotMeals, Wifi, Parking],
                            0.7,
                        );
                    } else if style < 0.55 {
                        let h = [
                            "Mo-Su 08:00-20:00",
                            "Mo-Su 07:00-22:00",
                            "Mo-Su 09:00-21:00",
                        ];
                        p.opening_hours = hours(pick::<&str>(&mut g.rng, &h));
                        p.access = Some(AccessMethod::Open);
                        p.operator = Some(format!("长沙市{district_name}总工会"));
                        p.amenities = g.amenities(
                            &[DrinkingWater, Charging, Rest],
                            &[HotMeals, Toilet, Heating, Cooling, Wifi, Parking],
                            0.5,
                        );
                    } else {
                        let h = [
                            "Mo-Fr 08:30-18:00; Sa,Su 09:00-17:00",
                            "Mo-Su 08:00-20:00",
                            "Mo-Sa 08:00-21:00",
                        ];
                        p.opening_hours = hours(pick::<&str>(&mut g.rng, &h));
                        p.access = Some(if unit(&mut g.rng) < 0.5 {
                            AccessMethod::Open
                        } else {
                            AccessMethod::StaffedHours
                        });
                        p.operator = Some(format!("{}居民委员会", g.communities[ci].name));
                        p.amenities = g.amenities(
                            &[DrinkingWater, Rest],
                            &[Charging, HotMeals, Toilet, Heating, Cooling, Wifi],
                            0.45,
                        );
                    }
                    (ci, name)
                }
                ServiceKind::CollectionPoint => {
                    let at_centre = unit(&mut g.rng) < 0.5;
                    let (ci, name) = g.unique_name(di, |c, _| {
                        if at_centre {
                            format!("{}党群服务中心人民建议征集点", c.township)
                        } else {
                            format!("{}人民建议征集点", c.name)
                        }
                    });
                    p.opening_hours = hours("Mo-Fr 09:00-12:00,14:00-17:30");
                    p.access = Some(AccessMethod::StaffedHours);
                    p.operator = Some(format!("{}党群服务中心", g.communities[ci].township));
                    p.amenities = g.amenities(&[Rest], &[DrinkingWater, Toilet, Wifi], 0.5);
                    (ci, name)
                }
                ServiceKind::RiderFriendlyCommunity => {
                    let (ci, name) = g.unique_name(di, |c, rng| {
                        let s = [
                            "和园", "嘉苑", "新村", "佳园", "景苑", "花园", "雅居", "家园",
                        ];
                        format!(
                            "{}{}小区",
                            c.name.trim_end_matches("社区"),
                            s[below(rng, s.len())]
                        )
                    });
                    p.opening_hours = hours("24/7");
                    p.access = Some(AccessMethod::RiderCode);
                    p.operator = Some(format!("{}居民委员会", g.communities[ci].name));
                    p.amenities = g.amenities(&[Parking], &[Charging, DrinkingWater, Rest], 0.5);
                    // Outline: a rectangle of 120–260 m by 100–220 m around the point,
                    // rotated by up to ±30°; the entrance is the middle of its south side.
                    let half_w = 60.0 + 70.0 * unit(&mut g.rng);
                    let half_h = 50.0 + 60.0 * unit(&mut g.rng);
                    let rot = -30.0 + 60.0 * unit(&mut g.rng);
                    let corner = |dx: f64, dy: f64| {
                        let az = dx.atan2(dy).to_degrees() + rot;
                        rounded(destination(location, az, dx.hypot(dy)))
                    };
                    let ring: Vec<[f64; 2]> = [
                        (-1.0, -1.0),
                        (1.0, -1.0),
                        (1.0, 1.0),
                        (-1.0, 1.0),
                        (-1.0, -1.0),
                    ]
                    .iter()
                    .map(|(sx, sy)| {
                        let c = corner(sx * half_w, sy * half_h);
                        [c.lon, c.lat]
                    })
                    .collect();
                    p.outline = Some(vec![ring]);
                    p.entrance = Some(rounded(destination(location, 180.0 + rot, half_h)));
                    (ci, name)
                }
                ServiceKind::LegalAid => {
                    let first = i < DISTRICTS.len();
                    let (ci, name) = g.unique_name(di, |c, _| {
                        if first {
                            format!("{district_name}新就业群体权益服务点")
                        } else {
                            format!("{}新就业群体法律援助工作站", c.township)
                        }
                    });
                    p.opening_hours = hours("Mo-Fr 09:00-12:00,14:00-17:30");
                    p.access = Some(AccessMethod::StaffedHours);
                    p.operator = Some(format!("长沙市{district_name}司法局"));
                    p.amenities = g.amenities(&[LegalConsult, DrinkingWater], &[Rest, Wifi], 0.5);
                    (ci, name)
                }
            };
            let c = &g.communities[ci];
            p.name = name;
            p.address = Some(format!(
                "湖南省长沙市{district_name}{}{}",
                c.township, c.name
            ));
            p.adcode = Some(DISTRICTS[di].adcode.to_string());
            p.phone = Some(g.phone());
            p.source = Some("nuanxin demo (synthetic data / 演示数据)".to_string());
            p.updated_at = Some(updated_at);
            p.demo = true;
            out.push(p);
        }
    }
    out
}

/// The demo dataset for `seed` as the GeoJSON text shipped in [`DEMO_PATH`].
pub fn generate_geojson(seed: u64) -> String {
    to_geojson(&generate(seed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_file_is_reproducible_byte_for_byte() {
        let regenerated = generate_geojson(DEMO_SEED);
        assert!(
            regenerated == DEMO_GEOJSON,
            "data/demo/service_points_demo.geojson differs from `nuanxin demo` output; \
             run `cargo run -- demo` and commit the file"
        );
    }

    #[test]
    fn demo_points_have_the_announced_counts_and_flags() {
        let pts = demo_points();
        for (kind, n) in DEMO_COUNTS {
            assert_eq!(pts.iter().filter(|p| p.kind == kind).count(), n, "{kind}");
        }
        assert!(pts.iter().all(|p| p.demo));
        let d = Districts::embedded();
        for p in &pts {
            let c = d.county_at(p.location).expect("inside a district");
            assert!(c.adcode.starts_with("4301"), "{} in {}", p.id, c.adcode);
            assert_eq!(p.adcode.as_deref(), Some(c.adcode.as_str()), "{}", p.id);
            assert!(p.phone.as_deref().unwrap().starts_with("0731-8"));
        }
        let red: Vec<_> = pts
            .iter()
            .filter(|p| p.name.ends_with("红色之家"))
            .collect();
        assert!(red.len() > 30);
        assert!(red.iter().all(|p| p.access == Some(AccessMethod::FaceScan)
            && p.opening_hours.as_ref().is_some_and(|h| h.is_24_7())));
        let comm: Vec<_> = pts
            .iter()
            .filter(|p| p.kind == ServiceKind::RiderFriendlyCommunity)
            .collect();
        assert!(comm
            .iter()
            .all(|p| p.entrance.is_some() && p.outline.is_some()));
        // Urban core (芙蓉, 天心, 岳麓, 开福, 雨花) holds most points: weights 75 of 100.
        let core = ["430102", "430103", "430104", "430105", "430111"];
        let in_core = pts
            .iter()
            .filter(|p| core.contains(&p.adcode.as_deref().unwrap()))
            .count();
        assert!(in_core * 100 > pts.len() * 65, "{in_core} of {}", pts.len());
        // ids and names unique
        let mut ids: Vec<_> = pts.iter().map(|p| &p.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), pts.len());
    }

    #[test]
    fn geojson_round_trip_is_exact() {
        // Import then export reproduces the file: the importer keeps every field (ids,
        // entrance, outline, times) and changes no value.
        assert!(to_geojson(&demo_points()) == DEMO_GEOJSON);
    }

    #[test]
    fn district_centres_lie_in_their_districts() {
        let d = Districts::embedded();
        for dd in DISTRICTS {
            let c = d
                .county_at(LonLat::new(dd.centre.0, dd.centre.1).unwrap())
                .unwrap();
            assert_eq!(c.adcode, dd.adcode);
        }
    }
}
