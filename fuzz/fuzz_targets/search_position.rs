//! The position parser of place search (pasted `lon,lat`, degrees-minutes-seconds, Amap /
//! Baidu / Tencent share links) in every coordinate system: never a panic, and a position it
//! returns is a valid WGS-84 one.
#![no_main]
use libfuzzer_sys::fuzz_target;
use nuanxin_core::crs::Crs;
use nuanxin_core::search::parse_position;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for crs in [Crs::Wgs84, Crs::Gcj02, Crs::Bd09] {
        if let Ok(Some(p)) = parse_position(text, crs) {
            let ll = p.location;
            assert!(ll.lon.is_finite() && ll.lat.is_finite(), "{text:?} → {ll:?}");
            assert!((-180.0..=180.0).contains(&ll.lon) && (-90.0..=90.0).contains(&ll.lat), "{text:?} → {ll:?}");
        }
    }
});
