//! `nuanxin nearest`: the k nearest service points to a position, with metres and minutes
//! on foot and by e-bike (straight-line distance on the WGS-84 ellipsoid, speeds from
//! `[speeds]` of nuanxin.toml, [`super::configured_speeds`]).

use super::messages::{headers, text, Msg, Table};
use anyhow::Context;
use chrono::NaiveDateTime;
use nuanxin::crs::Crs;
use nuanxin::import::fields;
use nuanxin::index::{Filter, ServiceIndex};
use nuanxin::model::{china_local_now, Amenity, LonLat, ServiceKind};
use nuanxin::routing::{nearest_by_time, NetworkOptions};
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
    #[arg(
        short = 'k',
        long = "limit",
        default_value_t = 5,
        allow_hyphen_values = true
    )]
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
    /// Rank by `distance` (straight line) or by travel `time` along roads (needs the road
    /// graph of --db: `nuanxin roads import FILE.osm.pbf --db DB`, or --roads).
    #[arg(long, value_enum, default_value_t = By::Distance)]
    by: By,
    /// Travel mode for `--by time`: walk or ebike.
    #[arg(long, default_value = "walk")]
    mode: TravelMode,
    /// Road graph file for `--by time` (default: `<db>.roads`).
    #[arg(long)]
    roads: Option<PathBuf>,
    /// Largest distance from the position or a point to a road, metres; beyond it that result
    /// is straight-line (flagged).
    #[arg(long, default_value_t = nuanxin::routing::DEFAULT_MAX_SNAP_M, allow_hyphen_values = true)]
    max_snap_m: f64,
    /// With `--by time --json`: include each route as `[lon, lat]` positions.
    #[arg(long)]
    route: bool,
}

/// How results are ranked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum By {
    /// Straight-line distance.
    Distance,
    /// Travel time along roads.
    Time,
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

/// Most points `nearest` lists (the HTTP API stops at 50; a file written from the command
/// line may want more, but not more than anyone reads).
pub const MAX_K: usize = 1000;

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<()> {
    if !(1..=MAX_K).contains(&args.k) {
        return Err(super::usage(text(&Msg::OutOfRange {
            flag: "-k/--limit",
            range: "1–1000",
            got: args.k.to_string(),
        })));
    }
    let (lon, lat) = match (args.at, args.lon, args.lat) {
        (Some(pair), _, _) => pair,
        (None, Some(lon), Some(lat)) => (lon, lat),
        _ => return Err(super::usage(text(&Msg::NeedPosition))),
    };
    let given = LonLat::new(lon, lat)
        .map_err(|e| super::usage(super::messages::reason(&e.to_string())))
        .context(text(&Msg::InvalidPosition))?;
    let from = args.crs.to_wgs84(given);
    let (points, source) =
        super::points::load(args.db.as_deref(), args.data.as_deref(), args.data_crs)?;
    let index = ServiceIndex::new(points).context(text(&Msg::BuildingIndex))?;
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
    let speeds = super::configured_speeds()?;
    if args.by == By::Time {
        return run_by_time(&args, from, &index, &filter, &source, speeds);
    }
    let hits = index.nearest(from, args.k, &filter);
    if args.json {
        let rows: Vec<_> = hits
            .iter()
            .map(|h| {
                serde_json::json!({
                    "id": h.point.id,
                    "name": h.point.name,
                    "kind": h.point.kind,
                    "model": "straight_line",
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
    let given_crs = (args.crs != Crs::Wgs84).then(|| (args.crs.as_str(), given.lon, given.lat));
    println!(
        "{}",
        text(&Msg::NearestFrom {
            lon: from.lon,
            lat: from.lat,
            given: given_crs,
            mode: None,
            source: &source,
        })
    );
    if hits.is_empty() {
        println!("{}", text(&Msg::NearestNone));
        return Ok(());
    }
    let zh = super::lang::current() == super::lang::Lang::Zh;
    let rows: Vec<Vec<String>> = hits
        .iter()
        .enumerate()
        .map(|(i, h)| {
            vec![
                (i + 1).to_string(),
                h.point.name.clone(),
                if zh {
                    h.point.kind.label_zh()
                } else {
                    h.point.kind.label_en()
                }
                .to_string(),
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
    use super::table::{render, Align::*};
    let align = [Right, Left, Left, Right, Right, Right, Left];
    for l in render(headers(Table::Nearest), &rows, &align) {
        println!("{l}");
    }
    println!(
        "{}",
        text(&Msg::NearestFooter {
            walk_kmh: speeds.walk_m_per_s * 3.6,
            ebike_kmh: speeds.ebike_m_per_s * 3.6,
        })
    );
    Ok(())
}

/// `--by time`: ranked by travel time along roads.
fn run_by_time(
    args: &Args,
    from: LonLat,
    index: &ServiceIndex,
    filter: &Filter,
    source: &str,
    speeds: Speeds,
) -> anyhow::Result<()> {
    let graph = super::roads::load_graph(args.db.as_deref(), args.roads.as_deref())?;
    let opts = NetworkOptions {
        max_snap_m: args.max_snap_m,
        route: args.route,
        speeds,
    };
    let r = nearest_by_time(&graph, index, from, args.k, filter, args.mode, &opts);
    let model = |network: bool| if network { "network" } else { "straight_line" };
    if args.json {
        let rows: Vec<_> = r
            .hits
            .iter()
            .map(|h| {
                serde_json::json!({
                    "id": h.point.id,
                    "name": h.point.name,
                    "kind": h.point.kind,
                    "mode": args.mode,
                    "model": model(h.network),
                    "network": h.network,
                    "travel_time_s": (h.travel_time_s * 10.0).round() / 10.0,
                    "network_distance_m": h.network_distance_m.map(|d| (d * 10.0).round() / 10.0),
                    "distance_m": (h.distance_m * 10.0).round() / 10.0,
                    "snap_distance_m": h.snap_distance_m.map(|d| (d * 10.0).round() / 10.0),
                    "location": [h.point.location.lon, h.point.location.lat],
                    "route": h.route.as_ref().map(|r| r.iter().map(|p| [p.lon, p.lat]).collect::<Vec<_>>()),
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "origin_snap_m": r.origin_snap.map(|s| (s.distance_m * 10.0).round() / 10.0),
                "results": rows,
            }))?
        );
        return Ok(());
    }
    println!(
        "{}",
        text(&Msg::NearestFrom {
            lon: from.lon,
            lat: from.lat,
            given: None,
            mode: Some(args.mode.as_str()),
            source,
        })
    );
    match r.origin_snap {
        Some(s) => println!("{}", text(&Msg::OriginSnap(s.distance_m))),
        None => println!("{}", text(&Msg::OriginNoRoad(args.max_snap_m))),
    }
    if r.hits.is_empty() {
        println!("{}", text(&Msg::NearestNone));
        return Ok(());
    }
    let rows: Vec<Vec<String>> = r
        .hits
        .iter()
        .enumerate()
        .map(|(i, h)| {
            vec![
                (i + 1).to_string(),
                h.point.name.clone(),
                format!("{:.0}", h.distance_m),
                h.network_distance_m
                    .map_or("-".to_string(), |d| format!("{d:.0}")),
                format!("{:.1}", h.travel_time_s / 60.0),
                text(&Msg::Model(h.network)),
            ]
        })
        .collect();
    use super::table::{render, Align::*};
    let align = [Right, Left, Right, Right, Right, Left];
    for l in render(headers(Table::NearestByTime), &rows, &align) {
        println!("{l}");
    }
    println!(
        "{}",
        text(&Msg::NearestByTimeFooter {
            kmh: speeds.of(args.mode) * 3.6,
            mode: args.mode.as_str(),
            source: &graph.import.source.to_string(),
        })
    );
    Ok(())
}
