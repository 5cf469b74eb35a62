//! Road-graph import on real OpenStreetMap extracts (Helsinki and Kotka, ODbL, see
//! `tests/fixtures/osm/README.md`).

// Test code: helpers outside #[test] functions fail the test on a failed step too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use nuanxin_core::coverage::NoProgress;
use nuanxin_core::model::LonLat;
use nuanxin_core::routing::{covers_any, import_pbf, RoadGraph, RoutingError, SnapRole};
use nuanxin_core::travel::TravelMode;
use std::path::PathBuf;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/osm")
        .join(name)
}

/// The clipped originals and their referentially complete copies (split at the missing nodes
/// by pyosmium, `complete_refs.py`) must give the same graph: cutting at missing nodes is
/// exactly what that independent tool does to the file.
#[test]
fn clipped_extracts_are_cut_at_missing_nodes_like_the_complete_copies() {
    for (clipped, complete) in [
        (
            "helsinki_center.osm.pbf",
            "helsinki_center_complete.osm.pbf",
        ),
        ("kotka_test.osm.pbf", "kotka_test_complete.osm.pbf"),
    ] {
        let a = import_pbf(&fixture(clipped), &NoProgress).unwrap();
        let b = import_pbf(&fixture(complete), &NoProgress).unwrap();
        assert!(
            a.import.ways_cut > 0 && a.import.missing_node_refs > 0,
            "{clipped}"
        );
        assert_eq!(b.import.ways_cut, 0, "{complete}");
        assert_eq!(b.import.missing_node_refs, 0, "{complete}");
        let (fa, fb) = (a.figures(), b.figures());
        assert_eq!(
            (fa.nodes, fa.segments),
            (fb.nodes, fb.segments),
            "{clipped}"
        );
        for (ma, mb) in fa.modes.iter().zip(&fb.modes) {
            assert_eq!(ma.edges, mb.edges);
            assert!((ma.road_km - mb.road_km).abs() < 1e-6);
        }
    }
}

#[test]
fn helsinki_figures_are_plausible() {
    let g = import_pbf(&fixture("helsinki_center.osm.pbf"), &NoProgress).unwrap();
    let f = g.figures();
    // SOURCES.md: 4,525 missing references among all ways; the usable roads have some.
    assert!(g.import.missing_node_refs <= 4525);
    // The extract covers about 1 × 1.7 km of a dense centre: tens of km of walkable ways.
    let walk = &f.modes[0];
    assert!(
        walk.road_km > 30.0 && walk.road_km < 400.0,
        "{}",
        walk.road_km
    );
    assert!(
        walk.largest_component_share > 0.8,
        "{}",
        walk.largest_component_share
    );
    assert!(f.modes[1].road_km < walk.road_km);
    // Station points in the centre snap; Changsha's do not.
    let senate_square = LonLat::new(24.9522, 60.1695).unwrap();
    assert!(g
        .snap(senate_square, TravelMode::Walk, SnapRole::Origin, 200.0)
        .is_some());
    covers_any(&g, &[senate_square], 200.0).unwrap();
    let changsha = LonLat::new(112.9709, 28.1986).unwrap();
    assert!(matches!(
        covers_any(&g, &[changsha], 200.0),
        Err(RoutingError::CoversNoServicePoint(_, 1, _))
    ));
    // Stored and loaded unchanged.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("h.roads");
    g.save(&p).unwrap();
    assert_eq!(RoadGraph::load(&p).unwrap().figures(), f);
}

#[test]
fn bad_files_are_named_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    // Not a PBF at all.
    let csv = dir.path().join("stations.osm.pbf");
    std::fs::write(&csv, "名称,经度,纬度\n驿站,112.97,28.19\n").unwrap();
    let e = import_pbf(&csv, &NoProgress).unwrap_err();
    assert!(
        matches!(e, RoutingError::NotPbf(ref f, _) if f.ends_with("stations.osm.pbf")),
        "{e}"
    );
    // Empty.
    let empty = dir.path().join("empty.osm.pbf");
    std::fs::write(&empty, b"").unwrap();
    assert!(matches!(
        import_pbf(&empty, &NoProgress),
        Err(RoutingError::NotPbf(_, _))
    ));
    // Truncated in the middle of a block.
    let bytes = std::fs::read(fixture("kotka_test.osm.pbf")).unwrap();
    let cut = dir.path().join("cut.osm.pbf");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let e = import_pbf(&cut, &NoProgress).unwrap_err();
    assert!(matches!(e, RoutingError::Pbf(_, _)), "{e}");
    assert!(e.to_string().contains("cut.osm.pbf"));
    // Only the header block: a valid PBF without any way.
    let header_only = dir.path().join("header.osm.pbf");
    std::fs::write(&header_only, &bytes[..first_block_len(&bytes)]).unwrap();
    let e = import_pbf(&header_only, &NoProgress).unwrap_err();
    assert!(matches!(e, RoutingError::NoUsableWays(_)), "{e}");
    // Missing file.
    assert!(matches!(
        import_pbf(&dir.path().join("nope.pbf"), &NoProgress),
        Err(RoutingError::File(_))
    ));
}

/// Length of the first block of a PBF file: 4-byte big-endian header length, the
/// `BlobHeader` (whose field 3, tag byte 0x18, is the varint `datasize`), then the blob
/// (OSM wiki, *PBF Format*).
fn first_block_len(b: &[u8]) -> usize {
    let hlen = u32::from_be_bytes(b[..4].try_into().unwrap()) as usize;
    let header = &b[4..4 + hlen];
    let at = header.iter().rposition(|&x| x == 0x18).unwrap() + 1;
    let (mut datasize, mut shift) = (0usize, 0);
    for &byte in &header[at..] {
        datasize |= ((byte & 0x7f) as usize) << shift;
        shift += 7;
        if byte & 0x80 == 0 {
            break;
        }
    }
    4 + hlen + datasize
}
