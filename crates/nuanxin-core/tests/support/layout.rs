//! The layout of a crate's `tests/` as one test binary (`tests/it.rs`, `autotests = false`):
//! shared by both crates' `it.rs` through `#[path]`.

/// The test modules under `dir` (a crate's `tests/`) that `root` (the source of its `it.rs`)
/// does not declare: each `NAME.rs` other than `it.rs`, and each directory `NAME/` holding a
/// `main.rs` or `mod.rs`, must appear in `root` as a line `mod NAME;` (names in sorted order).
pub fn undeclared_test_modules(dir: &std::path::Path, root: &str) -> Vec<String> {
    let declared: std::collections::BTreeSet<&str> = root
        .lines()
        .filter_map(|l| l.trim().strip_prefix("mod ")?.strip_suffix(';'))
        .collect();
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let is_module = if path.is_dir() {
            path.join("main.rs").exists() || path.join("mod.rs").exists()
        } else {
            path.extension().is_some_and(|e| e == "rs") && name != "it"
        };
        if is_module && !declared.contains(name.as_str()) {
            missing.push(name);
        }
    }
    missing.sort();
    missing
}
