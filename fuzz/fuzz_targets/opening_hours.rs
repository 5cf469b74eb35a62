//! Time parsers: opening hours (OSM `opening_hours` syntax) evaluated at a few instants, and
//! the `at`/`open_at` times of the API and CLI. Never a panic.
#![no_main]
use libfuzzer_sys::fuzz_target;
use nuanxin_core::model::{parse_local_time, OpeningHours};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(hours) = OpeningHours::parse(text) {
        for (d, h) in [(1, 0), (15, 12), (31, 23)] {
            let at = chrono::NaiveDate::from_ymd_opt(2026, 12, d)
                .and_then(|day| day.and_hms_opt(h, 59, 59))
                .expect("valid instant");
            let _ = hours.is_open_at(at);
        }
        let _ = hours.is_24_7();
    }
    let _ = parse_local_time(text);
    let _ = nuanxin_core::coverage::hours::parse_at(text);
});
