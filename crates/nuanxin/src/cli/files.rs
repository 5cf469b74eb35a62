//! Reading and writing the files a command is given, with one message per failure: the file
//! and the reason once, Chinese then English by default, English alone with `--lang en`
//! ([`nuanxin::error::FileError`], rendered by [`super::messages::file_error`]). The
//! operating system's text (`Is a directory (os error 21)`) is not appended a second time.

use nuanxin::error::FileError;
use std::path::Path;

/// The error that ends a command, for a file that cannot be read or written.
pub fn error(e: &FileError) -> anyhow::Error {
    anyhow::anyhow!(super::messages::file_error(e))
}

/// The bytes of `path`.
///
/// # Errors
/// The file cannot be read: its name and the reason.
pub fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| error(&FileError::read(path, e)))
}

/// The text of `path` (UTF-8).
///
/// # Errors
/// The file cannot be read or is not UTF-8: its name and the reason.
pub fn read_to_string(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).map_err(|e| error(&FileError::read(path, e)))
}

/// Writes `bytes` to `path`.
///
/// # Errors
/// The file cannot be written: its name and the reason.
pub fn write(path: &Path, bytes: impl AsRef<[u8]>) -> anyhow::Result<()> {
    std::fs::write(path, bytes).map_err(|e| error(&FileError::write(path, e)))
}
