//! The metrics exposition formats and the families every Prometheus client exports.
//!
//! - **Process metrics** (the names of the Prometheus client libraries' process collector,
//!   <https://prometheus.io/docs/instrumenting/writing_clientlibs/#process-metrics>):
//!   `process_cpu_seconds_total`, `process_resident_memory_bytes`,
//!   `process_virtual_memory_bytes`, `process_start_time_seconds`, `process_open_fds`,
//!   `process_max_fds`, `process_threads`. Read from Linux `/proc/self` at each scrape; on
//!   other systems (no `/proc`) they are left out.
//! - **`nuanxin_build_info`**: a constant 1 labelled with `version` (the crate version) and
//!   `rustc` (the minimum supported Rust version of the workspace), the usual way to join a
//!   build's identity onto other series.
//! - **Formats**: OpenMetrics 1.0.0 (`application/openmetrics-text; version=1.0.0`) when the
//!   `Accept` header asks for it, as Prometheus does; otherwise the classic text format 0.0.4
//!   (`text/plain; version=0.0.4`) that `promtool check metrics`, older scrapers and people
//!   read. [`to_text_004`] derives the classic text from the OpenMetrics text: counters'
//!   HELP/TYPE take the `_total` sample name, `info` families become gauges named `_info`, and
//!   `# UNIT` and `# EOF` lines are dropped (format references:
//!   <https://prometheus.io/docs/instrumenting/exposition_formats/> and
//!   <https://github.com/OpenObservability/OpenMetrics/blob/main/specification/OpenMetrics.md>).

use std::fmt::Write as _;

/// Content type of the OpenMetrics text format.
pub const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
/// Content type of the classic Prometheus text format.
pub const TEXT_004: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Whether an `Accept` header value asks for OpenMetrics (a media range
/// `application/openmetrics-text` with a quality above 0).
pub fn wants_openmetrics(accept: &str) -> bool {
    accept.split(',').any(|range| {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or("");
        media.eq_ignore_ascii_case("application/openmetrics-text")
            && parts
                .filter_map(|p| p.strip_prefix("q="))
                .all(|q| q.parse::<f64>().map_or(true, |q| q > 0.0))
    })
}

/// Appends one OpenMetrics family of a single unlabelled sample.
fn family(out: &mut String, name: &str, kind: &str, unit: Option<&str>, help: &str, value: f64) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
    if let Some(u) = unit {
        let _ = writeln!(out, "# UNIT {name} {u}");
    }
    let suffix = if kind == "counter" { "_total" } else { "" };
    let _ = writeln!(out, "{name}{suffix} {value}");
}

/// Fields of `/proc/self/stat` after the command name (which may hold spaces), 0-based from
/// field 3 (`state`).
fn proc_stat_fields(stat: &str) -> Option<Vec<&str>> {
    let after = &stat[stat.rfind(')')? + 1..];
    Some(after.split_whitespace().collect())
}

/// Clock ticks per second of `/proc` times: `USER_HZ`, 100 on every Linux architecture the
/// kernel ABI documents (proc(5)).
const USER_HZ: f64 = 100.0;

/// The process families as OpenMetrics text, or an empty string without `/proc`.
pub fn process_families() -> String {
    let mut out = String::new();
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return out;
    };
    let Some(f) = proc_stat_fields(&stat) else {
        return out;
    };
    // proc(5): utime (14), stime (15), num_threads (20), starttime (22), vsize (23); field
    // n is at index n - 3 here.
    let num = |n: usize| f.get(n - 3).and_then(|v| v.parse::<f64>().ok());
    if let (Some(u), Some(s)) = (num(14), num(15)) {
        family(
            &mut out,
            "process_cpu_seconds",
            "counter",
            Some("seconds"),
            "Total user and system CPU time spent in seconds.",
            (u + s) / USER_HZ,
        );
    }
    if let Some(v) = num(23) {
        family(
            &mut out,
            "process_virtual_memory_bytes",
            "gauge",
            Some("bytes"),
            "Virtual memory size in bytes.",
            v,
        );
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    if let Some(kb) = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
    {
        family(
            &mut out,
            "process_resident_memory_bytes",
            "gauge",
            Some("bytes"),
            "Resident memory size in bytes.",
            kb * 1024.0,
        );
    }
    let btime = std::fs::read_to_string("/proc/stat").ok().and_then(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("btime "))
            .and_then(|v| v.trim().parse::<f64>().ok())
    });
    if let (Some(b), Some(start)) = (btime, num(22)) {
        family(
            &mut out,
            "process_start_time_seconds",
            "gauge",
            Some("seconds"),
            "Start time of the process since unix epoch in seconds.",
            b + start / USER_HZ,
        );
    }
    if let Ok(dir) = std::fs::read_dir("/proc/self/fd") {
        family(
            &mut out,
            "process_open_fds",
            "gauge",
            None,
            "Number of open file descriptors.",
            dir.count() as f64,
        );
    }
    let limits = std::fs::read_to_string("/proc/self/limits").unwrap_or_default();
    if let Some(max) = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|v| v.parse::<f64>().ok())
    {
        family(
            &mut out,
            "process_max_fds",
            "gauge",
            None,
            "Maximum number of open file descriptors.",
            max,
        );
    }
    if let Some(t) = num(20) {
        family(
            &mut out,
            "process_threads",
            "gauge",
            None,
            "Number of OS threads in the process.",
            t,
        );
    }
    out
}

/// The build-info family as OpenMetrics text (`info` type, sample `nuanxin_build_info`).
pub fn build_info_family() -> String {
    format!(
        "# HELP nuanxin_build Version of this build.\n# TYPE nuanxin_build info\nnuanxin_build_info{{version=\"{}\",rustc=\"{}\"}} 1\n",
        env!("CARGO_PKG_VERSION"),
        env!("CARGO_PKG_RUST_VERSION"),
    )
}

/// Inserts `extra` OpenMetrics families before the final `# EOF` line of `text`.
pub fn with_families(mut text: String, extra: &str) -> String {
    let eof = text.rfind("# EOF").unwrap_or(text.len());
    text.insert_str(eof, extra);
    if !text.ends_with("# EOF\n") {
        text.push_str("# EOF\n");
    }
    text
}

/// Converts OpenMetrics text into the classic text format 0.0.4 (see the module docs).
pub fn to_text_004(openmetrics: &str) -> String {
    use std::collections::HashMap;
    let mut kinds: HashMap<&str, &str> = HashMap::new();
    for l in openmetrics.lines() {
        if let Some(rest) = l.strip_prefix("# TYPE ") {
            if let Some((name, kind)) = rest.split_once(' ') {
                kinds.insert(name, kind);
            }
        }
    }
    let classic_name = |name: &str| -> (String, &str) {
        match kinds.get(name).copied() {
            Some("counter") => (format!("{name}_total"), "counter"),
            Some("info") => (format!("{name}_info"), "gauge"),
            Some("histogram") => (name.to_string(), "histogram"),
            Some("summary") => (name.to_string(), "summary"),
            Some("gauge") => (name.to_string(), "gauge"),
            _ => (name.to_string(), "untyped"),
        }
    };
    let mut out = String::with_capacity(openmetrics.len());
    for l in openmetrics.lines() {
        if l == "# EOF" || l.starts_with("# UNIT ") {
            continue;
        }
        if let Some(rest) = l.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap_or((rest, ""));
            let _ = writeln!(out, "# HELP {} {help}", classic_name(name).0);
        } else if let Some(rest) = l.strip_prefix("# TYPE ") {
            let name = rest.split_once(' ').map_or(rest, |(n, _)| n);
            let (n, k) = classic_name(name);
            let _ = writeln!(out, "# TYPE {n} {k}");
        } else {
            out.push_str(l);
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_negotiation() {
        // Prometheus 2.x's scrape Accept header.
        assert!(wants_openmetrics("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"));
        assert!(!wants_openmetrics("text/plain;version=0.0.4"));
        assert!(!wants_openmetrics("*/*"));
        assert!(!wants_openmetrics(""));
        assert!(!wants_openmetrics("application/openmetrics-text;q=0"));
    }

    #[test]
    fn classic_text_renames_counters_and_infos_and_drops_unit_and_eof() {
        let om = "# HELP a_requests Requests.\n# TYPE a_requests counter\na_requests_total{x=\"1\"} 2\n\
                  # HELP a_lat Latency.\n# TYPE a_lat histogram\n# UNIT a_lat seconds\na_lat_sum 1.0\n\
                  # HELP a_build Build.\n# TYPE a_build info\na_build_info{version=\"1\"} 1\n# EOF\n";
        let classic = to_text_004(om);
        assert_eq!(
            classic,
            "# HELP a_requests_total Requests.\n# TYPE a_requests_total counter\na_requests_total{x=\"1\"} 2\n\
             # HELP a_lat Latency.\n# TYPE a_lat histogram\na_lat_sum 1.0\n\
             # HELP a_build_info Build.\n# TYPE a_build_info gauge\na_build_info{version=\"1\"} 1\n"
        );
    }

    #[test]
    fn process_families_on_linux() {
        if !std::path::Path::new("/proc/self/stat").exists() {
            return;
        }
        let t = process_families();
        for name in [
            "process_cpu_seconds_total ",
            "process_resident_memory_bytes ",
            "process_start_time_seconds ",
            "process_open_fds ",
            "process_max_fds ",
            "process_threads ",
        ] {
            assert!(t.contains(name), "{name} missing in {t}");
        }
        // The start time lies between the epoch of this code's writing and now.
        let start: f64 = t
            .lines()
            .find_map(|l| l.strip_prefix("process_start_time_seconds "))
            .unwrap()
            .parse()
            .unwrap();
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64();
        assert!(start > 1.7e9 && start <= now + 1.0, "{start}");
    }

    #[test]
    fn command_names_with_spaces_and_parentheses() {
        let stat = "42 (a b) c) S 1 2 3 4 5 6 7 8 9 10 11 12";
        assert_eq!(proc_stat_fields(stat).unwrap()[0], "S");
    }
}
