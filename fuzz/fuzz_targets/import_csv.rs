//! CSV importer (any bytes: encoding detection, delimiters, headers, records): an error or a
//! report, never a panic, an abort or an allocation beyond the limits.
#![no_main]
use libfuzzer_sys::fuzz_target;
use nuanxin_core::import::{import_bytes, Format, ImportOptions};

fuzz_target!(|data: &[u8]| {
    for skip_invalid in [false, true] {
        let options = ImportOptions {
            skip_invalid,
            ..ImportOptions::default()
        };
        let _ = import_bytes(data, Format::Csv, &options);
    }
});
