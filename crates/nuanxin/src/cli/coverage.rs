//! `nuanxin coverage`: coverage of an area by service circles, a per-district table, gap
//! polygons and proposals for new sites.
//!
//! ```text
//! nuanxin coverage --adcode 430100 --mode ebike --minutes 5 --propose 5 --gaps gaps.geojson
//! nuanxin coverage --adcode 430100 --mode ebike --minutes 5 --demand builtup --propose 3 \
//!     --at 2026-12-01T02:00+08:00 --db nuanxin.db --proposals-out proposals.csv
//! ```

use super::messages::{headers, text, Msg, Table};
use anyhow::Context;
use nuanxin::coverage::analysis::{self, CoverageReport, Progress};
use nuanxin::coverage::demand::{read_demand_file, DemandLayer};
use nuanxin::coverage::{input, AreaSpec, Candidates, CoverageOptions};
use nuanxin::crs::Crs;
use nuanxin::districts::Districts;
use nuanxin::index::{Filter, ServiceIndex};
use nuanxin::model::{Bbox, ServiceKind};
use nuanxin::travel::TravelMode;
use std::path::PathBuf;

/// Arguments (boxed so that the `Command` enum stays small).
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    inner: Box<CoverageArgs>,
}

/// The options of `nuanxin coverage`.
#[derive(Debug, clap::Args)]
#[command(group(clap::ArgGroup::new("area").required(true).args(["adcode", "bbox", "geometry"])))]
pub struct CoverageArgs {
    /// District or city adcode (GB/T 2260), e.g. 430100 (长沙市) or 430102 (芙蓉区).
    #[arg(long)]
    pub adcode: Option<String>,
    /// Area as a box `west,south,east,north` (degrees; west > east crosses the antimeridian).
    #[arg(long, allow_hyphen_values = true)]
    pub bbox: Option<String>,
    /// Area as a GeoJSON file holding a Polygon or MultiPolygon (geometry, Feature or the
    /// first feature of a FeatureCollection), WGS-84.
    #[arg(long)]
    pub geometry: Option<PathBuf>,
    /// Travel mode: walk (5 km/h) or ebike (15 km/h); speeds come from nuanxin.toml `speeds`.
    #[arg(long, default_value = "walk")]
    pub mode: TravelMode,
    /// Travel time, minutes.
    #[arg(long, default_value_t = 5.0, allow_hyphen_values = true)]
    pub minutes: f64,
    /// Station kinds that count (repeatable); default all kinds.
    #[arg(long = "kind")]
    pub kinds: Vec<ServiceKind>,
    /// H3 resolution 0..=15 (9: cells of 0.105 km², edge ≈ 201 m).
    #[arg(long, default_value_t = analysis::DEFAULT_RESOLUTION, allow_hyphen_values = true)]
    pub resolution: u8,
    /// Only stations open at this time: RFC 3339 with an offset (2026-12-01T02:00+08:00) or
    /// Beijing time without one (2026-12-01T02:00).
    #[arg(long, alias = "open-at")]
    pub at: Option<String>,
    /// Write the gap polygons (GeoJSON FeatureCollection) to this file.
    #[arg(long)]
    pub gaps: Option<PathBuf>,
    /// Propose this many new sites (greedy maximal covering).
    #[arg(long, default_value_t = 0)]
    pub propose: usize,
    /// Candidate sites: `auto` (cells holding demand when there is demand, else uncovered
    /// cells; default), `demand` (cells holding demand), `uncovered`, `all`, or a GeoJSON file
    /// of Point features (WGS-84, optional `id`).
    #[arg(long, default_value = "auto")]
    pub candidates: String,
    /// Demand: `builtup` (建筑量, GHSL built volume, urban core only), `pickups` (取餐点, OSM
    /// food and shop POIs), or a file: GeoJSON Point features weighted by `--weight-property`,
    /// or CSV with columns 经度,纬度,权重 (WGS-84).
    #[arg(long)]
    pub demand: Option<String>,
    /// Name of the demand weight property (missing → 1).
    #[arg(long, default_value = "weight")]
    pub weight_property: String,
    /// Service points file (GeoJSON, CSV, XLSX); default the embedded demo data.
    #[arg(long, conflicts_with = "db")]
    pub data: Option<PathBuf>,
    /// Use the service points stored in this database (as `nuanxin serve --db` serves them).
    #[arg(long)]
    pub db: Option<PathBuf>,
    /// Write the proposals to this file: `.csv` (Excel, UTF-8 with BOM, CRLF) or `.geojson`;
    /// both hold WGS-84 and GCJ-02 (高德) coordinates.
    #[arg(long)]
    pub proposals_out: Option<PathBuf>,
    /// Coordinate system of `--data`.
    #[arg(long, default_value = "wgs84")]
    pub crs: Crs,
    /// Refuse areas needing more cells than this.
    #[arg(long, default_value_t = analysis::DEFAULT_MAX_CELLS)]
    pub max_cells: usize,
    /// Print the whole report as JSON instead of tables.
    #[arg(long)]
    pub json: bool,
    /// Write the maximal-covering instance (uncovered cells, candidates, coverage sets) and
    /// the greedy solution as JSON to this file, for comparison with exact solvers.
    #[arg(long, hide = true)]
    pub export_mclp: Option<PathBuf>,
    /// Print the seconds spent in each stage to stderr.
    #[arg(long)]
    pub timings: bool,
    /// Reach model: `straight_line` (circles of speed × minutes, 直线) or `network` (travel
    /// time along roads, 沿道路; needs the road graph of --db, see `nuanxin roads import`).
    #[arg(long, default_value = "straight_line", value_parser = ["straight_line", "network"])]
    pub model: String,
    /// Road graph file for `--model network` (default: `<db>.roads`).
    #[arg(long)]
    pub roads: Option<PathBuf>,
    /// Largest distance from a station or a cell centre to a road, metres (`--model network`).
    #[arg(long, default_value_t = nuanxin::routing::DEFAULT_MAX_SNAP_M)]
    pub max_snap_m: f64,
}

/// A progress bar on stderr (indicatif) that also records when each stage started.
pub(crate) struct Bar(
    pub(crate) indicatif::ProgressBar,
    std::sync::Mutex<Vec<(String, std::time::Instant)>>,
);

impl Bar {
    /// A bar showing the stage, position and total.
    pub(crate) fn new() -> Self {
        let bar = indicatif::ProgressBar::new(1).with_style(
            // A constant template (checked by every CLI coverage test); the default bar if not.
            indicatif::ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} {elapsed}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        Bar(bar, Default::default())
    }

    /// Seconds spent in each stage, in order.
    fn timings(&self) -> Vec<(String, f64)> {
        let mut v = self.1.lock().unwrap_or_else(|p| p.into_inner()).clone();
        v.push(("end".into(), std::time::Instant::now()));
        v.windows(2)
            .map(|w| (w[0].0.clone(), (w[1].1 - w[0].1).as_secs_f64()))
            .collect()
    }
}

impl Progress for Bar {
    fn start(&self, stage: &str, total: u64) {
        self.1
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((stage.to_string(), std::time::Instant::now()));
        self.0.set_message(stage.to_string());
        self.0.set_position(0);
        self.0.set_length(total);
    }
    fn advance(&self, n: u64) {
        self.0.inc(n);
    }
}

/// The JSON of the file `path` (`--geometry`, `--candidates`).
///
/// # Errors
/// The file cannot be read, or is not JSON: its name, the line and column, Chinese then
/// English.
fn read_json(path: &std::path::Path) -> anyhow::Result<serde_json::Value> {
    let text = super::files::read_to_string(path)?;
    serde_json::from_str(&text).map_err(|e| {
        let (line, column) = (e.line(), e.column());
        // serde's text ends with its own ` at line L column C`
        let why = e.to_string();
        let suffix = format!(" at line {line} column {column}");
        let why = why.strip_suffix(&suffix).unwrap_or(&why);
        anyhow::anyhow!(super::messages::about_file(
            &path.display().to_string(),
            &format!("不是有效的 JSON：第 {line} 行第 {column} 列有误"),
            &format!("not valid JSON: line {line}, column {column}: {why}"),
        ))
    })
}

/// An error in the content of the coverage input file `path` (`--geometry`,
/// `--candidates`): the file, the feature and field at fault (`e.path`, a JSON path such as
/// `candidates.features[2].geometry`) and the reason, Chinese then English.
fn input_error(path: &std::path::Path, e: input::InputError) -> anyhow::Error {
    // the JSON path within the file: without the argument's name
    let within = e
        .path
        .split_once('.')
        .map_or("", |(_, rest)| rest)
        .to_string();
    let feature = within
        .strip_prefix("features[")
        .and_then(|r| r.split_once(']'))
        .and_then(|(n, rest)| Some((n.parse::<usize>().ok()?, rest.trim_start_matches('.'))));
    let place_zh = match feature {
        Some((i, "")) => format!("第 {} 个要素：", i + 1),
        Some((i, field)) => format!("第 {} 个要素，字段 {field}：", i + 1),
        None if within.is_empty() => String::new(),
        None => format!("{within}："),
    };
    let place_en = if within.is_empty() {
        String::new()
    } else {
        format!("{within}: ")
    };
    let reason_zh = super::messages::reason_zh(&e.msg).unwrap_or_else(|| "内容有误".to_string());
    anyhow::anyhow!(super::messages::about_file(
        &path.display().to_string(),
        &format!("{place_zh}{reason_zh}"),
        &format!("{place_en}{}", e.msg),
    ))
}

/// The area polygon of a GeoJSON file: a Polygon or MultiPolygon, a Feature of one, or the
/// first feature of a FeatureCollection.
fn read_area_geometry(path: &std::path::Path) -> anyhow::Result<geo::MultiPolygon<f64>> {
    let v = read_json(path)?;
    let g = match v["type"].as_str() {
        Some("FeatureCollection") => &v["features"][0],
        _ => &v,
    };
    input::polygons("geometry", g).map_err(|e| input_error(path, e))
}

/// An error of the library, its reason in the language in force (the catalogue's templates).
fn translated(e: impl std::fmt::Display) -> anyhow::Error {
    anyhow::anyhow!(super::messages::reason(&e.to_string()))
}

/// An error of the analysis in the language in force: a usage error (exit code 2) when the
/// arguments asked for something impossible (an unknown `--adcode`, an area too large for
/// `--resolution`), else a failure (bad demand data, an area geometry that does not tile).
fn analysis_error(e: nuanxin::coverage::CoverageError) -> anyhow::Error {
    use nuanxin::coverage::CoverageError as E;
    let arguments = matches!(
        e,
        E::UnknownAdcode(_)
            | E::InvalidBbox(_)
            | E::BadRadius(_)
            | E::BadResolution(_)
            | E::TooManyCells { .. }
            | E::InstanceTooLarge { .. }
    );
    if arguments {
        super::usage(super::messages::reason(&e.to_string()))
    } else {
        translated(e)
    }
}

/// A district's name in the language in force (the library names the cells outside every
/// district `区域外`).
fn district_name(name: &str) -> String {
    if name == "区域外" {
        text(&Msg::OutsideDistricts)
    } else {
        name.to_string()
    }
}

/// The analysis's warning in the language in force: the library words most in English (the
/// catalogue translates them); one is written in both languages, Chinese sentence first.
fn warning(w: &str) -> String {
    let zh = super::lang::current() == super::lang::Lang::Zh;
    match w.split_once("。The ") {
        Some((zh_part, _)) if zh => format!("{zh_part}。"),
        Some((_, en_part)) => format!("The {en_part}"),
        None => super::messages::reason(w),
    }
}

fn print_report(r: &CoverageReport) {
    use super::table::{render, Align::*};
    let zh = super::lang::current() == super::lang::Lang::Zh;
    let area = match (&r.area.name, &r.area.adcode) {
        (Some(name), Some(adcode)) => text(&Msg::NamedArea { name, adcode }),
        _ => text(&Msg::AreaKind(&r.area.kind)),
    };
    println!(
        "{}",
        text(&Msg::CoverageSummary {
            area: &area,
            travel: r
                .parameters
                .mode
                .map(|m| m.as_str())
                .zip(r.parameters.minutes),
            network: r.parameters.model == "network",
            radius_m: r.parameters.radius_m,
            resolution: r.parameters.resolution,
            cells: r.summary.cells,
            edge_m: r.parameters.cell_edge_m,
            boundary_km2: r.area.boundary_area_km2,
        })
    );
    let kinds = r
        .parameters
        .kinds
        .iter()
        .map(|k| if zh { k.label_zh() } else { k.as_str() })
        .collect::<Vec<_>>()
        .join(if zh { "、" } else { ", " });
    println!(
        "{}",
        text(&Msg::CoverageStations {
            kinds: &kinds,
            n: r.summary.stations.to_string(),
        })
    );
    if let Some(at) = r.parameters.open_at {
        println!("{}", text(&Msg::OpenAt(&at.to_string())));
    }
    if let (Some(d), Some(a)) = (&r.parameters.demand, &r.parameters.demand_attribution) {
        let layer = match DemandLayer::parse(d) {
            Some(l) if zh => format!("{}（{d}）", l.label_zh()),
            _ => d.clone(),
        };
        let d = &layer;
        println!(
            "{}",
            text(&Msg::Demand {
                layer: d,
                attribution: a
            })
        );
    }
    for w in &r.warnings {
        println!("{}", text(&Msg::AnalysisWarning(&warning(w))));
    }
    println!();
    let demand = r.summary.demand_total.is_some();
    if demand {
        println!("{}", text(&Msg::DemandShareNote));
    }
    let base = headers(Table::Coverage);
    let mut header: Vec<&str> = base[..2].to_vec();
    let mut align = vec![Left, Left];
    if demand {
        header.extend(headers(Table::CoverageDemand));
        align.extend([Right, Right, Right]);
    }
    header.extend(&base[2..]);
    align.extend([Right, Right, Right]);
    let row = |code: &str,
               name: String,
               d: (Option<f64>, Option<f64>, Option<f64>),
               cover: (f64, f64, f64)| {
        let mut cells = vec![code.to_string(), name];
        if demand {
            cells.push(d.0.map_or_else(|| text(&Msg::NoData), |p| format!("{p:.1}")));
            cells.push(format!("{:.1}", d.1.unwrap_or(0.0)));
            cells.push(format!("{:.1}", d.2.unwrap_or(0.0)));
        }
        cells.push(format!("{:.1}", cover.0));
        cells.push(format!("{:.2}", cover.1));
        cells.push(format!("{:.2}", cover.2));
        cells
    };
    let mut rows: Vec<Vec<String>> = r
        .districts
        .iter()
        .map(|d| {
            row(
                d.adcode.as_deref().unwrap_or("-"),
                district_name(&d.name),
                (
                    d.demand_covered_percent,
                    d.demand_data_percent,
                    d.demand_total,
                ),
                (d.covered_percent, d.area_km2, d.covered_km2),
            )
        })
        .collect();
    let s = &r.summary;
    rows.push(row(
        "",
        text(&Msg::Total),
        (
            s.demand_covered_percent,
            s.demand_data_percent,
            s.demand_total,
        ),
        (s.covered_percent, s.area_km2, s.covered_km2),
    ));
    for l in render(&header, &rows, &align) {
        println!("{l}");
    }
    if !r.proposals.is_empty() {
        println!();
        println!(
            "{}",
            text(&Msg::ProposalsHeading(&text(&Msg::Candidates(
                &r.parameters.candidates
            ))))
        );
        println!("{}", text(&Msg::ProposalCoordinates));
        let rows: Vec<Vec<String>> = r
            .proposals
            .iter()
            .map(|p| {
                let g = nuanxin::crs::wgs84_to_gcj02(p.location);
                vec![
                    p.rank.to_string(),
                    format!("{:.6}", p.location.lon),
                    format!("{:.6}", p.location.lat),
                    format!("{:.6}", g.lon),
                    format!("{:.6}", g.lat),
                    p.adcode.as_deref().unwrap_or("-").to_string(),
                    format!("{:.3}", p.added_km2),
                    format!("{:.1}", p.covered_percent_after),
                    p.demand_covered_percent_after
                        .map_or_else(|| "-".to_string(), |d| format!("{d:.1}")),
                ]
            })
            .collect();
        let align = [Right, Right, Right, Right, Right, Left, Right, Right, Right];
        for l in render(headers(Table::Proposals), &rows, &align) {
            println!("{l}");
        }
    }
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<()> {
    let args = *args.inner;
    let area = if let Some(a) = &args.adcode {
        AreaSpec::Adcode(a.clone())
    } else if let Some(b) = &args.bbox {
        AreaSpec::Bbox(Bbox::parse(b).map_err(|e| {
            super::usage(format!(
                "--bbox: {}",
                super::messages::reason(&e.to_string())
            ))
        })?)
    } else if let Some(g) = &args.geometry {
        AreaSpec::Geometry(read_area_geometry(g)?)
    } else {
        return Err(super::usage(text(&Msg::NeedArea)));
    };
    if !(args.minutes.is_finite() && args.minutes > 0.0) {
        return Err(super::usage(text(&Msg::BadMinutes(args.minutes))));
    }
    // the ranges of POST /api/v1/coverage (server::coverage), so that the command and the API
    // refuse the same requests
    use nuanxin::server::coverage::{MAX_MINUTES, MAX_PROPOSE, MIN_MINUTES};
    if !(MIN_MINUTES..=MAX_MINUTES).contains(&args.minutes) {
        return Err(super::usage(text(&Msg::OutOfRange {
            flag: "--minutes",
            range: "0.1–120",
            got: nuanxin::error::shown_number(args.minutes),
        })));
    }
    if args.propose > MAX_PROPOSE {
        return Err(super::usage(text(&Msg::OutOfRange {
            flag: "--propose",
            range: "0–1000",
            got: args.propose.to_string(),
        })));
    }
    let speeds = super::configured_speeds()?;
    // the remaining argument checks before any data is read
    let open_at = match &args.at {
        None => None,
        Some(s) => Some(nuanxin::coverage::hours::parse_at(s).map_err(|e| {
            super::usage(format!("--at: {}", super::messages::reason(&e.to_string())))
        })?),
    };
    let resolution = nuanxin::coverage::resolution(args.resolution)
        .map_err(|e| super::usage(super::messages::reason(&e.to_string())))?;
    let (points, source) = super::points::load(args.db.as_deref(), args.data.as_deref(), args.crs)?;
    if !args.json {
        eprintln!("{}", text(&Msg::ServicePoints(&source)));
    }
    let index = ServiceIndex::new(points)?;
    let mut options = CoverageOptions::new(speeds.radius_m(args.mode, args.minutes));
    options.travel = Some((args.mode, args.minutes));
    if args.model == "network" {
        let graph = super::roads::load_graph(args.db.as_deref(), args.roads.as_deref())?;
        options.network = Some(nuanxin::coverage::NetworkModel {
            graph: std::sync::Arc::new(graph),
            speeds,
            max_snap_m: args.max_snap_m,
        });
    }
    options.filter = Filter {
        kinds: args.kinds.clone(),
        open_at,
        ..Filter::default()
    };
    options.resolution = resolution;
    options.max_cells = args.max_cells;
    options.propose = args.propose;
    options.gaps = args.gaps.is_some() || args.json;
    options.candidates = match input::candidate_rule(&args.candidates) {
        Some(rule) => rule,
        None => {
            let path = PathBuf::from(&args.candidates);
            let v = read_json(&path)?;
            Candidates::Sites(input::sites("candidates", &v).map_err(|e| input_error(&path, e))?)
        }
    };
    if let Some(d) = &args.demand {
        match DemandLayer::parse(d) {
            Some(layer) => options.demand_layer = Some(layer),
            None => {
                let path = PathBuf::from(d);
                if !path.exists() {
                    return Err(super::usage(text(&Msg::BadDemand(d))));
                }
                let bytes = super::files::read(&path)?;
                options.demand = read_demand_file(d, &bytes, &args.weight_property)
                    .with_context(|| format!("--demand {}", path.display()))?;
            }
        }
    }
    let districts = Districts::embedded();

    if let Some(path) = &args.export_mclp {
        let (inst, chosen, added, secs) =
            analysis::maximal_covering_instance(&index, districts, &area, &options)?;
        let out = serde_json::json!({
            "instance": inst,
            "greedy": {"chosen": chosen, "added_weight": added, "seconds": secs},
        });
        super::files::write(path, serde_json::to_vec(&out)?)?;
        eprintln!(
            "wrote {}: {} demand cells, {} candidates, greedy added {added:.4} in {secs:.3} s",
            path.display(),
            inst.weights.len(),
            inst.candidates.len()
        );
        return Ok(());
    }

    let progress = Bar::new();
    let report =
        analysis::analyze(&index, districts, &area, &options, &progress).map_err(analysis_error)?;
    progress.0.finish_and_clear();
    if args.timings {
        for (stage, s) in progress.timings() {
            eprintln!("{stage:>12}: {s:.3} s");
        }
    }

    if let Some(path) = &args.gaps {
        super::files::write(path, serde_json::to_vec(&report.gaps)?)?;
    }
    if let Some(path) = &args.proposals_out {
        let now = chrono::Utc::now().fixed_offset();
        let geo = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("geojson") || e.eq_ignore_ascii_case("json"));
        let body = if geo {
            serde_json::to_string_pretty(&nuanxin::coverage::export::proposals_geojson(
                &report, districts, now,
            ))?
        } else {
            nuanxin::coverage::export::proposals_csv(&report, districts, now)
        };
        super::files::write(path, body)?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print_report(&report);
        if let Some(path) = &args.gaps {
            println!();
            println!(
                "{}",
                text(&Msg::GapPolygons {
                    path: &path.display().to_string(),
                    n: report.gaps["features"].as_array().map_or(0, Vec::len),
                })
            );
        }
    }
    Ok(())
}
