//! The streamed CSV and XLSX importers (files, record by record, `import_file_to`) against
//! the in-memory ones (`import_bytes`, which decode the whole file first): the same points,
//! issues, encoding and errors for the same bytes, in every encoding the CSV importer reads,
//! across the reader's buffer boundaries; and the sink contract (a sink error stops the
//! import; a file that is going to be rejected hands over nothing more).

// Test code: helpers outside #[test] functions fail the test on a failed step too.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use encoding_rs::GB18030;
use nuanxin_core::import::{
    import_bytes, import_file, import_file_to, Format, ImportError, ImportOptions, ImportReport,
};

fn show(r: Result<ImportReport, ImportError>) -> String {
    match r {
        Ok(r) => format!(
            "ok {:?} {:?} {} {:?} {}",
            r.points, r.issues, r.records, r.encoding, r.accepted
        ),
        Err(e) => format!("err {e} {e:?}"),
    }
}

/// Both importers' results on `bytes` (a file named `name`), as comparable strings.
fn both(name: &str, bytes: &[u8], options: &ImportOptions) -> (String, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    let format = Format::from_path(&path).unwrap();
    let options = ImportOptions {
        source: Some(name.to_string()),
        ..options.clone()
    };
    (
        show(import_bytes(bytes, format, &options)),
        show(import_file(&path, &options)),
    )
}

const HEADER: &str = "编号,名称,类型,经度,纬度,地址,开放时间,设施\r\n";

/// `n` rows with Chinese text (multi-byte in every encoding), one bad latitude at row `bad`.
fn rows(n: usize, bad: Option<usize>) -> String {
    let mut s = String::from(HEADER);
    for i in 0..n {
        let lat = if Some(i) == bad { 128.1 } else { 28.1 };
        s.push_str(&format!(
            "s{i},芙蓉区第{i}号暖新驿站,驿站,{:.6},{lat},\"长沙市芙蓉区五一大道{i}号,\r\n二楼\",24/7,饮水、充电\r\n",
            112.9 + (i % 100) as f64 * 1e-3
        ));
    }
    s
}

fn utf16le_bom(text: &str) -> Vec<u8> {
    let mut b = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        b.extend_from_slice(&u.to_le_bytes());
    }
    b
}

#[test]
fn streamed_and_in_memory_csv_imports_agree() {
    let skip = ImportOptions {
        skip_invalid: true,
        ..ImportOptions::default()
    };
    // 3 000 rows: about 300 KB, past the 64 KiB sniffing read and the readers' buffers, so
    // multi-byte characters and CRLF pairs straddle buffer ends.
    let big = rows(3000, Some(2718));
    let small = rows(3, Some(1));
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(big.as_bytes());
    let mut bad_gbk = GB18030.encode(&small).0.into_owned();
    let at = bad_gbk.len() - 5;
    bad_gbk[at] = 0xFF; // 0xFF is no GB18030 lead byte: the last line is undecodable
    let mut bad_utf8_bom = b"\xEF\xBB\xBF".to_vec();
    bad_utf8_bom.extend_from_slice(small.as_bytes());
    let at = bad_utf8_bom.len() - 3;
    bad_utf8_bom[at] = 0xC3;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("utf8", big.as_bytes().to_vec()),
        ("utf8 BOM", bom),
        ("gbk", GB18030.encode(&big).0.into_owned()),
        ("utf16", utf16le_bom(&big.replace(',', "\t"))),
        ("lf", small.replace("\r\n", "\n").into_bytes()),
        ("semicolons", small.replace(',', ";").into_bytes()),
        ("bad gbk", bad_gbk),
        ("bad utf8 bom", bad_utf8_bom),
        ("header only", HEADER.as_bytes().to_vec()),
        ("empty", Vec::new()),
        ("no header", b"a,b\n1,2\n".to_vec()),
        (
            "unclosed quote",
            format!("{HEADER}s1,\"x,驿站,112.9,28.1\n").into_bytes(),
        ),
    ];
    for (label, bytes) in &cases {
        for opts in [&ImportOptions::default(), &skip] {
            let (mem, file) = both("t.csv", bytes, opts);
            assert_eq!(mem, file, "{label} (skip_invalid {})", opts.skip_invalid);
        }
    }
    // The comparison is not vacuous: the big file imports 2 999 points with skip_invalid,
    // its bad row named by its physical line (header 1, two lines per row: 2 + 2 × 2718).
    let (_, file) = both("t.csv", big.as_bytes(), &skip);
    assert!(file.contains("Line(5438)"), "{}", &file[file.len() - 400..]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.csv");
    std::fs::write(&path, GB18030.encode(&big).0).unwrap();
    let r = import_file(&path, &skip).unwrap();
    assert_eq!((r.points.len(), r.records), (2999, 3000));
    assert_eq!(r.points[2999 - 1].name, "芙蓉区第2999号暖新驿站");
    assert_eq!(
        r.points[0].address.as_deref(),
        Some("长沙市芙蓉区五一大道0号,\r\n二楼")
    );
    assert_eq!(r.encoding, Some("GBK/GB18030"));
}

#[test]
fn streamed_and_in_memory_xlsx_imports_agree() {
    for name in [
        "data/templates/service_points_template.xlsx",
        "tests/fixtures/bad_rows.xlsx",
    ] {
        let bytes = std::fs::read(format!("{}/../../{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
        for skip_invalid in [false, true] {
            let opts = ImportOptions {
                skip_invalid,
                ..ImportOptions::default()
            };
            let (mem, file) = both("t.xlsx", &bytes, &opts);
            assert_eq!(mem, file, "{name} (skip_invalid {skip_invalid})");
        }
    }
}

#[test]
fn a_sink_error_stops_the_import_and_a_rejected_file_hands_over_no_more() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.csv");
    std::fs::write(&path, rows(100, None)).unwrap();
    let mut got = 0;
    let e = import_file_to(&path, &ImportOptions::default(), &mut |_| {
        got += 1;
        if got == 5 {
            return Err(ImportError::Store(
                nuanxin_core::suggestions::StoreError::database("disk full"),
            ));
        }
        Ok(())
    })
    .unwrap_err();
    assert!(matches!(e, ImportError::Store(_)), "{e:?}");
    assert_eq!(got, 5);
    // Row 10 is invalid: without skip_invalid the file will be rejected, so the sink gets
    // rows 0–9 only; with skip_invalid it gets the 99 valid ones.
    std::fs::write(&path, rows(100, Some(10))).unwrap();
    let mut got = 0;
    let e = import_file_to(&path, &ImportOptions::default(), &mut |_| {
        got += 1;
        Ok(())
    })
    .unwrap_err();
    assert!(matches!(e, ImportError::Rejected { .. }), "{e:?}");
    assert_eq!(got, 10);
    let mut got = 0;
    let skip = ImportOptions {
        skip_invalid: true,
        ..ImportOptions::default()
    };
    let r = import_file_to(&path, &skip, &mut |_| {
        got += 1;
        Ok(())
    })
    .unwrap();
    assert_eq!(
        (got, r.accepted, r.points.len(), r.records),
        (99, 99, 0, 100)
    );
}
