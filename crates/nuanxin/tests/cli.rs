//! The command-line tool under hostile or unusual conditions (issue 15): oversized imports
//! end in a clear error, a closed standard output ends a command quietly.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[path = "../../nuanxin-core/tests/support/xlsx.rs"]
mod xlsx_support;

fn nuanxin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_nuanxin"));
    c.env_remove("RUST_LOG").env_remove("NUANXIN_DB_PATH");
    c
}

/// `serve --data` with the 7.6 KB workbook holding one cell at XFD1048576 used to abort at
/// start-up (a 512 GiB allocation); now it ends with an error naming the cell, before it
/// listens.
#[test]
fn serve_data_with_a_cell_at_xfd1048576_ends_in_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let far = format!(
        r#"<row r="1048576">{}</row>"#,
        xlsx_support::inline("XFD1048576", "x")
    );
    let file = dir.path().join("stations.xlsx");
    std::fs::write(
        &file,
        xlsx_support::xlsx(&xlsx_support::sheet("A1:D2", &far)),
    )
    .unwrap();
    let started = Instant::now();
    let out = nuanxin()
        .args(["serve", "--listen", "127.0.0.1:0", "--data"])
        .arg(&file)
        .arg("--db")
        .arg(dir.path().join("n.db"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("XFD1048576"), "{stderr}");
    assert!(
        !stderr.contains("panicked") && !stderr.contains("memory allocation"),
        "{stderr}"
    );
    assert!(started.elapsed() < Duration::from_secs(30));
    // nothing was listening: the banner never printed
    assert!(!String::from_utf8_lossy(&out.stdout).contains("Listening"));
}

/// `nuanxin nearest … | head -0`: the reader is gone before the table is written. The
/// command used to panic ("failed printing to stdout: Broken pipe", exit 101); it now ends
/// quietly, by SIGPIPE like any Unix tool.
#[test]
fn a_closed_stdout_ends_the_cli_quietly() {
    let mut child = nuanxin()
        .args(["nearest", "--lon", "112.97", "--lat", "28.19", "-k", "50"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the read end at once, before the command writes anything.
    drop(child.stdout.take());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr, "", "nothing on stderr");
    #[cfg(unix)]
    {
        use std::os::unix::process::ExitStatusExt;
        assert!(
            status.success() || status.signal() == Some(libc::SIGPIPE),
            "{status:?}"
        );
    }
}
