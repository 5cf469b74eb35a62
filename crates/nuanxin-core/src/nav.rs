//! Navigation links: open riding (e-bike) or walking navigation to a service point in the two
//! map apps most riders use, Amap (高德) and Baidu (百度), from a web page or natively.
//!
//! Every link is built from WGS-84 positions converted here into the system each app documents
//! (`crs`): GCJ-02 for Amap (`coordinate=gaode`, `dev=0`), BD-09 for Baidu (`coord_type=bd09ll`).
//! Outside mainland China both conversions are the identity, as the apps expect.
//!
//! Documents relied on (the parameter names and values below are theirs; the test module checks
//! every built link against these lists):
//!
//! - Amap URI API, mobile web, route planning / navigation (高德 URI API · 手机网页 · 路径规划):
//!   <https://lbs.amap.com/api/uri-api/guide/travel/route> —
//!   `https://uri.amap.com/navigation?from=lon,lat,name&to=lon,lat,name&via=&mode=&policy=&src=&coordinate=&callnative=`;
//!   `mode` ∈ `car | bus | walk | ride`; `from` may be left out (the app starts from the
//!   current position); `coordinate` ∈ `gaode | wgs84`; `callnative=1` opens the installed app.
//! - Amap app, Android route planning (高德地图手机版 · Android · 路径规划):
//!   <https://lbs.amap.com/api/amap-mobile/guide/android/route> —
//!   `amapuri://route/plan/?sourceApplication=&sid=&slat=&slon=&sname=&did=&dlat=&dlon=&dname=&dev=&t=`;
//!   `dev=0` means the coordinates are already GCJ-02; `t`: 0 car, 1 bus, 2 walk, 3 ride.
//!   iOS (<https://lbs.amap.com/api/amap-mobile/guide/ios/route>): `iosamap://path?` with the same
//!   parameters.
//! - Baidu Maps web URI (百度地图 URI API · Web 端 · 路线规划):
//!   <https://lbsyun.baidu.com/faq/api?title=webapi/uri/web> —
//!   `https://api.map.baidu.com/direction?origin=&destination=&mode=&region=&output=html&coord_type=&src=`;
//!   `mode` ∈ `transit | driving | walking | riding`; `origin` and `destination` as
//!   `latlng:lat,lng|name:…` (latitude first); `coord_type` ∈ `bd09ll | bd09mc | gcj02 | wgs84`;
//!   `src` **must** have the form `webapp.companyName.appName`; `origin` is required.
//! - Baidu Maps app URI, Android and iOS (<https://lbsyun.baidu.com/faq/api?title=webapi/uri/andriod>,
//!   `…/uri/ios`): `baidumap://map/direction?origin=&destination=&coord_type=&mode=&src=` with
//!   `src` as `andr.companyName.appName` / `ios.companyName.appName`; without `origin` the app
//!   starts from the current position.
//!
//! The Baidu web page needs an origin. When none is known (a point opened by id, not from a
//! located search) [`NavLinks::baidu`] is Baidu's documented `marker` URI
//! (<https://lbsyun.baidu.com/faq/api?title=webapi/uri/web>, `api.map.baidu.com/marker?location=lat,lng&title=&content=&output=html&coord_type=&src=`)
//! so the button still shows the place, and the app link still navigates.

use crate::model::LonLat;
use crate::travel::TravelMode;

/// Company part of the `src` identifiers (`webapp.<company>.<app>`), as the Baidu URI documents ask.
pub const SRC_COMPANY: &str = "nuanxin";
/// Application part of the `src` identifiers.
pub const SRC_APP: &str = "map";

/// Percent-encodes `s` for a URL query value: everything but RFC 3986 unreserved
/// characters (`A-Z a-z 0-9 - . _ ~`) becomes `%XX` of its UTF-8 bytes.
pub fn percent_encode(s: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 0xF)] as char);
        }
    }
    out
}

/// Navigation links to one place, in every form the page offers.
#[derive(Debug, Clone, PartialEq)]
pub struct NavLinks {
    /// Amap mobile-web navigation URI (`uri.amap.com/navigation`, `callnative=1`): opens the app
    /// when installed, else Amap's web page.
    pub amap: String,
    /// Amap Android app scheme (`amapuri://route/plan/`).
    pub amap_android: String,
    /// Amap iOS app scheme (`iosamap://path`).
    pub amap_ios: String,
    /// Baidu web route planning (`api.map.baidu.com/direction`) when an origin is known, else
    /// Baidu's web marker of the place.
    pub baidu: String,
    /// Baidu app scheme (`baidumap://map/direction`), Android `src` form.
    pub baidu_android: String,
    /// Baidu app scheme, iOS `src` form.
    pub baidu_ios: String,
    /// The destination in GCJ-02 `[lon, lat]`.
    pub gcj02: LonLat,
    /// The destination in BD-09 `[lon, lat]`.
    pub bd09: LonLat,
}

/// Amap's `mode` (web URI) and `t` (app scheme) for a travel mode: e-bike riders ride
/// (`ride`, `t=3`), walkers walk (`walk`, `t=2`).
fn amap_mode(mode: TravelMode) -> (&'static str, &'static str) {
    match mode {
        TravelMode::Walk => ("walk", "2"),
        TravelMode::Ebike => ("ride", "3"),
    }
}

/// Baidu's `mode` for a travel mode (`riding` or `walking`).
fn baidu_mode(mode: TravelMode) -> &'static str {
    match mode {
        TravelMode::Walk => "walking",
        TravelMode::Ebike => "riding",
    }
}

/// `format!("{x:.6}")` (six decimals, the exact value rounded half to even), without the
/// exact decimal expansion of the standard formatter when `x · 10⁶` is far from a tie.
///
/// Below 2⁴⁰ the product `x · 10⁶` is computed with an error under 2⁻¹² (half a unit in the
/// last place), so when its fraction is more than 10⁻³ away from ½ it rounds to the same
/// integer as the exact product does; the integer is then written as digits. Near ties,
/// at zero (the standard formatter keeps the sign of −0.000000) and beyond 2⁴⁰ the
/// standard formatter writes it.
pub fn fixed6(x: f64) -> String {
    let scaled = x * 1e6;
    if scaled.abs() < 1_099_511_627_776.0 {
        let frac = (scaled - scaled.trunc()).abs();
        let n = scaled.round().abs() as u64;
        if (frac - 0.5).abs() > 1e-3 && n != 0 {
            let mut digits = [0u8; 24];
            let mut i = digits.len();
            let mut rest = n;
            let mut written = 0;
            while written < 7 || rest > 0 {
                if written == 6 {
                    i -= 1;
                    digits[i] = b'.';
                }
                i -= 1;
                digits[i] = b'0' + (rest % 10) as u8;
                rest /= 10;
                written += 1;
            }
            let mut out = String::with_capacity(digits.len() - i + 1);
            if x < 0.0 {
                out.push('-');
            }
            for &d in &digits[i..] {
                out.push(char::from(d));
            }
            return out;
        }
    }
    format!("{x:.6}")
}

/// The destination's half of every navigation link: its GCJ-02 and BD-09 positions and the
/// URL pieces that depend on it alone (coordinates with six decimals, the percent-encoded
/// name). Building it costs the coordinate conversions and the number formatting; a server
/// keeps one per point and joins it with a [`NavOrigin`] per request ([`NavLink`]).
#[derive(Debug, Clone, PartialEq)]
pub struct NavDest {
    /// The destination in GCJ-02 `[lon, lat]`.
    pub gcj02: LonLat,
    /// The destination in BD-09 `[lon, lat]`.
    pub bd09: LonLat,
    /// BD-09 latitude and longitude, six decimals each.
    bd_lat: String,
    bd_lon: String,
    /// The name, percent-encoded.
    name_q: String,
    /// Amap web `to` value: `<lon>,<lat>,<name>` (GCJ-02).
    amap_to: String,
    /// Amap app destination: `dlat=<lat>&dlon=<lon>&dname=<name>` (GCJ-02).
    amap_app: String,
    /// Baidu place: `latlng%3A<lat>%2C<lon>%7Cname%3A<name>` (BD-09).
    baidu_place: String,
}

impl NavDest {
    /// The destination half of the links to the WGS-84 position `dest` named `name`.
    pub fn new(dest: LonLat, name: &str) -> Self {
        // One mainland test for both systems; not `gcj02_to_bd09(gcj02)` outside mainland
        // China, where Baidu takes the WGS-84 position as it is.
        let (gcj02, bd09) = crate::crs::wgs84_to_gcj02_and_bd09(dest);
        let (gcj_lon, gcj_lat) = (fixed6(gcj02.lon), fixed6(gcj02.lat));
        let (bd_lat, bd_lon) = (fixed6(bd09.lat), fixed6(bd09.lon));
        let name_q = percent_encode(name);
        let mut baidu_place = String::new();
        // Writing into a String cannot fail.
        let _ = NavLink::baidu_place(&mut baidu_place, &bd_lat, &bd_lon, &name_q);
        Self {
            gcj02,
            bd09,
            amap_to: [gcj_lon.as_str(), ",", &gcj_lat, ",", &name_q].concat(),
            amap_app: [
                "dlat=",
                gcj_lat.as_str(),
                "&dlon=",
                &gcj_lon,
                "&dname=",
                &name_q,
            ]
            .concat(),
            baidu_place,
            bd_lat,
            bd_lon,
            name_q,
        }
    }
}

/// The rider's half of the navigation links (the origin, named 我的位置 "my position"), built
/// once per request and shared by every destination of the answer: for each link, the text
/// before the destination's half (see [`NavLink::write_to`]).
#[derive(Debug, Clone, PartialEq)]
pub struct NavOrigin {
    /// `https://uri.amap.com/navigation?from=<lon>,<lat>,<我的位置>&to=` (GCJ-02).
    amap: String,
    /// The Amap app query up to the destination:
    /// `sourceApplication=…&slat=<lat>&slon=<lon>&sname=<我的位置>&` (GCJ-02).
    amap_app: String,
    /// `https://api.map.baidu.com/direction?origin=<place>&destination=` (BD-09).
    baidu: String,
    /// `baidumap://map/direction?origin=<place>&destination=` (BD-09).
    baidu_app: String,
}

impl NavOrigin {
    /// The origin half of the links from the rider's WGS-84 position `origin`.
    pub fn new(origin: LonLat) -> Self {
        let (g, b) = crate::crs::wgs84_to_gcj02_and_bd09(origin);
        let (gcj_lon, gcj_lat) = (fixed6(g.lon), fixed6(g.lat));
        let (bd_lat, bd_lon) = (fixed6(b.lat), fixed6(b.lon));
        let mut place = String::new();
        // Writing into a String cannot fail.
        let _ = NavLink::baidu_place(&mut place, &bd_lat, &bd_lon, HERE_Q);
        Self {
            amap: [
                "https://uri.amap.com/navigation?from=",
                &gcj_lon,
                ",",
                &gcj_lat,
                ",",
                HERE_Q,
                "&to=",
            ]
            .concat(),
            amap_app: [
                "sourceApplication=",
                SRC_COMPANY,
                ".",
                SRC_APP,
                "&slat=",
                &gcj_lat,
                "&slon=",
                &gcj_lon,
                "&sname=",
                HERE_Q,
                "&",
            ]
            .concat(),
            baidu: [
                "https://api.map.baidu.com/direction?origin=",
                &place,
                "&destination=",
            ]
            .concat(),
            baidu_app: ["baidumap://map/direction?origin=", &place, "&destination="].concat(),
        }
    }
}

/// The name of the origin in every link, 我的位置 ("my position"), percent-encoded.
const HERE_Q: &str = "%E6%88%91%E7%9A%84%E4%BD%8D%E7%BD%AE";

/// Which of the six links a [`NavLink`] writes (the fields of [`NavLinks`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NavTarget {
    /// [`NavLinks::amap`].
    Amap,
    /// [`NavLinks::amap_android`].
    AmapAndroid,
    /// [`NavLinks::amap_ios`].
    AmapIos,
    /// [`NavLinks::baidu`].
    Baidu,
    /// [`NavLinks::baidu_android`].
    BaiduAndroid,
    /// [`NavLinks::baidu_ios`].
    BaiduIos,
}

/// One navigation link, written on demand from its two halves (no URL is stored):
/// `Display` writes the URI, `Serialize` writes it as a JSON string. The same text as the
/// matching field of [`nav_links`]`(dest, name, origin, mode)`, which is built from it.
#[derive(Debug, Clone, Copy)]
pub struct NavLink<'a> {
    /// The destination half.
    pub dest: &'a NavDest,
    /// The rider's half, when the rider's position is known.
    pub origin: Option<&'a NavOrigin>,
    /// The travel mode.
    pub mode: TravelMode,
    /// Which link.
    pub target: NavTarget,
}

/// What follows the destination in a link from a known origin, by target and mode (the
/// `mode` / `t` values of [`amap_mode`] and [`baidu_mode`], `src` of [`SRC_COMPANY`] and
/// [`SRC_APP`]; the reference test in this module checks every combination).
fn tail_after_dest(target: NavTarget, mode: TravelMode) -> &'static str {
    use NavTarget::*;
    use TravelMode::*;
    match (target, mode) {
        (Amap, Walk) => "&mode=walk&src=nuanxin.map&coordinate=gaode&callnative=1",
        (Amap, Ebike) => "&mode=ride&src=nuanxin.map&coordinate=gaode&callnative=1",
        (AmapAndroid | AmapIos, Walk) => "&dev=0&t=2",
        (AmapAndroid | AmapIos, Ebike) => "&dev=0&t=3",
        (Baidu, Walk) => {
            "&mode=walking&region=&output=html&coord_type=bd09ll&src=webapp.nuanxin.map"
        }
        (Baidu, Ebike) => {
            "&mode=riding&region=&output=html&coord_type=bd09ll&src=webapp.nuanxin.map"
        }
        (BaiduAndroid, Walk) => "&coord_type=bd09ll&mode=walking&src=andr.nuanxin.map",
        (BaiduAndroid, Ebike) => "&coord_type=bd09ll&mode=riding&src=andr.nuanxin.map",
        (BaiduIos, Walk) => "&coord_type=bd09ll&mode=walking&src=ios.nuanxin.map",
        (BaiduIos, Ebike) => "&coord_type=bd09ll&mode=riding&src=ios.nuanxin.map",
    }
}

impl NavLink<'_> {
    /// `latlng%3A<lat>%2C<lon>%7Cname%3A<name>`: Baidu's `latlng:lat,lng|name:…` (latitude
    /// first) percent-encoded; the coordinates need no escaping (digits, `.`, `-`).
    fn baidu_place<W: std::fmt::Write>(
        f: &mut W,
        lat: &str,
        lon: &str,
        name_q: &str,
    ) -> std::fmt::Result {
        for piece in ["latlng%3A", lat, "%2C", lon, "%7Cname%3A", name_q] {
            f.write_str(piece)?;
        }
        Ok(())
    }

    /// The link from the known origin `o`: the origin's text before the destination, the
    /// destination's half, then the target's and mode's fixed tail (three or four copies).
    fn write_from<W: std::fmt::Write>(&self, o: &NavOrigin, f: &mut W) -> std::fmt::Result {
        let d = self.dest;
        let tail = tail_after_dest(self.target, self.mode);
        let pieces: [&str; 4] = match self.target {
            NavTarget::Amap => ["", &o.amap, &d.amap_to, tail],
            NavTarget::AmapAndroid => ["amapuri://route/plan/?", &o.amap_app, &d.amap_app, tail],
            NavTarget::AmapIos => ["iosamap://path?", &o.amap_app, &d.amap_app, tail],
            NavTarget::Baidu => ["", &o.baidu, &d.baidu_place, tail],
            NavTarget::BaiduAndroid | NavTarget::BaiduIos => {
                ["", &o.baidu_app, &d.baidu_place, tail]
            }
        };
        for piece in pieces {
            f.write_str(piece)?;
        }
        Ok(())
    }

    /// Amap's app query without an origin: `sourceApplication=…&dlat=…&dlon=…&dname=…&dev=0&t=…`.
    fn amap_query<W: std::fmt::Write>(&self, f: &mut W) -> std::fmt::Result {
        let d = self.dest;
        for piece in ["sourceApplication=", SRC_COMPANY, ".", SRC_APP, "&"] {
            f.write_str(piece)?;
        }
        let t = amap_mode(self.mode).1;
        for piece in [d.amap_app.as_str(), "&dev=0&t=", t] {
            f.write_str(piece)?;
        }
        Ok(())
    }

    /// Baidu's app URI for `platform` (`andr`, `ios`) without an origin.
    fn baidu_native<W: std::fmt::Write>(&self, f: &mut W, platform: &str) -> std::fmt::Result {
        let d = self.dest;
        for piece in [
            "baidumap://map/direction?destination=",
            &d.baidu_place,
            "&coord_type=bd09ll&mode=",
            baidu_mode(self.mode),
            "&src=",
            platform,
            ".",
            SRC_COMPANY,
            ".",
            SRC_APP,
        ] {
            f.write_str(piece)?;
        }
        Ok(())
    }
}

impl std::fmt::Display for NavLink<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.write_to(f)
    }
}

impl NavLink<'_> {
    /// Writes the URI to `f` in pieces. Every byte is an RFC 3986 unreserved character, `%`
    /// (names are percent-encoded) or one of `: / ? & = ,`: nothing a JSON string escapes,
    /// so a JSON writer may copy the pieces between quotes as they are.
    pub fn write_to<W: std::fmt::Write>(&self, f: &mut W) -> std::fmt::Result {
        if let Some(o) = self.origin {
            return self.write_from(o, f);
        }
        let d = self.dest;
        match self.target {
            NavTarget::Amap => {
                // No `from`: the app starts where the rider is.
                for piece in [
                    "https://uri.amap.com/navigation?to=",
                    &d.amap_to,
                    "&mode=",
                    amap_mode(self.mode).0,
                    "&src=",
                    SRC_COMPANY,
                    ".",
                    SRC_APP,
                    "&coordinate=gaode&callnative=1",
                ] {
                    f.write_str(piece)?;
                }
                Ok(())
            }
            NavTarget::AmapAndroid => {
                f.write_str("amapuri://route/plan/?")?;
                self.amap_query(f)
            }
            NavTarget::AmapIos => {
                f.write_str("iosamap://path?")?;
                self.amap_query(f)
            }
            NavTarget::Baidu => {
                for piece in [
                    "https://api.map.baidu.com/marker?location=",
                    &d.bd_lat,
                    ",",
                    &d.bd_lon,
                    "&title=",
                    &d.name_q,
                    "&content=",
                    &d.name_q,
                    "&output=html&coord_type=bd09ll&src=webapp.",
                    SRC_COMPANY,
                    ".",
                    SRC_APP,
                ] {
                    f.write_str(piece)?;
                }
                Ok(())
            }
            NavTarget::BaiduAndroid => self.baidu_native(f, "andr"),
            NavTarget::BaiduIos => self.baidu_native(f, "ios"),
        }
    }
}

impl serde::Serialize for NavLink<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Builds the navigation links from `origin` (the rider's WGS-84 position, when known) to the
/// WGS-84 position `dest` named `name`, for travel `mode`. Coordinates carry six decimals
/// (about 0.1 m), the most both apps accept.
pub fn nav_links(dest: LonLat, name: &str, origin: Option<LonLat>, mode: TravelMode) -> NavLinks {
    let dest = NavDest::new(dest, name);
    let origin = origin.map(NavOrigin::new);
    let link = |target| {
        NavLink {
            dest: &dest,
            origin: origin.as_ref(),
            mode,
            target,
        }
        .to_string()
    };
    NavLinks {
        amap: link(NavTarget::Amap),
        amap_android: link(NavTarget::AmapAndroid),
        amap_ios: link(NavTarget::AmapIos),
        baidu: link(NavTarget::Baidu),
        baidu_android: link(NavTarget::BaiduAndroid),
        baidu_ios: link(NavTarget::BaiduIos),
        gcj02: dest.gcj02,
        bd09: dest.bd09,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crs::{gcj02_to_bd09, gcj02_to_wgs84, Crs};
    use std::collections::BTreeMap;

    /// Splits a URI into scheme+path and its query parameters, percent-decoded.
    fn parse(uri: &str) -> (String, BTreeMap<String, String>) {
        let (base, query) = uri.split_once('?').expect("query");
        let mut params = BTreeMap::new();
        for pair in query.split('&') {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            assert!(
                params.insert(k.to_string(), decode(v)).is_none(),
                "{k} twice in {uri}"
            );
        }
        (base.to_string(), params)
    }

    /// Percent-decoding written independently of `percent_encode`.
    fn decode(v: &str) -> String {
        let b = v.as_bytes();
        let mut out = Vec::new();
        let mut i = 0;
        while i < b.len() {
            if b[i] == b'%' {
                out.push(u8::from_str_radix(&v[i + 1..i + 3], 16).expect("hex"));
                i += 3;
            } else {
                assert!(
                    b[i].is_ascii_alphanumeric() || b"-._~,".contains(&b[i]),
                    "unescaped {:?} in {v}",
                    b[i] as char
                );
                out.push(b[i]);
                i += 1;
            }
        }
        String::from_utf8(out).expect("utf-8")
    }

    fn keys(p: &BTreeMap<String, String>) -> Vec<&str> {
        p.keys().map(String::as_str).collect()
    }

    /// Every key must be one the document lists.
    fn only_documented(p: &BTreeMap<String, String>, documented: &[&str], uri: &str) {
        for k in p.keys() {
            assert!(
                documented.contains(&k.as_str()),
                "{k} is not documented ({uri})"
            );
        }
    }

    // Parameter lists of the documents cited in the module docs.
    const AMAP_WEB_NAV: &[&str] = &[
        "from",
        "to",
        "via",
        "mode",
        "policy",
        "src",
        "coordinate",
        "callnative",
    ];
    const AMAP_APP_ROUTE: &[&str] = &[
        "sourceApplication",
        "sid",
        "slat",
        "slon",
        "sname",
        "did",
        "dlat",
        "dlon",
        "dname",
        "dev",
        "t",
    ];
    const BAIDU_WEB_DIRECTION: &[&str] = &[
        "origin",
        "destination",
        "mode",
        "region",
        "origin_region",
        "destination_region",
        "output",
        "coord_type",
        "zoom",
        "src",
    ];
    const BAIDU_WEB_MARKER: &[&str] = &[
        "location",
        "title",
        "content",
        "output",
        "coord_type",
        "zoom",
        "src",
    ];
    const BAIDU_APP_DIRECTION: &[&str] = &[
        "origin",
        "destination",
        "coord_type",
        "mode",
        "region",
        "origin_region",
        "destination_region",
        "sy",
        "index",
        "target",
        "src",
    ];

    /// 五一广场 metro station, and a rider 1 km east of it.
    fn places() -> (LonLat, LonLat) {
        (
            LonLat::new(112.97093, 28.19860).unwrap(),
            LonLat::new(112.98113, 28.19860).unwrap(),
        )
    }

    fn lonlat(s: &str) -> (f64, f64) {
        let mut it = s.split(',').map(|x| x.parse::<f64>().unwrap());
        (it.next().unwrap(), it.next().unwrap())
    }

    #[test]
    fn amap_web_link_is_riding_navigation_in_gcj02() {
        let (dest, rider) = places();
        let l = nav_links(dest, "五一广场驿站", Some(rider), TravelMode::Ebike);
        let (base, p) = parse(&l.amap);
        assert_eq!(base, "https://uri.amap.com/navigation");
        only_documented(&p, AMAP_WEB_NAV, &l.amap);
        assert_eq!(
            keys(&p),
            ["callnative", "coordinate", "from", "mode", "src", "to"]
        );
        assert_eq!(p["mode"], "ride");
        assert_eq!(p["coordinate"], "gaode");
        assert_eq!(p["callnative"], "1");
        assert!(!p["src"].is_empty());
        // `to` = lon,lat,name in GCJ-02: converting it back gives the station within 0.5 m
        // (six decimals round to ≤ 0.06 m, the inverse is exact to far less).
        let parts: Vec<&str> = p["to"].splitn(3, ',').collect();
        assert_eq!(parts[2], "五一广场驿站");
        let g = LonLat::new(parts[0].parse().unwrap(), parts[1].parse().unwrap()).unwrap();
        let back = gcj02_to_wgs84(g);
        assert!((back.lon - dest.lon).abs() < 5e-6 && (back.lat - dest.lat).abs() < 5e-6);
        // GCJ-02 in Changsha is hundreds of metres off WGS-84: the link must carry the shift.
        assert!(
            (g.lon - dest.lon).abs() > 1e-3,
            "not converted: {}",
            p["to"]
        );
        assert!(p["from"].ends_with(",我的位置"));
    }

    #[test]
    fn amap_web_link_without_origin_walks_from_current_position() {
        let (dest, _) = places();
        let l = nav_links(dest, "驿站", None, TravelMode::Walk);
        let (_, p) = parse(&l.amap);
        assert!(!p.contains_key("from"));
        assert_eq!(p["mode"], "walk");
    }

    #[test]
    fn amap_app_schemes_use_documented_parameters() {
        let (dest, rider) = places();
        for (origin, mode, t) in [
            (Some(rider), TravelMode::Ebike, "3"),
            (None, TravelMode::Walk, "2"),
        ] {
            let l = nav_links(dest, "驿站", origin, mode);
            for (uri, want_base) in [
                (&l.amap_android, "amapuri://route/plan/"),
                (&l.amap_ios, "iosamap://path"),
            ] {
                let (base, p) = parse(uri);
                assert_eq!(base, want_base);
                only_documented(&p, AMAP_APP_ROUTE, uri);
                assert_eq!(p["dev"], "0", "coordinates are GCJ-02 already");
                assert_eq!(p["t"], t);
                assert_eq!(p["dname"], "驿站");
                let (lat, lon): (f64, f64) =
                    (p["dlat"].parse().unwrap(), p["dlon"].parse().unwrap());
                assert!((lat - l.gcj02.lat).abs() < 1e-6 && (lon - l.gcj02.lon).abs() < 1e-6);
                assert!(!p["sourceApplication"].is_empty());
                assert_eq!(p.contains_key("slat"), origin.is_some());
            }
        }
    }

    #[test]
    fn baidu_web_link_is_riding_direction_in_bd09_with_webapp_src() {
        let (dest, rider) = places();
        let l = nav_links(dest, "驿站 A&B", Some(rider), TravelMode::Ebike);
        let (base, p) = parse(&l.baidu);
        assert_eq!(base, "https://api.map.baidu.com/direction");
        only_documented(&p, BAIDU_WEB_DIRECTION, &l.baidu);
        assert_eq!(p["mode"], "riding");
        assert_eq!(p["coord_type"], "bd09ll");
        assert_eq!(p["output"], "html");
        // `src`: webapp.companyName.appName — three dot-separated non-empty parts.
        let src: Vec<&str> = p["src"].split('.').collect();
        assert_eq!(src.len(), 3);
        assert_eq!(src[0], "webapp");
        assert!(src.iter().all(|s| !s.is_empty()));
        // destination = latlng:lat,lng|name:… (latitude first), BD-09 of the station.
        let d = p["destination"].strip_prefix("latlng:").unwrap();
        let (ll, name) = d.split_once("|name:").unwrap();
        assert_eq!(name, "驿站 A&B");
        let (lat, lon) = lonlat(ll);
        let want = gcj02_to_bd09(Crs::Gcj02.from_wgs84(dest));
        assert!((lat - want.lat).abs() < 1e-6 && (lon - want.lon).abs() < 1e-6);
        assert!(lat < 40.0 && lon > 100.0, "latitude must come first");
        assert!(p["origin"].starts_with("latlng:") && p["origin"].ends_with("|name:我的位置"));
        assert!(
            (lon - l.bd09.lon).abs() < 1e-6 && (lat - l.bd09.lat).abs() < 1e-6,
            "the link carries the BD-09 point it reports"
        );
    }

    #[test]
    fn baidu_web_link_without_origin_is_a_marker() {
        let (dest, _) = places();
        let l = nav_links(dest, "驿站", None, TravelMode::Walk);
        let (base, p) = parse(&l.baidu);
        assert_eq!(base, "https://api.map.baidu.com/marker");
        only_documented(&p, BAIDU_WEB_MARKER, &l.baidu);
        assert!(p["src"].starts_with("webapp."));
        assert_eq!(p["coord_type"], "bd09ll");
    }

    #[test]
    fn baidu_app_schemes_use_platform_src_forms() {
        let (dest, rider) = places();
        for origin in [Some(rider), None] {
            let l = nav_links(dest, "驿站", origin, TravelMode::Walk);
            for (uri, platform) in [(&l.baidu_android, "andr"), (&l.baidu_ios, "ios")] {
                let (base, p) = parse(uri);
                assert_eq!(base, "baidumap://map/direction");
                only_documented(&p, BAIDU_APP_DIRECTION, uri);
                assert_eq!(p["mode"], "walking");
                assert_eq!(p["coord_type"], "bd09ll");
                assert_eq!(p["src"].split('.').next(), Some(platform));
                assert_eq!(p["src"].split('.').count(), 3);
                assert_eq!(p.contains_key("origin"), origin.is_some());
            }
        }
    }

    #[test]
    fn links_leave_points_outside_mainland_china_unshifted() {
        // Regression (from the server's former link builder): the Baidu link applied BD-09's
        // offset (≈ +0.0065°, +0.006°) in Seoul. Outside mainland China both apps take the
        // WGS-84 position as it is.
        let seoul = LonLat::new(126.978, 37.566).unwrap();
        let l = nav_links(seoul, "Seoul", None, TravelMode::Ebike);
        assert_eq!(l.gcj02, seoul);
        assert_eq!(l.bd09, seoul);
        assert!(
            l.baidu.contains("location=37.566000,126.978000"),
            "{}",
            l.baidu
        );
        assert!(
            l.amap.contains("to=126.978000,37.566000,Seoul"),
            "{}",
            l.amap
        );
    }

    #[test]
    fn percent_encoding_of_chinese_name() {
        // "驿" is U+9A7F, UTF-8 E9 A9 BF.
        assert_eq!(percent_encode("驿 a&b"), "%E9%A9%BF%20a%26b");
    }

    /// The link builder as it was before the links were split into [`NavDest`] and
    /// [`NavOrigin`] halves (commit e190dfb, verbatim): the split must not change one byte.
    fn reference_nav_links(
        dest: LonLat,
        name: &str,
        origin: Option<LonLat>,
        mode: TravelMode,
    ) -> NavLinks {
        let gcj02 = Crs::Gcj02.from_wgs84(dest);
        // Not `gcj02_to_bd09(gcj02)`: that applies Baidu's offset outside mainland China too.
        let bd09 = Crs::Bd09.from_wgs84(dest);
        let name_q = percent_encode(name);
        let (amap_web_mode, amap_t) = amap_mode(mode);
        let bmode = baidu_mode(mode);
        let here = "我的位置";
        let here_q = percent_encode(here);

        // Amap web URI: `from` only when known (else the app starts where the rider is).
        let amap_from = origin
            .map(|o| {
                let g = Crs::Gcj02.from_wgs84(o);
                format!("from={:.6},{:.6},{here_q}&", g.lon, g.lat)
            })
            .unwrap_or_default();
        let amap = format!(
            "https://uri.amap.com/navigation?{amap_from}to={:.6},{:.6},{name_q}&mode={amap_web_mode}&src={SRC_COMPANY}.{SRC_APP}&coordinate=gaode&callnative=1",
            gcj02.lon, gcj02.lat
        );
        let amap_start = origin
            .map(|o| {
                let g = Crs::Gcj02.from_wgs84(o);
                format!("slat={:.6}&slon={:.6}&sname={here_q}&", g.lat, g.lon)
            })
            .unwrap_or_default();
        let amap_query = format!(
            "sourceApplication={SRC_COMPANY}.{SRC_APP}&{amap_start}dlat={:.6}&dlon={:.6}&dname={name_q}&dev=0&t={amap_t}",
            gcj02.lat, gcj02.lon
        );
        let amap_android = format!("amapuri://route/plan/?{amap_query}");
        let amap_ios = format!("iosamap://path?{amap_query}");

        let dest_b = percent_encode(&format!(
            "latlng:{:.6},{:.6}|name:{name}",
            bd09.lat, bd09.lon
        ));
        let origin_b = origin.map(|o| {
            let b = Crs::Bd09.from_wgs84(o);
            percent_encode(&format!("latlng:{:.6},{:.6}|name:{here}", b.lat, b.lon))
        });
        let baidu = match &origin_b {
            Some(ob) => format!(
                "https://api.map.baidu.com/direction?origin={ob}&destination={dest_b}&mode={bmode}&region=&output=html&coord_type=bd09ll&src=webapp.{SRC_COMPANY}.{SRC_APP}"
            ),
            None => format!(
                "https://api.map.baidu.com/marker?location={:.6},{:.6}&title={name_q}&content={name_q}&output=html&coord_type=bd09ll&src=webapp.{SRC_COMPANY}.{SRC_APP}",
                bd09.lat, bd09.lon
            ),
        };
        let baidu_origin = origin_b
            .map(|ob| format!("origin={ob}&"))
            .unwrap_or_default();
        let baidu_native = |platform: &str| {
            format!(
                "baidumap://map/direction?{baidu_origin}destination={dest_b}&coord_type=bd09ll&mode={bmode}&src={platform}.{SRC_COMPANY}.{SRC_APP}"
            )
        };
        NavLinks {
            amap,
            amap_android,
            amap_ios,
            baidu,
            baidu_android: baidu_native("andr"),
            baidu_ios: baidu_native("ios"),
            gcj02,
            bd09,
        }
    }

    #[test]
    fn fixed6_writes_what_the_standard_formatter_writes() {
        let mut values = vec![
            0.0,
            -0.0,
            5e-7,
            -5e-7,
            1.5e-6,
            2.5e-6,
            4e-7,
            -4e-7,
            1e-7,
            112.970_925,
            28.123_456_5,
            180.0,
            -180.0,
            999_999.999_999_5,
            1e12,
            -1e13,
            f64::MAX,
            f64::MIN_POSITIVE,
            f64::NAN,
            f64::INFINITY,
        ];
        // xorshift64: positions in every range a link may hold, plain and on decimal ties
        // (n / 10⁷ with a last digit 5), and wide magnitudes.
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..100_000 {
            let r = next();
            values.push((r % 1_080_000_000_000) as f64 / 1e9 - 540.0);
            values.push(((r % 1_800_000_000) as f64 * 10.0 + 5.0) / 1e8 - 90.0);
            values.push(f64::from_bits(r >> 2) % 1e9);
        }
        for v in values {
            assert_eq!(fixed6(v), format!("{v:.6}"), "{v:e}");
        }
    }

    #[test]
    fn links_from_halves_equal_the_former_builder_byte_for_byte() {
        let names = ["五一广场驿站", "\"引号\" \\ A&B | 100% + 𠮷", "Seoul", ""];
        let places = [
            (112.97093, 28.1986),
            (112.0, 28.0),
            (-0.000_000_4, 0.000_000_4),
            (126.978, 37.566),
            (113.5439, 22.1987),
            (114.17, 22.3),
            (179.999_999_9, -89.999_999),
            (87.6, 43.8),
            (113.000_000_5, 28.000_000_5),
            (-73.985_13, 40.758_9),
        ];
        let mut n = 0;
        for (i, &(lon, lat)) in places.iter().enumerate() {
            let dest = LonLat::new(lon, lat).unwrap();
            let (olon, olat) = places[(i + 3) % places.len()];
            for origin in [None, Some(LonLat::new(olon, olat).unwrap()), Some(dest)] {
                for mode in [TravelMode::Walk, TravelMode::Ebike] {
                    for name in names {
                        let links = nav_links(dest, name, origin, mode);
                        assert_eq!(
                            links,
                            reference_nav_links(dest, name, origin, mode),
                            "{dest:?} {name} {origin:?} {mode:?}"
                        );
                        // What `NavLink::write_to` promises a JSON writer: nothing to escape.
                        for l in [
                            &links.amap,
                            &links.amap_android,
                            &links.amap_ios,
                            &links.baidu,
                            &links.baidu_android,
                            &links.baidu_ios,
                        ] {
                            assert!(
                                l.bytes()
                                    .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\'),
                                "{l}"
                            );
                        }
                        n += 1;
                    }
                }
            }
        }
        assert_eq!(n, 10 * 3 * 2 * 4);
        assert_eq!(percent_encode("我的位置"), HERE_Q);
    }
}
