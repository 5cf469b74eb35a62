//! The README tells the truth: every `nuanxin …` command in its `sh` blocks runs as written
//! (in a scratch directory, with the binary this build produced), every local URL it links
//! answers 200 from the application, and every `toml` block is a valid configuration. The same
//! holds for every page under `docs/` (benchmarks, architecture, roads, notifications,
//! deployment), which the README links for details.
//!
//! `serve` lines would block, so they are checked by clap with `--help` appended: the flags
//! before it must all parse. The server itself is started for real by `tests/api/` (`service.rs`).

// Test code: helpers outside #[test] functions fail the test on a failed step too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::body::Body;
use axum::http::{Request, StatusCode};
use nuanxin::index::ServiceIndex;
use nuanxin::server::{self, AppState, Config};
use nuanxin::suggestions::Store;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use tower::ServiceExt;

/// The repository's root.
fn repo() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The documents under test, `(path from the repository root, text)`: README.md, then every
/// `docs/*.md` in name order.
fn documents() -> Vec<(String, String)> {
    let root = repo();
    let mut names = vec!["README.md".to_string()];
    let mut pages: Vec<String> = std::fs::read_dir(root.join("docs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".md"))
        .map(|n| format!("docs/{n}"))
        .collect();
    pages.sort();
    names.extend(pages);
    names
        .into_iter()
        .map(|n| {
            let text = std::fs::read_to_string(root.join(&n)).unwrap();
            (n, text)
        })
        .collect()
}

/// The lines of fenced `sh` blocks of every document that invoke `nuanxin`, joined across `\`
/// continuations.
fn readme_commands() -> Vec<String> {
    documents()
        .iter()
        .flat_map(|(_, text)| sh_commands(text))
        .collect()
}

/// The lines of fenced `sh` blocks of one document that invoke `nuanxin`, joined across `\`
/// continuations.
fn sh_commands(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_sh = false;
    // A command whose line ends in `\` continues on the next line.
    let mut pending: Option<String> = None;
    for line in text.lines() {
        let t = line.trim();
        if t.starts_with("```") {
            in_sh = t == "```sh";
            continue;
        }
        if !in_sh {
            continue;
        }
        let started = match pending.take() {
            Some(mut cmd) => {
                cmd.push(' ');
                cmd.push_str(t);
                Some(cmd)
            }
            None if t.starts_with("nuanxin ") => Some(t.to_string()),
            None => None,
        };
        if let Some(cmd) = started {
            match cmd.strip_suffix('\\') {
                Some(head) => pending = Some(head.trim_end().to_string()),
                None => out.push(cmd),
            }
        }
    }
    out
}

/// Splits a shell command line into words (double quotes only, which is all the README uses).
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut any = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                any = true;
            }
            '#' if !quoted && cur.is_empty() => break,
            c if c.is_whitespace() && !quoted => {
                if any {
                    words.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            c => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        words.push(cur);
    }
    words
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[test]
fn shell_words_split_like_sh() {
    assert_eq!(
        shell_words(r#"nuanxin admin --name "芙蓉区 社工部" -k 5  # comment"#),
        ["nuanxin", "admin", "--name", "芙蓉区 社工部", "-k", "5"]
    );
}

#[test]
fn every_readme_command_runs_as_written() {
    let commands = readme_commands();
    assert!(
        commands.len() >= 6,
        "README lost its CLI examples: {commands:?}"
    );
    let scratch = tempfile::tempdir().unwrap();
    // The commands refer to the repository's sample files by relative path.
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/samples"),
        &scratch.path().join("data/samples"),
    );
    // ... and the OpenStreetMap extracts of the road walkthrough.
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/osm"),
        &scratch.path().join("tests/fixtures/osm"),
    );
    for line in commands {
        let mut words = shell_words(&line);
        let sub = words.get(1).cloned().unwrap_or_default();
        if sub == "serve" {
            words.push("--help".into());
        }
        let out = Command::new(env!("CARGO_BIN_EXE_nuanxin"))
            .args(&words[1..])
            .current_dir(scratch.path())
            .env("NUANXIN_DB_PATH", scratch.path().join("readme.db"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "README command failed: {line}\nstdout:\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !out.stdout.is_empty(),
            "README command printed nothing: {line}"
        );
    }
}

#[tokio::test]
async fn every_local_url_in_the_readme_answers() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(Store::open(&dir.path().join("t.db")).unwrap());
    let points = nuanxin::demo::demo_points();
    store.replace_service_points(&points).unwrap();
    let mut state = AppState::new(Config::default(), ServiceIndex::new(points).unwrap());
    state.store = Some(store);
    let app = server::router(state);

    let prefix = "http://127.0.0.1:8080";
    let docs = documents();
    let mut paths: Vec<String> = docs
        .iter()
        .flat_map(|(_, text)| {
            text.match_indices(prefix).map(|(i, _)| {
                text[i + prefix.len()..]
                    .chars()
                    .take_while(|c| {
                        !c.is_whitespace() && !matches!(c, ')' | '>' | '`' | '"' | '\'' | ';' | ',')
                    })
                    .collect::<String>()
            })
        })
        .collect();
    paths.sort();
    paths.dedup();
    assert!(paths.len() >= 6, "README lost its links: {paths:?}");
    for path in paths {
        let path = if path.is_empty() {
            "/".to_string()
        } else {
            path
        };
        let resp = app
            .clone()
            .oneshot(Request::get(path.as_str()).body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "README link {prefix}{path}");
    }
}

#[test]
fn the_readme_configuration_example_loads() {
    // every ```toml block of the README and docs/ is a valid configuration (with its checks);
    // the full reference is docs/configuration.md's block that sets `data_crs`
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("nuanxin.toml");
    let mut main = None;
    let docs = documents();
    let blocks = docs.iter().flat_map(|(name, text)| {
        text.split("```toml\n")
            .skip(1)
            .enumerate()
            .map(move |(i, block)| (name.as_str(), i, block))
    });
    for (name, i, block) in blocks {
        let text = &block[..block.find("```").unwrap()];
        std::fs::write(&file, text).unwrap();
        let mut config = Config::load(Some(&file))
            .unwrap_or_else(|e| panic!("{name}'s toml example {} is invalid: {e}", i + 1));
        if let Some(smtp) = config.smtp.as_mut() {
            // the SMTP password comes from the environment (NUANXIN_SMTP__PASSWORD)
            smtp.password = Some("from the environment".into());
        }
        config
            .validate()
            .unwrap_or_else(|e| panic!("{name}'s toml example {} is invalid: {e}", i + 1));
        if name == "docs/configuration.md" && text.contains("data_crs") {
            main = Some(config);
        }
    }
    let config = main.expect("docs/configuration.md has the nuanxin.toml reference");
    assert_eq!(config.rate_limit.per_minute, 10);
    assert_eq!(config.data_crs, nuanxin::crs::Crs::Gcj02);
    assert_eq!(config.analyses.budget_s, 20.0);
    assert_eq!(config.analyses.queue, 8);
}
