//! One classification of every core error, so that the edges map errors to their own terms
//! once: the server turns an [`ErrorClass`] into an HTTP status and problem body in
//! `server::error` (the only place), the CLI into a message and exit code.
//!
//! Each module keeps its own `thiserror` enum (its variants say what went wrong, in the
//! module's terms, and keep the underlying error as `#[source]`); [`Classify`] says what kind
//! of failure each variant is for whoever called:
//!
//! | class | meaning | HTTP |
//! |---|---|---|
//! | [`ErrorClass::InvalidInput`] | the caller's input is wrong; names the parameter or field | 400 |
//! | [`ErrorClass::TooLarge`] | an input exceeds a size limit | 413 |
//! | [`ErrorClass::NotFound`] | no such thing | 404 |
//! | [`ErrorClass::Conflict`] | the current state forbids it (a taken id, a status change not allowed) | 409 |
//! | [`ErrorClass::Unprocessable`] | understood but refused as it stands (an idempotency key reused for other content) | 422 |
//! | [`ErrorClass::Unavailable`] | cannot be done now; retrying later may work | 503 |
//! | [`ErrorClass::StorageUnavailable`] | the database cannot be reached now (lost connection, failover) | 503 with `Retry-After` |
//! | [`ErrorClass::Internal`] | a bug, an I/O failure or damaged data of ours | 500 |

/// What kind of failure an error is (see the module docs for the HTTP statuses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorClass {
    /// The caller's input is invalid.
    InvalidInput {
        /// The parameter or field at fault (`lon`, `area.adcode`, `features[3].kind`), when
        /// known.
        param: Option<String>,
        /// The accepted values, when the parameter takes one of a closed list.
        valid: Option<Vec<String>>,
    },
    /// An input exceeds a size limit (a photo, a file).
    TooLarge,
    /// No such resource.
    NotFound,
    /// Conflicts with the current state (an id already used, a status change not allowed).
    Conflict,
    /// Well-formed and understood, but refused as it stands (an `Idempotency-Key` already
    /// used for different content).
    Unprocessable,
    /// Cannot be done now (an analysis cancelled or stopped at its time budget); retrying
    /// later may succeed.
    Unavailable,
    /// The database cannot be reached now (a lost or refused connection, a failover under
    /// way, a locked file). The error's text names servers and files, so edges log it and
    /// tell the user only to retry shortly.
    StorageUnavailable,
    /// A bug, an I/O failure or damaged data of our own: logged, not shown in detail.
    Internal,
}

impl ErrorClass {
    /// Invalid input naming `param`.
    pub fn invalid(param: impl Into<String>) -> Self {
        ErrorClass::InvalidInput {
            param: Some(param.into()),
            valid: None,
        }
    }

    /// Invalid input naming `param` and the values it accepts.
    pub fn invalid_choice(param: impl Into<String>, valid: &[&str]) -> Self {
        ErrorClass::InvalidInput {
            param: Some(param.into()),
            valid: Some(valid.iter().map(|v| v.to_string()).collect()),
        }
    }
}

/// An error that knows its [`ErrorClass`]. Implemented next to each core error type.
pub trait Classify: std::error::Error {
    /// The kind of failure, for the edges to map (HTTP status, CLI exit).
    fn class(&self) -> ErrorClass;

    /// What the user is told (the HTTP problem's `detail`): the error's text unless a type
    /// says less (e.g. leaves out the field name that the class already carries).
    fn detail(&self) -> String {
        self.to_string()
    }
}

impl ErrorClass {
    /// The class of an I/O failure on a file the caller named: a missing file is
    /// [`ErrorClass::NotFound`], anything else (permissions, a full disk, a device error)
    /// [`ErrorClass::Internal`].
    pub fn of_io(e: &std::io::Error) -> Self {
        match e.kind() {
            std::io::ErrorKind::NotFound => ErrorClass::NotFound,
            _ => ErrorClass::Internal,
        }
    }
}

/// What was being done to a file when it failed ([`FileError`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileOp {
    /// Opening or reading it.
    Read,
    /// Creating, writing or renaming it.
    Write,
}

/// A file that cannot be read or written: the file and the reason, each named once, in
/// Chinese then English (`无法读取 x.pbf：这是一个文件夹，不是文件 (cannot read: it is a
/// folder, not a file)`). The operating system's own text (`Is a directory (os error
/// 21)`) is English and was repeated by the error's source chain; the common causes are
/// worded here instead ([`FileError::reason`]), and the I/O error is kept for its class, not
/// as a `source`, so a chain never says it twice.
#[derive(Debug, thiserror::Error)]
#[error("{} ({})", self.zh(), self.en_without_path())]
pub struct FileError {
    /// The file, as the user named it.
    pub path: String,
    /// Reading or writing.
    pub op: FileOp,
    /// The failure.
    pub io: std::io::Error,
}

impl FileError {
    /// `path` cannot be read.
    pub fn read(path: &std::path::Path, io: std::io::Error) -> Self {
        Self::new(path.display().to_string(), FileOp::Read, io)
    }

    /// `path` cannot be written.
    pub fn write(path: &std::path::Path, io: std::io::Error) -> Self {
        Self::new(path.display().to_string(), FileOp::Write, io)
    }

    /// `path` (as shown to the user) failed `op` with `io`.
    pub fn new(path: String, op: FileOp, io: std::io::Error) -> Self {
        FileError { path, op, io }
    }

    /// Why, as `(Chinese, English)`: the common causes in words (no such file, a directory,
    /// no permission, a full disk …); anything else in the operating system's words.
    pub fn reason(&self) -> (String, String) {
        use std::io::ErrorKind as K;
        let (zh, en) = match (self.io.kind(), self.op) {
            (K::NotFound, FileOp::Read) if std::path::Path::new(&self.path).is_symlink() => (
                "这是一个符号链接，它指向的文件不存在",
                "it is a symbolic link to a file that does not exist",
            ),
            (K::NotFound, FileOp::Read) => ("文件不存在", "no such file"),
            (K::NotFound, FileOp::Write) => (
                "所在的文件夹不存在",
                "the folder it would go in does not exist",
            ),
            (K::IsADirectory, _) => ("这是一个文件夹，不是文件", "it is a folder, not a file"),
            (K::NotADirectory, _) => (
                "路径中的某一级不是文件夹",
                "a part of the path is not a folder",
            ),
            (K::PermissionDenied, _) => ("没有权限", "permission denied"),
            (K::StorageFull, _) => ("磁盘已满", "the disk is full"),
            (K::ReadOnlyFilesystem, _) => ("文件系统只读", "the file system is read-only"),
            (K::InvalidData, FileOp::Read) => ("不是 UTF-8 文本", "not UTF-8 text"),
            _ => {
                let os = self.io.to_string();
                return (format!("系统错误：{os}"), os);
            }
        };
        (zh.to_string(), en.to_string())
    }

    /// The message in Chinese: `无法读取 x.pbf：文件不存在`.
    pub fn zh(&self) -> String {
        let verb = match self.op {
            FileOp::Read => "无法读取",
            FileOp::Write => "无法写入",
        };
        format!("{verb} {}：{}", self.path, self.reason().0)
    }

    /// The message in English: `cannot read x.pbf: no such file`.
    pub fn en(&self) -> String {
        format!("{} {}: {}", self.en_verb(), self.path, self.reason().1)
    }

    /// The English after the Chinese, which already names the file: `cannot read: no such
    /// file`.
    fn en_without_path(&self) -> String {
        format!("{}: {}", self.en_verb(), self.reason().1)
    }

    fn en_verb(&self) -> &'static str {
        match self.op {
            FileOp::Read => "cannot read",
            FileOp::Write => "cannot write",
        }
    }
}

impl Classify for FileError {
    /// As [`ErrorClass::of_io`]: a missing file is not found, anything else internal.
    fn class(&self) -> ErrorClass {
        ErrorClass::of_io(&self.io)
    }
}

/// `e` and its whole `source` chain as one line, joined by `: ` (`database error: SQLite:
/// no such table: x`): what logs and the CLI show, since each error's own text leaves out its
/// source.
pub fn report(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

/// A number as an error message echoes it: plain when it is of ordinary size, in scientific
/// notation (`1e308`) when its plain form would be long (|x| ≥ 10⁹, or 0 < |x| < 10⁻⁴), so a
/// message never carries a 309-digit number (newcomer finding, stop 21).
///
/// ```
/// use nuanxin_core::error::shown_number;
/// assert_eq!(shown_number(5.0), "5");
/// assert_eq!(shown_number(0.25), "0.25");
/// assert_eq!(shown_number(1e308), "1e308");
/// assert_eq!(shown_number(-2.5e-7), "-2.5e-7");
/// assert_eq!(shown_number(f64::NAN), "NaN");
/// ```
pub fn shown_number(x: f64) -> String {
    let a = x.abs();
    if x.is_finite() && (a >= 1e9 || (a > 0.0 && a < 1e-4)) {
        format!("{x:e}")
    } else {
        x.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Bbox, LonLat, ServiceKind};

    #[test]
    fn input_errors_name_their_parameter() {
        let Err(e) = LonLat::new(200.0, 28.0) else {
            panic!("longitude 200 accepted");
        };
        assert_eq!(e.class(), ErrorClass::invalid("lon"));
        let Err(e) = Bbox::new(113.0, 28.0, 112.0, 27.0) else {
            panic!("an inverted bbox accepted");
        };
        assert_eq!(e.class(), ErrorClass::invalid("bbox"));
        let Err(e) = "bus_stop".parse::<ServiceKind>() else {
            panic!("unknown kind accepted");
        };
        let ErrorClass::InvalidInput { param, valid } = e.class() else {
            panic!("not invalid input: {:?}", e.class());
        };
        assert_eq!(param.as_deref(), Some("kind"));
        assert!(valid.is_some_and(|v| v.iter().any(|k| k == "station")));
    }

    /// Hand-picked failures of the file-reading modules, each with the class a caller
    /// (HTTP or the CLI) should see.
    #[test]
    fn file_errors_are_classified() {
        use crate::import::{import_file, ImportError, ImportOptions};
        use crate::routing::RoutingError;
        use crate::street_names::StreetNamesError;
        use crate::suggestions::StoreError;
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.csv");
        let opts = ImportOptions::default();

        // import: a missing file, an unknown extension, an unusable file, a storage outage
        let e = import_file(&missing, &opts).unwrap_err();
        assert!(matches!(e, ImportError::Io { .. }), "{e:?}");
        assert_eq!(e.class(), ErrorClass::NotFound);
        let txt = dir.path().join("points.txt");
        std::fs::write(&txt, "x").unwrap();
        let e = import_file(&txt, &opts).unwrap_err();
        assert_eq!(e.class(), ErrorClass::invalid("file"), "{e}");
        let csv = dir.path().join("points.csv");
        std::fs::write(&csv, "name,address\nA,B\n").unwrap();
        let e = import_file(&csv, &opts).unwrap_err();
        assert_eq!(e.class(), ErrorClass::invalid("file"), "{e}");
        let e = ImportError::from(StoreError::unavailable("db"));
        assert_eq!(e.class(), ErrorClass::StorageUnavailable);
        let e = ImportError::from(StoreError::constraint("db"));
        assert_eq!(e.class(), ErrorClass::Internal);

        // roads: not a PBF file, a missing file, an extract with no road, a damaged graph
        let e = crate::routing::import_pbf(&csv, &crate::coverage::NoProgress).unwrap_err();
        assert!(matches!(e, RoutingError::NotPbf(..)), "{e:?}");
        assert_eq!(e.class(), ErrorClass::invalid("file"));
        let e = crate::routing::import_pbf(&missing, &crate::coverage::NoProgress).unwrap_err();
        assert_eq!(e.class(), ErrorClass::NotFound, "{e}");
        assert_eq!(
            RoutingError::NoUsableWays("x.pbf".into()).class(),
            ErrorClass::Unprocessable
        );
        let e = crate::routing::RoadGraph::load(&csv).unwrap_err();
        assert_eq!(e.class(), ErrorClass::Internal, "{e}");
        let denied = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        assert_eq!(
            RoutingError::from(FileError::read(std::path::Path::new("x"), denied)).class(),
            ErrorClass::Internal
        );

        // street names: a missing file, a damaged line of our own file
        let e = crate::street_names::load(&missing).unwrap_err();
        assert_eq!(e.class(), ErrorClass::NotFound, "{e}");
        assert_eq!(
            StreetNamesError::BadLine("x.streets".into(), 3).class(),
            ErrorClass::Internal
        );

        // districts: boundaries that are not GeoJSON are the caller's input
        let e = crate::districts::Districts::from_geojson("not json").unwrap_err();
        assert_eq!(e.class(), ErrorClass::invalid("boundaries"));

        // travel mode: names the parameter and the valid modes
        let e = "car".parse::<crate::travel::TravelMode>().unwrap_err();
        assert_eq!(
            e.class(),
            ErrorClass::invalid_choice("mode", &["walk", "ebike"])
        );
    }

    /// The store keeps the driver's error as the source: the text of the chain starts as the
    /// message did before (`database error: SQLite: …`), and the source is typed.
    #[test]
    fn store_errors_keep_their_source() {
        use crate::suggestions::StoreError;
        let sqlite = rusqlite::Connection::open_in_memory()
            .unwrap()
            .execute("SELECT * FROM nowhere", [])
            .unwrap_err();
        let e = StoreError::from(sqlite);
        assert!(matches!(e, StoreError::Database { .. }), "{e:?}");
        assert_eq!(e.to_string(), "database error: SQLite");
        // (rusqlite's own source, SQLite's result code, follows)
        assert!(
            report(&e).starts_with("database error: SQLite: no such table: nowhere"),
            "{}",
            report(&e)
        );
        let source = std::error::Error::source(&e).unwrap();
        assert!(source.is::<rusqlite::Error>());
        assert_eq!(e.class(), ErrorClass::Internal);
        let e = StoreError::unavailable("postgres://db").map_context(|c| format!("{c}: busy"));
        assert_eq!(e.class(), ErrorClass::StorageUnavailable);
        assert_eq!(report(&e), "database unavailable: postgres://db: busy");
    }
}
