//! `nuanxin import FILE`: check a GeoJSON, CSV or XLSX file of service points and report
//! every problem as `line N, field F: reason`; with `--db`, store the accepted points in the
//! database the server serves from; optionally write them as WGS-84 GeoJSON. Exits non-zero
//! when the import is rejected (then nothing is stored).

use super::messages::{self, text, Msg};
use anyhow::Context;
use nuanxin::crs::Crs;
use nuanxin::import::{
    import_file_to, GeoJsonWriter, ImportError, ImportOptions, ImportReport, Issue,
};
use nuanxin::model::ServiceKind;
use nuanxin::suggestions::PointImportMode;
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

/// Runs the subcommand. The file is read as a stream (record by record); with `--db` each
/// accepted point is stored as soon as it is checked, inside ONE transaction that commits
/// only when the whole file was accepted (all or nothing, durable when this returns), and
/// with `--out` it is written as soon as it is checked (the file is removed when the import
/// is rejected). Memory does not grow with the file.
pub fn run(args: Args) -> anyhow::Result<()> {
    let opts = args.limits.apply(ImportOptions {
        crs: args.crs,
        default_kind: args.kind,
        skip_invalid: args.skip_invalid,
        service_area: args.service_area.clone(),
        ..ImportOptions::default()
    });
    let mut out = match &args.out {
        Some(path) => Some(GeoJsonWriter::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| text(&Msg::Writing(&path.display().to_string())))?,
        ))),
        None => None,
    };
    let out_failed = |e: std::io::Error| ImportError::Io {
        path: args
            .out
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        source: e,
    };
    let db = args
        .db
        .as_ref()
        .map(|db| {
            let shown = nuanxin::suggestions::Location::redacted(db);
            let store = nuanxin::suggestions::Store::open(db)
                .with_context(|| text(&Msg::OpeningDatabase(&shown)))?;
            anyhow::Ok((store, shown))
        })
        .transpose()?;
    // rows marked 演示数据 (demo): `serve --no-demo` hides them, so the summary says so
    let mut demo_rows = 0usize;
    let result = match &db {
        None => import_file_to(&args.file, &opts, &mut |p| {
            demo_rows += usize::from(p.demo);
            match &mut out {
                Some(w) => w.write(&p).map_err(out_failed),
                None => Ok(()),
            }
        })
        .map(|r| (r, None)),
        Some((store, _)) => {
            let mode = PointImportMode {
                remove_kinds: if args.replace {
                    args.kind.into_iter().collect()
                } else {
                    Vec::new()
                },
                remove_kinds_seen: args.replace,
            };
            store
                .import_points_streamed(mode, None, |put| {
                    import_file_to(&args.file, &opts, &mut |p| {
                        demo_rows += usize::from(p.demo);
                        put(&p)?;
                        match &mut out {
                            Some(w) => w.write(&p).map_err(out_failed),
                            None => Ok(()),
                        }
                    })
                })
                .map(|(r, counts)| (r, Some(counts)))
        }
    };
    let (report, counts) = match result {
        Ok(r) => r,
        Err(e) => {
            if let Some(path) = &args.out {
                drop(out);
                let _ = std::fs::remove_file(path);
            }
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
                return Err(anyhow::anyhow!(messages::import_error(&e)));
            }
            let err = Err(anyhow::anyhow!(messages::import_error(&e)));
            return match &db {
                Some((_, shown)) if matches!(e, ImportError::Store(_)) => err.with_context(|| {
                    text(&if args.replace {
                        Msg::ReplacingPoints(shown)
                    } else {
                        Msg::StoringPoints(shown)
                    })
                }),
                // a file that cannot be read: the message names it already
                _ if matches!(e, ImportError::Io { .. }) => err,
                _ => err.with_context(|| text(&Msg::Importing(&args.file.display().to_string()))),
            };
        }
    };
    if let Some(w) = out {
        w.finish().with_context(|| {
            text(&Msg::Writing(
                &args
                    .out
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
            ))
        })?;
    }
    if args.json {
        let v = serde_json::json!({
            "file": args.file.display().to_string(),
            "accepted": true,
            "crs": report.crs,
            "encoding": report.encoding,
            "records": report.records,
            "imported": report.accepted,
            "issues": report.issues,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        print_summary(&args, &report);
    }
    if !args.json {
        match (&db, counts) {
            (Some((_, shown)), Some(c)) if args.replace => {
                let mut kinds: Vec<ServiceKind> = report.accepted_by_kind.keys().copied().collect();
                kinds.extend(args.kind);
                kinds.sort_by_key(|k| k.as_str());
                kinds.dedup();
                let names: Vec<&str> = kinds.iter().map(|k| k.label_zh()).collect();
                println!(
                    "{}",
                    text(&Msg::Replaced {
                        kinds: &names.join("、"),
                        db: shown,
                        removed: c.removed,
                        stored: c.stored,
                    })
                );
            }
            (Some((_, shown)), Some(c)) => println!(
                "{}",
                text(&Msg::Stored {
                    n: c.stored,
                    db: shown,
                    new: c.stored - c.replaced,
                    replaced: c.replaced,
                })
            ),
            _ => println!("{}", text(&Msg::CheckedOnly)),
        }
        if demo_rows > 0 {
            println!("{}", text(&Msg::DemoRows(demo_rows)));
        }
        if let Some(path) = &args.out {
            println!(
                "{}",
                text(&Msg::Wrote {
                    n: report.accepted,
                    path: &path.display().to_string(),
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
            accepted: report.accepted,
            rejected: report.rejected_records(),
            warnings: report.warnings().count(),
            crs: report.crs.as_str(),
        })
    );
    if let Some(enc) = report.encoding {
        println!("{}", text(&Msg::Encoding(enc)));
    }
    // In the order of ServiceKind::ALL (the map's key order).
    for (k, &n) in &report.accepted_by_kind {
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
    print_issues(&report.issues);
}
