//! The served page (`/`, `/index.html`): `web/index.html` with what the first view needs
//! inlined, so that a phone on a weak signal waits for as few round trips as possible.
//!
//! On DevTools' "Slow 3G" (2 s per request, 50 kB/s) every request costs a round trip and
//! the link idles while the page's sub-requests wait for theirs; so the page carries:
//! - its two style sheets (MapLibre's and `style.css`) as `<style>` elements, so the first
//!   paint waits for no second request (the style policy already allows inline styles);
//! - the first view's GeoJSON ([`FIRST_VIEW_DATA`], about 30 kB brotli) as one JSON data
//!   block (`<script type="application/json" id="nuanxin-first-view">`, not executed), read
//!   by `basemap.js` (`fetchBaseData`) instead of five requests;
//! - for a browser's own navigation (`Sec-Fetch-Dest: document`) also MapLibre itself, as an
//!   inline script at the end of the body, allowed by its SHA-256 in the page's
//!   Content-Security-Policy (CSP Level 2 hash source): its 225 kB then start flowing with
//!   the page, one round trip (2 s on Slow 3G) earlier than as a file the page asks for.
//!   It comes before the first view's data and starts MapLibre's worker ([`PREWARM`]), so the
//!   worker compiles its code while the last 24 kB of the page are still on their way.
//!   Every other fetch of the page, e.g. the service worker precaching it, gets the shell
//!   that loads `/vendor/maplibre-gl-<version>/maplibre-gl.js` (cached for a year, compiled
//!   once and kept in the browser's code cache), so repeat visits do not re-read MapLibre
//!   from the page.
//!
//! Both forms are built once per process and compressed once ([`Encoded`], at start-up).

use super::super::precompressed::Encoded;
use super::{asset_body, etag_of, precached_data, MAPLIBRE_VERSION};
use axum::http::HeaderMap;
use base64::Engine as _;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::sync::OnceLock;

/// The page's template.
const TEMPLATE: &str = include_str!("../../../../../web/index.html");

/// Where the first view's data (and, for a navigation, MapLibre) go in the template.
pub(super) const INLINE_MARKER: &str = "<!-- nuanxin:inline -->";

/// Appended to the inline MapLibre script: starts MapLibre's worker pool at once
/// (`maplibregl.prewarm()`, MapLibre GL JS API), not when the page's code creates the map.
pub(super) const PREWARM: &str = "\n;maplibregl.prewarm();";

/// Id of the JSON data block with the first view's GeoJSON (read by `web/basemap.js`).
pub(super) const FIRST_VIEW_ID: &str = "nuanxin-first-view";

/// The first view's GeoJSON: the map's source id (`BASE_DATA` in `web/basemap.js`) and the
/// path the same data is served at.
pub(super) const FIRST_VIEW_DATA: [(&str, &str); 5] = [
    ("districts", "/data/districts-changsha.geojson"),
    ("district_labels", "/data/district-labels.geojson"),
    ("metro_lines", "/data/metro-lines.geojson"),
    ("metro_stations", "/data/metro-stations.geojson"),
    ("rivers", "/data/rivers.geojson"),
];

/// Which form of the page a request gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Variant {
    /// Styles and first-view data inline, MapLibre as a file.
    Shell,
    /// The shell with MapLibre inline too: a browser's navigation.
    Navigation,
}

impl Variant {
    /// [`Variant::Navigation`] for a request with `Sec-Fetch-Dest: document` (a browser
    /// loading the page, Fetch Metadata), else [`Variant::Shell`].
    pub(super) fn of(headers: &HeaderMap) -> Self {
        let document = headers
            .get("sec-fetch-dest")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("document"));
        if document {
            Variant::Navigation
        } else {
            Variant::Shell
        }
    }
}

/// One built form of the page.
pub(super) struct Page {
    /// The HTML.
    pub body: Vec<u8>,
    /// Its strong ETag.
    pub etag: String,
    /// The CSP hash source of its inline script (`'sha256-<base64>'`), if it has one.
    pub script_hash: Option<String>,
    encoded: OnceLock<Option<Encoded>>,
}

impl Page {
    /// Compresses the page (once; the first call does the work, slow for the page with
    /// MapLibre in it: [`super::precompress`] calls it off the request path).
    pub(super) fn compress(&self) -> Option<&Encoded> {
        self.encoded
            .get_or_init(|| Encoded::of(&self.body, "text/html; charset=utf-8", &self.etag))
            .as_ref()
    }

    /// The compressed forms if they are ready: a request never waits for them (until then
    /// the router's own compression layer compresses the page on the fly, faster and larger).
    pub(super) fn encoded(&self) -> Option<&Encoded> {
        self.encoded.get().and_then(Option::as_ref)
    }
}

/// The page in form `v`, built once per process.
pub(super) fn page(v: Variant) -> &'static Page {
    static SHELL: OnceLock<Page> = OnceLock::new();
    static NAVIGATION: OnceLock<Page> = OnceLock::new();
    match v {
        Variant::Shell => SHELL.get_or_init(|| build(TEMPLATE, false)),
        Variant::Navigation => NAVIGATION.get_or_init(|| build(TEMPLATE, true)),
    }
}

/// The first view's GeoJSON as one JSON object `{ source id: FeatureCollection }`, with
/// every `<` written `\u003c` so that no text in it can end the `<script>` element that
/// holds it (`<` only occurs inside JSON strings, where the escape means the same).
pub(super) fn first_view_json() -> String {
    let mut all = serde_json::Map::new();
    for (id, path) in FIRST_VIEW_DATA {
        let body: &[u8] = match precached_data(path) {
            Some(g) => &g.body,
            None => asset_body(path).unwrap_or(b"null"),
        };
        let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        all.insert(id.to_string(), v);
    }
    Value::Object(all).to_string().replace('<', "\\u003c")
}

/// The CSS of a `<link rel="stylesheet" href="…">` line naming an embedded file, as a
/// `<style>` element; other lines unchanged.
fn inline_style(line: &str) -> Option<String> {
    let href = line
        .trim()
        .strip_prefix("<link rel=\"stylesheet\" href=\"")?
        .strip_suffix("\">")?;
    let css = std::str::from_utf8(asset_body(href)?).ok()?;
    Some(format!("<style>{css}</style>"))
}

/// Builds the page from `template`: style sheets inline, the first view's data at
/// [`INLINE_MARKER`], and with `inline_maplibre` MapLibre's script (and [`PREWARM`]) just
/// before it, its `<script src>` and preload lines removed.
fn build(template: &str, inline_maplibre: bool) -> Page {
    let maplibre_path = format!("/vendor/maplibre-gl-{MAPLIBRE_VERSION}/maplibre-gl.js");
    let maplibre = asset_body(&maplibre_path)
        .and_then(|b| std::str::from_utf8(b).ok())
        .filter(|_| inline_maplibre);
    let mut out = String::with_capacity(template.len() + maplibre.map_or(0, str::len) + 200_000);
    let mut script_hash = None;
    for line in template.lines() {
        if maplibre.is_some() && line.contains(&format!("\"{maplibre_path}\"")) {
            continue;
        }
        if let Some(style) = inline_style(line) {
            out.push_str(&style);
        } else if line.trim() == INLINE_MARKER {
            if let Some(js) = maplibre {
                let script = format!("{js}{PREWARM}");
                let digest = Sha256::digest(script.as_bytes());
                script_hash = Some(format!(
                    "'sha256-{}'",
                    base64::engine::general_purpose::STANDARD.encode(digest)
                ));
                out.push_str("<script>");
                out.push_str(&script);
                out.push_str("</script>\n");
            }
            out.push_str(&format!(
                "<script type=\"application/json\" id=\"{FIRST_VIEW_ID}\">{}</script>",
                first_view_json()
            ));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    let body = out.into_bytes();
    let etag = etag_of(&body);
    Page {
        body,
        etag,
        script_hash,
        encoded: OnceLock::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn text(v: Variant) -> &'static str {
        std::str::from_utf8(&page(v).body).unwrap()
    }

    #[test]
    fn styles_are_inline_and_no_stylesheet_is_requested() {
        for v in [Variant::Shell, Variant::Navigation] {
            let html = text(v);
            assert!(!html.contains("rel=\"stylesheet\""), "{v:?}");
            let css = std::str::from_utf8(asset_body("/style.css").unwrap()).unwrap();
            assert!(html.contains(&format!("<style>{css}</style>")), "{v:?}");
            let ml_css = asset_body(&format!(
                "/vendor/maplibre-gl-{MAPLIBRE_VERSION}/maplibre-gl.css"
            ))
            .unwrap();
            assert!(html.contains(std::str::from_utf8(ml_css).unwrap()), "{v:?}");
            // The first view's data is inline, not preloaded as files.
            assert!(!html.contains(".geojson\" as=\"fetch\""), "{v:?}");
            assert!(html.contains(&format!("id=\"{FIRST_VIEW_ID}\"")));
        }
    }

    #[test]
    fn first_view_data_is_the_served_geojson() {
        let html = text(Variant::Shell);
        let open = format!("<script type=\"application/json\" id=\"{FIRST_VIEW_ID}\">");
        let start = html.find(&open).unwrap() + open.len();
        let end = start + html[start..].find("</script>").unwrap();
        let inline: Value = serde_json::from_str(&html[start..end]).unwrap();
        for (id, path) in FIRST_VIEW_DATA {
            let served: Value = match precached_data(path) {
                Some(g) => serde_json::from_slice(&g.body).unwrap(),
                None => serde_json::from_slice(asset_body(path).unwrap()).unwrap(),
            };
            assert_eq!(inline[id], served, "{id}");
            assert!(!served["features"].as_array().unwrap().is_empty(), "{id}");
        }
        // No `<` survives that could end the element early.
        assert!(!html[start..end].contains('<'));
    }

    #[test]
    fn escapes_angle_brackets_in_strings() {
        let v: Value =
            serde_json::from_str(&r#"{"a":"</script><b>"}"#.replace('<', "\\u003c")).unwrap();
        assert_eq!(v["a"], "</script><b>");
    }

    #[test]
    fn navigation_has_maplibre_inline_with_its_hash_and_the_shell_loads_the_file() {
        let path = format!("/vendor/maplibre-gl-{MAPLIBRE_VERSION}/maplibre-gl.js");
        let js = std::str::from_utf8(asset_body(&path).unwrap()).unwrap();
        let nav = text(Variant::Navigation);
        assert!(
            !nav.contains(&path),
            "the navigation page must not also load the file"
        );
        let open = nav.find(&format!("<script>{}", &js[..200])).unwrap();
        let body = &nav[open + "<script>".len()..];
        let script = &body[..body.find("</script>").unwrap()];
        assert_eq!(script, format!("{js}\n;maplibregl.prewarm();"));
        let data = nav.find(&format!("id=\"{FIRST_VIEW_ID}\"")).unwrap();
        assert!(
            open < data && nav[data..].contains("</body>"),
            "MapLibre comes before the first view's data, at the end of the body"
        );
        // The hash source is computed independently here from the script text.
        let want = format!(
            "'sha256-{}'",
            base64::engine::general_purpose::STANDARD.encode(Sha256::digest(script.as_bytes()))
        );
        assert_eq!(
            page(Variant::Navigation).script_hash.as_deref(),
            Some(want.as_str())
        );
        let shell = text(Variant::Shell);
        assert!(shell.contains(&format!("<script src=\"{path}\" defer")));
        assert!(!shell.contains(&js[..200]));
        assert!(page(Variant::Shell).script_hash.is_none());
    }

    #[test]
    fn the_variant_follows_fetch_metadata() {
        let mut h = HeaderMap::new();
        assert_eq!(Variant::of(&h), Variant::Shell);
        h.insert("sec-fetch-dest", HeaderValue::from_static("empty"));
        assert_eq!(Variant::of(&h), Variant::Shell);
        h.insert("sec-fetch-dest", HeaderValue::from_static("document"));
        assert_eq!(Variant::of(&h), Variant::Navigation);
    }
}
