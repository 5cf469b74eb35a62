//! `nuanxin import FILE`: check a GeoJSON, CSV or XLSX file of service points and report
//! every problem as `line N, field F: reason`; with `--db`, store the accepted points in the
//! database the server serves from; optionally write them as WGS-84 GeoJSON. Exits non-zero
//! when the import is rejected (then nothing is stored).

use super::messages::{self, text, Msg};
use anyhow::Context;
use nuanxin::crs::Crs;
use nuanxin::import::{import_file, to_geojson, ImportError, ImportOptions, ImportReport, Issue};
use nuanxin::model::ServiceKind;
use std::path::PathBuf;

/// Arguments.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The file: .geojson/.json, .csv (UTF-8, UTF-8 with BOM or GBK) or .xlsx.
    file: PathBuf,
    /// Coordinate system of the file: wgs84 (GPS, OpenStreetMap), gcj02 (Amap/高德, Tencent,
    /// WeChat) or bd09 (Baidu).
    #[arg(long, default_value = "wgs84")]
    crs: Crs,
    /// Kind for rows without a 类型/kind value: station, legal_aid, rider_friendly_community,
    /// collection_point (or the Chinese name).
    #[arg(long, value_parser = parse_kind)]
    kind: Option<ServiceKind>,
    /// Import the valid rows and list the bad ones (default: reject the whole file).
    #[arg(long)]
    skip_invalid: bool,
    /// Adcode of the service area (city such as 430100 or district such as 430102); points
    /// outside get a warning. Repeat for several.
    #[arg(long = "service-area", value_name = "ADCODE", value_parser = parse_area)]
    service_area: Vec<String>,
    /// Write the accepted points, converted to WGS-84, as GeoJSON to this file.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Store the accepted points in this database (the `--db` of `nuanxin serve`), adding
    /// new ids and replacing existing ones. Without it the file is only checked. A server
    /// that is running picks the points up at its next start.
    #[arg(long, value_name = "FILE")]
    db: Option<PathBuf>,
    /// With --db: the file is the complete list of its kinds. Every stored point of the kinds
    /// the file holds (demo points included) is removed first, in the same transaction, so
    /// old or synthetic points of those kinds are never served mixed with the new ones.
    /// Points of other kinds are kept.
    #[arg(long, requires = "db")]
    replace: bool,
    /// Size limits (raise them for a nationwide file).
    #[command(flatten)]
    limits: LimitArgs,
    /// Print the report as JSON on stdout (`records`, `imported`, `issues` with
    /// `line`/`row`/`feature`, `field`, `severity`, `reason`).
    #[arg(long)]
    json: bool,
}

/// The size limits of an import, for `nuanxin import` and `nuanxin serve --data`.
#[derive(Debug, Clone, Copy, clap::Args)]
pub struct LimitArgs {
    /// Most records in one file (default 200000). GeoJSON is read feature by feature, so
    /// memory grows with the accepted points (about 0.5 KB each), not with the file.
    #[arg(long, value_name = "N")]
    pub max_records: Option<usize>,
    /// Largest file in MiB (default 64).
    #[arg(long, value_name = "MIB")]
    pub max_file_mib: Option<u64>,
}

impl LimitArgs {
    /// `options` with these limits.
    pub fn apply(self, options: ImportOptions) -> ImportOptions {
        ImportOptions {
            max_records: self.max_records.or(options.max_records),
            max_file_bytes: self
                .max_file_mib
                .map(|m| m << 20)
                .or(options.max_file_bytes),
            ..options
        }
    }
}

fn parse_kind(s: &str) -> Result<ServiceKind, String> {
    nuanxin::import::fields::parse_kind(s).map_err(|e| messages::reason(&e.to_string()))
}

fn parse_area(s: &str) -> Result<String, String> {
    let d = nuanxin::districts::Districts::embedded();
    match d.get(s.trim()) {
        Some(_) => Ok(s.trim().to_string()),
        None => Err(text(&Msg::UnknownArea(s))),
    }
}

fn print_issues(issues: &[Issue]) {
    for i in issues {
        eprintln!("  {}", messages::issue(i));
    }
}

/// Runs the subcommand.
pub fn run(args: Args) -> anyhow::Result<()> {
    let opts = args.limits.apply(ImportOptions {
        crs: args.crs,
        default_kind: args.kind,
        skip_invalid: args.skip_invalid,
        service_area: args.service_area.clone(),
        ..ImportOptions::default()
    });
    let report = match import_file(&args.file, &opts) {
        Ok(r) => r,
        Err(e @ ImportError::Rejected { .. }) => {
            if let ImportError::Rejected {
                issues, records, ..
            } = &e
            {
                if args.json {
                    let v = serde_json::json!({
                        "file": args.file.display().to_string(),
                        "accepted": false,
                        "records": records,
                        "imported": 0,
                        "issues": issues,
                    });
                    println!("{}", serde_json::to_string_pretty(&v)?);
                } else {
                    eprintln!("{}:", args.file.display());
                    print_issues(issues);
                }
            }
            return Err(anyhow::anyhow!(messages::import_error(&e)));
        }
        Err(e) => {
            return Err(anyhow::anyhow!(messages::import_error(&e)))
                .with_context(|| text(&Msg::Importing(&args.file.display().to_string())))
        }
    };
    if args.json {
        let v = serde_json::json!({
            "file": args.file.display().to_string(),
            "accepted": true,
            "crs": report.crs,
            "encoding": report.encoding,
            "records": report.records,
            "imported": report.points.len(),
            "issues": report.issues,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print_summary(&args, &report);
    }
    if let Some(db) = &args.db {
        let shown = nuanxin::suggestions::Location::redacted(db);
        let store = nuanxin::suggestions::Store::open(db)
            .with_context(|| text(&Msg::OpeningDatabase(&shown)))?;
        if args.replace {
            let mut kinds: Vec<ServiceKind> = report.points.iter().map(|p| p.kind).collect();
            kinds.extend(args.kind);
            kinds.sort_by_key(|k| k.as_str());
            kinds.dedup();
            let removed = store
                .replace_service_points_of_kinds(&kinds, &report.points, None)
                .with_context(|| text(&Msg::ReplacingPoints(&shown)))?;
            if !args.json {
                let names: Vec<&str> = kinds.iter().map(|k| k.label_zh()).collect();
                println!(
                    "{}",
                    text(&Msg::Replaced {
                        kinds: &names.join("、"),
                        db: &shown,
                        removed,
                        stored: report.points.len(),
                    })
                );
            }
            return write_out(&args, &report);
        }
        // One transaction for the whole file: all or nothing, durable when it returns.
        let replaced = store
            .upsert_service_points(&report.points, None)
            .with_context(|| text(&Msg::StoringPoints(&shown)))?;
        if !args.json {
            println!(
                "{}",
                text(&Msg::Stored {
                    n: report.points.len(),
                    db: &shown,
                    new: report.points.len() - replaced,
                    replaced,
                })
            );
        }
    } else if !args.json {
        println!("{}", text(&Msg::CheckedOnly));
    }
    write_out(&args, &report)
}

/// Writes the accepted points as GeoJSON to `--out`, if given.
fn write_out(args: &Args, report: &ImportReport) -> anyhow::Result<()> {
    if let Some(out) = &args.out {
        std::fs::write(out, to_geojson(&report.points))
            .with_context(|| text(&Msg::Writing(&out.display().to_string())))?;
        if !args.json {
            println!(
                "{}",
                text(&Msg::Wrote {
                    n: report.points.len(),
                    path: &out.display().to_string(),
                })
            );
        }
    }
    Ok(())
}

fn print_summary(args: &Args, report: &ImportReport) {
    println!(
        "{}",
        text(&Msg::ImportSummary {
            file: &args.file.display().to_string(),
            records: report.records,
            accepted: report.points.len(),
            rejected: report.rejected_records(),
            warnings: report.warnings().count(),
            crs: report.crs.as_str(),
        })
    );
    if let Some(enc) = report.encoding {
        println!("{}", text(&Msg::Encoding(enc)));
    }
    for k in ServiceKind::ALL {
        let n = report.points.iter().filter(|p| p.kind == *k).count();
        if n > 0 {
            println!(
                "{}",
                text(&Msg::KindCount {
                    zh: k.label_zh(),
                    en: k.label_en(),
                    code: k.as_str(),
                    n,
                })
            );
        }
    }
    print_issues(&report.issues);
}
