//! `nuanxin nearest`: the k nearest service points to a position, with metres and minutes
//! on foot and by e-bike (straight-line distance on the WGS-84 ellipsoid, speeds from
//! [`nuanxin::travel`]).

use anyhow::Context;
use chrono::NaiveDateTime;
use nuanxin::crs::Crs;
use nuanxin::import::fields;
use nuanxin::index::{Filter, ServiceIndex};
use nuanxin::model::{china_local_now, Amenity, LonLat, ServiceKind};
use nuanxin::travel::{Speeds, TravelMode};
use std::path::PathBuf;

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Longitude of the query position, degrees.
    #[arg(
        long,
        allow_hyphen_values = true,
        required_unless_present = "at",
        requires = "lat"
    )]
    lon: Option<f64>,
    /// Latitude of the query position, degrees.
    #[arg(
        long,
        allow_hyphen_values = true,
        required_unless_present = "at",
        requires = "lon"
    )]
    lat: Option<f64>,
    /// The query position as `LON,LAT`, as Amap's coordinate picker copies it
    /// (e.g. `112.976341,28.195346` with `--crs gcj02`).
    #[arg(long, value_name = "LON,LAT", allow_hyphen_values = true, conflicts_with_all = ["lon", "lat"], value_parser = parse_pair)]
    at: Option<(f64, f64)>,
    /// Coordinate system of --lon/--lat: wgs84, gcj02 (a point copied from Amap/高德) or bd09.
    #[arg(long, default_value = "wgs84")]
    crs: Crs,
    /// Only this kind (repeatable): station, legal_aid, rider_friendly_community,
    /// collection_point, or the Chinese name.
    #[arg(long, value_parser = parse_kind)]
    kind: Vec<ServiceKind>,
    /// Required amenity (repeatable; all must be present), e.g. drinking_water, charging.
    #[arg(long, value_parser = parse_amenity)]
    amenity: Vec<Amenity>,
    /// Only points open now (China Standard Time, UTC+8).
    #[arg(long)]
    open_now: bool,
    /// Only points open at this local time (UTC+8), `YYYY-MM-DDTHH:MM`.
    #[arg(long, value_parser = parse_local_time, conflicts_with = "open_now")]
    open_at: Option<NaiveDateTime>,
    /// How many points.
    #[arg(short = 'k', long = "limit", default_value_t = 5)]
    k: usize,
    /// Service points file (GeoJSON, CSV, XLSX); default: the embedded demo data.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Coordinate system of --data.
    #[arg(long, default_value = "wgs84")]
    data_crs: Crs,
    /// Use the service points stored in this database (as `nuanxin serve --db` serves them,
    /// e.g. after `nuanxin import --db`).
    #[arg(long, conflicts_with = "data")]
    db: Option<PathBuf>,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

fn parse_pair(s: &str) -> Result<(f64, f64), String> {
    let parts: Vec<&str> = s.split([',', '，']).map(str::trim).collect();
    match parts.as_slice() {
        [a, b] => match (a.parse::<f64>(), b.parse::<f64>()) {
            (Ok(lon), Ok(lat)) => Ok((lon, lat)),
            _ => Err(format!("`{s}` is not two numbers LON,LAT")),
        },
        _ => Err(format!("`{s}` is not LON,LAT (two numbers and one comma)")),
    }
}

fn parse_kind(s: &str) -> Result<ServiceKind, String> {
    fields::parse_kind(s).map_err(|e| e.to_string())
}

fn parse_amenity(s: &str) -> Result<Amenity, String> {
    fields::parse_amenity(s).map_err(|e| e.to_string())
}

fn parse_local_time(s: &str) -> Result<NaiveDateTime, String> {
    nuanxin::model::parse_local_time(s).ok_or_else(|| format!("`{s}` is not YYYY-MM-DDTHH:MM"))
}

/// Display width of text in a terminal: CJK and full-width characters take two columns.
fn width(s: &str) -> usize {
    s.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F
            | 0x2E80..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6 => 2,
            _ => 1,
        })
        .sum()
}

fn pad(s: &str, w: usize) -> String {
    format!("{s}{}", " ".repeat(w.saturating_sub(width(s))))
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<()> {
    let (lon, lat) = match (args.at, args.lon, args.lat) {
        (Some(pair), _, _) => pair,
        (None, Some(lon), Some(lat)) => (lon, lat),
        _ => anyhow::bail!("give --lon and --lat, or --at LON,LAT"),
    };
    let given = LonLat::new(lon, lat).context("invalid position")?;
    let from = args.crs.to_wgs84(given);
    let (points, source) =
        super::points::load(args.db.as_deref(), args.data.as_deref(), args.data_crs)?;
    let index = ServiceIndex::new(points).context("building the index")?;
    let filter = Filter {
        kinds: args.kind.clone(),
        amenities: args.amenity.iter().copied().collect(),
        open_at: if args.open_now {
            Some(china_local_now())
        } else {
            args.open_at
        },
        access: Vec::new(),
    };
    let hits = index.nearest(from, args.k, &filter);
    let speeds = Speeds::default();
    if args.json {
        let rows: Vec<_> = hits
            .iter()
            .map(|h| {
                serde_json::json!({
                    "id": h.point.id,
                    "name": h.point.name,
                    "kind": h.point.kind,
                    "distance_m": (h.distance_m * 10.0).round() / 10.0,
                    "walk_minutes": (speeds.minutes(TravelMode::Walk, h.distance_m) * 10.0).round() / 10.0,
                    "ebike_minutes": (speeds.minutes(TravelMode::Ebike, h.distance_m) * 10.0).round() / 10.0,
                    "location": [h.point.location.lon, h.point.location.lat],
                    "opening_hours": h.point.opening_hours.as_ref().map(|o| o.as_str()),
                    "amenities": h.point.amenities,
                    "address": h.point.address,
                    "phone": h.point.phone,
                    "demo": h.point.demo,
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    println!(
        "From lon {:.6}, lat {:.6} (WGS-84{}); data: {source}",
        from.lon,
        from.lat,
        if args.crs == Crs::Wgs84 {
            String::new()
        } else {
            format!(
                ", converted from {} {:.6}, {:.6}",
                args.crs.as_str(),
                given.lon,
                given.lat
            )
        }
    );
    if hits.is_empty() {
        println!("没有符合条件的服务点 / No matching service points.");
        return Ok(());
    }
    let header = [
        "#",
        "名称 Name",
        "类型 Kind",
        "距离 m",
        "步行 min",
        "电动车 min",
        "开放时间 Hours",
    ];
    let rows: Vec<[String; 7]> = hits
        .iter()
        .enumerate()
        .map(|(i, h)| {
            [
                (i + 1).to_string(),
                h.point.name.clone(),
                h.point.kind.label_zh().to_string(),
                format!("{:.0}", h.distance_m),
                format!("{:.1}", speeds.minutes(TravelMode::Walk, h.distance_m)),
                format!("{:.1}", speeds.minutes(TravelMode::Ebike, h.distance_m)),
                h.point
                    .opening_hours
                    .as_ref()
                    .map_or("-".to_string(), |o| o.as_str().to_string()),
            ]
        })
        .collect();
    let widths: Vec<usize> = (0..7)
        .map(|c| {
            rows.iter()
                .map(|r| width(&r[c]))
                .chain([width(header[c])])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: &[String]| {
        cells
            .iter()
            .enumerate()
            .map(|(c, s)| {
                if (3..6).contains(&c) || c == 0 {
                    format!("{}{s}", " ".repeat(widths[c].saturating_sub(width(s))))
                } else {
                    pad(s, widths[c])
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    println!("{}", line(&header.map(str::to_string)));
    for r in &rows {
        println!("{}", line(r));
    }
    println!(
        "Straight-line distance on the WGS-84 ellipsoid; minutes at {:.0} km/h walking, {:.0} km/h e-bike.",
        speeds.walk_m_per_s * 3.6,
        speeds.ebike_m_per_s * 3.6
    );
    Ok(())
}
