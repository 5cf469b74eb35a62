//! Street names for place search, from the OpenStreetMap extract the road graph is made of.
//!
//! [`read_pbf`] reads every named `highway=*` way of an extract and keeps one
//! [`Place`] of kind [`PlaceKind::Street`] per distinct name (Chinese `name:zh` first, then
//! `name`), at the middle node of the longest way of that name; `nuanxin roads import`
//! stores them beside the road graph ([`path_for_graph`]: `<db>.roads.streets`, one JSON
//! array `[name, lon, lat, highway]` per line) and `nuanxin serve` registers them with
//! [`crate::search::set_streets`], so `GET /api/v1/search` finds streets.

use crate::error::FileError;
use crate::model::LonLat;
use crate::search::{Place, PlaceKind};
use osmpbf::{Element, ElementReader};
use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

/// Why street names could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum StreetNamesError {
    /// The file could not be opened, read or written.
    #[error(transparent)]
    File(#[from] crate::error::FileError),
    /// The OSM PBF data is damaged.
    #[error("{0}: damaged OSM PBF data")]
    Pbf(String, #[source] osmpbf::Error),
    /// A line of a street-names file is not `[name, lon, lat, highway]`.
    #[error("{0}, line {1}: not a street entry [name, lon, lat, highway]")]
    BadLine(String, usize),
}

impl crate::error::Classify for StreetNamesError {
    /// A missing file is not found; an extract that is not valid OSM PBF is invalid input
    /// naming `file`; a damaged street-names file (written by this program) or another I/O
    /// failure is internal.
    fn class(&self) -> crate::error::ErrorClass {
        use crate::error::ErrorClass;
        match self {
            StreetNamesError::File(e) => e.class(),
            StreetNamesError::Pbf(..) => ErrorClass::invalid("file"),
            StreetNamesError::BadLine(..) => ErrorClass::Internal,
        }
    }
}

/// The street-names file that belongs to road graph `graph`: `<graph>.streets`.
pub fn path_for_graph(graph: &Path) -> PathBuf {
    let mut s = graph.as_os_str().to_owned();
    s.push(".streets");
    PathBuf::from(s)
}

/// One named way kept by pass 1.
struct NamedWay {
    name: String,
    highway: String,
    /// Its middle node.
    node: i64,
    /// Its node count (the longest way of a name gives the name's position).
    len: usize,
}

/// The named streets of the OSM PBF extract at `path`: one place per distinct name, at the
/// middle node of the longest way bearing it; `category` is the way's `highway` class. Ways
/// whose middle node is missing from a clipped extract are skipped. Sorted by name.
///
/// # Errors
/// [`StreetNamesError::File`] when the file cannot be read, [`StreetNamesError::Pbf`] when it
/// is not valid OSM PBF.
pub fn read_pbf(path: &Path) -> Result<Vec<Place>, StreetNamesError> {
    let file = path.display().to_string();
    // Opened here (as `ElementReader::from_path` does) to keep the `io::Error` as the source.
    let open = || {
        std::fs::File::open(path)
            .map(|f| ElementReader::new(std::io::BufReader::new(f)))
            .map_err(|e| StreetNamesError::from(FileError::read(path, e)))
    };
    let damaged = |e: osmpbf::Error| StreetNamesError::Pbf(file.clone(), e);
    // Pass 1: the longest way of each name.
    let mut by_name: HashMap<String, NamedWay> = HashMap::new();
    open()?
        .for_each(|el| {
            let Element::Way(w) = el else { return };
            let (mut highway, mut name, mut name_zh) = (None, None, None);
            for (k, v) in w.tags() {
                match k {
                    "highway" => highway = Some(v),
                    "name" => name = Some(v),
                    "name:zh" | "name:zh-Hans" if name_zh.is_none() => name_zh = Some(v),
                    _ => {}
                }
            }
            let (Some(highway), Some(name)) = (highway, name_zh.or(name)) else {
                return;
            };
            let name = name.trim();
            let refs: Vec<i64> = w.refs().collect();
            if name.is_empty() || refs.is_empty() {
                return;
            }
            let way = NamedWay {
                name: name.to_string(),
                highway: highway.to_string(),
                node: refs[refs.len() / 2],
                len: refs.len(),
            };
            match by_name.get(name) {
                Some(have) if have.len >= way.len => {}
                _ => {
                    by_name.insert(way.name.clone(), way);
                }
            }
        })
        .map_err(damaged)?;
    // Pass 2: positions of those middle nodes.
    let mut wanted: HashMap<i64, Option<LonLat>> =
        by_name.values().map(|w| (w.node, None)).collect();
    let mut put = |id: i64, lon: f64, lat: f64| {
        if let Some(slot) = wanted.get_mut(&id) {
            *slot = Some(LonLat { lon, lat });
        }
    };
    open()?
        .for_each(|el| match el {
            Element::Node(n) => put(n.id(), n.lon(), n.lat()),
            Element::DenseNode(n) => put(n.id(), n.lon(), n.lat()),
            _ => {}
        })
        .map_err(damaged)?;
    let mut out: Vec<Place> = by_name
        .into_values()
        .filter_map(|w| {
            let at = wanted.get(&w.node).copied().flatten()?;
            Some(Place {
                kind: PlaceKind::Street,
                name: w.name,
                name_en: None,
                location: at,
                id: None,
                category: Some(w.highway),
            })
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Writes `streets` to `path` (one JSON array `[name, lon, lat, highway]` per line),
/// through a temporary file renamed into place.
///
/// # Errors
/// [`StreetNamesError::File`] naming the file.
pub fn save(streets: &[Place], path: &Path) -> Result<(), StreetNamesError> {
    let io = |e: std::io::Error| StreetNamesError::from(FileError::write(path, e));
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut w = std::io::BufWriter::new(std::fs::File::create(&tmp).map_err(io)?);
    for p in streets {
        let line = serde_json::json!([p.name, p.location.lon, p.location.lat, p.category]);
        writeln!(w, "{line}").map_err(io)?;
    }
    w.into_inner()
        .map_err(|e| io(e.into_error()))?
        .sync_all()
        .map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}

/// Reads a file written by [`save`].
///
/// # Errors
/// [`StreetNamesError::File`] when it cannot be read, [`StreetNamesError::BadLine`] naming
/// the first line that is not a street entry.
pub fn load(path: &Path) -> Result<Vec<Place>, StreetNamesError> {
    let file = path.display().to_string();
    let f = std::fs::File::open(path).map_err(|e| FileError::read(path, e))?;
    let mut out = Vec::new();
    for (i, line) in std::io::BufReader::new(f).lines().enumerate() {
        let line = line.map_err(|e| FileError::read(path, e))?;
        if line.trim().is_empty() {
            continue;
        }
        let bad = || StreetNamesError::BadLine(file.clone(), i + 1);
        let v: serde_json::Value = serde_json::from_str(&line).map_err(|_| bad())?;
        let (Some(name), Some(lon), Some(lat)) = (v[0].as_str(), v[1].as_f64(), v[2].as_f64())
        else {
            return Err(bad());
        };
        if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
            return Err(bad());
        }
        out.push(Place {
            kind: PlaceKind::Street,
            name: name.to_string(),
            name_en: None,
            location: LonLat { lon, lat },
            id: None,
            category: v[3].as_str().map(str::to_string),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::{search_text, Gazetteer};

    fn fixture() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/fixtures/osm/helsinki_center.osm.pbf")
    }

    #[test]
    fn helsinki_streets_are_read_saved_and_searchable() {
        let streets = read_pbf(&fixture()).unwrap();
        // One place per name: no duplicates.
        let mut names: Vec<&str> = streets.iter().map(|p| p.name.as_str()).collect();
        names.dedup();
        assert_eq!(names.len(), streets.len());
        // Mannerheimintie and Pohjoisesplanadi run through the extract's bbox
        // 24.9352–24.9534 E, 60.1642–60.1791 N (tests/fixtures/osm/README.md).
        for want in ["Mannerheimintie", "Pohjoisesplanadi"] {
            let p = streets
                .iter()
                .find(|p| p.name == want)
                .unwrap_or_else(|| panic!("{want}"));
            assert!(
                (24.93..24.96).contains(&p.location.lon)
                    && (60.16..60.18).contains(&p.location.lat),
                "{want} at {:?}",
                p.location
            );
            assert_eq!(p.kind, PlaceKind::Street);
        }
        // Saved and read back unchanged.
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("h.roads.streets");
        save(&streets, &file).unwrap();
        let back = load(&file).unwrap();
        assert_eq!(back.len(), streets.len());
        for (a, b) in back.iter().zip(&streets) {
            assert_eq!(
                (&a.name, a.kind, &a.category),
                (&b.name, b.kind, &b.category)
            );
            // JSON keeps the OSM positions (1e-7 degrees) to well under a micrometre.
            assert!(
                (a.location.lon - b.location.lon).abs() < 1e-9
                    && (a.location.lat - b.location.lat).abs() < 1e-9
            );
        }
        // Searchable by name.
        let g = Gazetteer::new(streets);
        let hits = search_text("Pohjoisespl", &[&g], 5);
        assert_eq!(hits[0].place.name, "Pohjoisesplanadi");
        assert_eq!(hits[0].place.kind, PlaceKind::Street);
    }

    #[test]
    fn a_damaged_line_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("x.streets");
        std::fs::write(
            &file,
            "[\"A\", 1.0, 2.0, \"residential\"]\n[\"B\", 999, 2]\n",
        )
        .unwrap();
        let e = load(&file).unwrap_err();
        assert!(matches!(e, StreetNamesError::BadLine(_, 2)), "{e}");
    }
}
