//! Column names and value vocabularies shared by the CSV and XLSX importers (and the
//! property names the GeoJSON importer accepts).
//!
//! Officials export spreadsheets with Chinese or English headers, sometimes decorated with a
//! unit or a "required" mark (`经度（GCJ-02）`, `名称*`). [`Field::from_header`] strips those
//! decorations and maps every alias to one canonical field.

use crate::model::{AccessMethod, Amenity, ServiceKind, UnknownCode};
use std::str::FromStr;

/// A canonical input field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// Stable identifier (`id`, `编号`, `序号`).
    Id,
    /// Display name (`name`, `名称`).
    Name,
    /// Service kind (`kind`, `类型`).
    Kind,
    /// Longitude, degrees (`lon`, `lng`, `longitude`, `经度`).
    Lon,
    /// Latitude, degrees (`lat`, `latitude`, `纬度`).
    Lat,
    /// Street address (`address`, `地址`).
    Address,
    /// Public phone (`phone`, `电话`, `联系电话`).
    Phone,
    /// OSM `opening_hours` expression (`opening_hours`, `开放时间`).
    OpeningHours,
    /// Amenities, a list (`amenities`, `设施`).
    Amenities,
    /// Access method (`access`, `进入方式`).
    Access,
    /// Operator (`operator`, `运营方`).
    Operator,
    /// 6-digit district code (`adcode`, `区划代码`).
    Adcode,
    /// Where the record came from (`source`, `来源`).
    Source,
    /// Last change, RFC 3339 (`updated_at`, `更新时间`).
    UpdatedAt,
    /// Demo flag (`demo`, `演示数据`).
    Demo,
    /// Entrance longitude of a rider-friendly community (`entrance_lon`, `入口经度`).
    EntranceLon,
    /// Entrance latitude of a rider-friendly community (`entrance_lat`, `入口纬度`).
    EntranceLat,
}

/// Every field with its aliases (compared after [`normalize_header`]), in the order of
/// [`Field`] (checked at compile time). The first alias is the canonical English name, the
/// second the Chinese header used in the templates.
pub const ALIASES: &[(Field, &[&str])] = &[
    (Field::Id, &["id", "编号", "序号", "标识"]),
    (Field::Name, &["name", "名称", "站点名称", "服务点名称"]),
    (Field::Kind, &["kind", "类型", "类别", "type"]),
    (
        Field::Lon,
        &["lon", "经度", "lng", "longitude", "long", "x"],
    ),
    (Field::Lat, &["lat", "纬度", "latitude", "y"]),
    (Field::Address, &["address", "地址", "详细地址"]),
    (
        Field::Phone,
        &["phone", "电话", "联系电话", "tel", "telephone"],
    ),
    (
        Field::OpeningHours,
        &[
            "opening_hours",
            "开放时间",
            "营业时间",
            "openinghours",
            "hours",
        ],
    ),
    (
        Field::Amenities,
        &["amenities", "设施", "服务设施", "amenity"],
    ),
    (Field::Access, &["access", "进入方式", "准入方式"]),
    (
        Field::Operator,
        &["operator", "运营方", "运营单位", "管理单位"],
    ),
    (Field::Adcode, &["adcode", "区划代码", "行政区划代码"]),
    (Field::Source, &["source", "来源", "数据来源"]),
    (Field::UpdatedAt, &["updated_at", "更新时间"]),
    (Field::Demo, &["demo", "演示数据"]),
    (Field::EntranceLon, &["entrance_lon", "入口经度"]),
    (Field::EntranceLat, &["entrance_lat", "入口纬度"]),
];

// ALIASES holds every Field once, in declaration order, each with at least two aliases, so
// `ALIASES[field as usize].1[0]` and `[1]` exist; a wrong table fails the build.
const _: () = {
    assert!(ALIASES.len() == Field::EntranceLat as usize + 1);
    let mut i = 0;
    while i < ALIASES.len() {
        assert!(ALIASES[i].0 as usize == i && ALIASES[i].1.len() >= 2);
        i += 1;
    }
};

impl Field {
    /// The canonical English name, as used in messages (`field lon`).
    pub fn name(self) -> &'static str {
        Self::aliases(self)[0]
    }

    /// The Chinese header used in the templates.
    pub fn header_zh(self) -> &'static str {
        Self::aliases(self)[1]
    }

    fn aliases(self) -> &'static [&'static str] {
        ALIASES[self as usize].1
    }

    /// The field a header names, or `None` for a column this program does not read.
    pub fn from_header(header: &str) -> Option<Field> {
        let h = normalize_header(header);
        ALIASES
            .iter()
            .find(|(_, aliases)| aliases.iter().any(|a| *a == h))
            .map(|(f, _)| *f)
    }
}

/// Normalises a header for alias lookup: strips a UTF-8 BOM, whitespace, a bracketed
/// remark (`(GCJ-02)`, `（必填）`), required marks (`*`, `＊`) and ASCII case.
pub fn normalize_header(header: &str) -> String {
    let mut s = header.trim_start_matches('\u{feff}').trim().to_string();
    for (open, close) in [('(', ')'), ('（', '）'), ('[', ']'), ('【', '】')] {
        if let Some(i) = s.find(open) {
            if let Some(j) = s[i..].find(close) {
                s.replace_range(i..i + j + close.len_utf8(), "");
            }
        }
    }
    s.chars()
        .filter(|c| !c.is_whitespace() && *c != '*' && *c != '＊')
        .collect::<String>()
        .to_ascii_lowercase()
        .replace('-', "_")
}

/// Extra Chinese names of service kinds seen in official lists (docs/GLOSSARY.md), beyond the
/// labels [`ServiceKind::label_zh`] gives.
const KIND_ALIASES: &[(&str, ServiceKind)] = &[
    ("暖新驿站", ServiceKind::Station),
    ("红色之家", ServiceKind::Station),
    ("工会户外劳动者服务站", ServiceKind::Station),
    ("户外劳动者服务站", ServiceKind::Station),
    ("服务站", ServiceKind::Station),
    ("权益服务点", ServiceKind::LegalAid),
    ("新就业群体权益服务点", ServiceKind::LegalAid),
    ("法律援助点", ServiceKind::LegalAid),
    ("骑手友好小区", ServiceKind::RiderFriendlyCommunity),
    ("友好社区", ServiceKind::RiderFriendlyCommunity),
    ("征集点", ServiceKind::CollectionPoint),
    ("建议征集点", ServiceKind::CollectionPoint),
];

/// Parses a kind given as a code (`station`) or a Chinese name (`驿站`, `红色之家`).
///
/// # Errors
/// [`UnknownCode`] listing the valid codes.
pub fn parse_kind(s: &str) -> Result<ServiceKind, UnknownCode> {
    let t = s.trim();
    KIND_ALIASES
        .iter()
        .find(|(a, _)| *a == t)
        .map(|(_, k)| *k)
        .map_or_else(|| ServiceKind::from_str(t), Ok)
}

const AMENITY_ALIASES: &[(&str, Amenity)] = &[
    ("喝水", Amenity::DrinkingWater),
    ("饮用水", Amenity::DrinkingWater),
    ("热水", Amenity::DrinkingWater),
    ("手机充电", Amenity::Charging),
    ("电动车充电", Amenity::Charging),
    ("微波炉", Amenity::HotMeals),
    ("厕所", Amenity::Toilet),
    ("洗手间", Amenity::Toilet),
    ("空调", Amenity::Cooling),
    ("休息", Amenity::Rest),
    ("休息区", Amenity::Rest),
    ("wi_fi", Amenity::Wifi),
    ("停车位", Amenity::Parking),
    ("法律援助", Amenity::LegalConsult),
];

/// Parses one amenity given as a code (`drinking_water`) or a Chinese name (`饮水`, `喝水`).
///
/// # Errors
/// [`UnknownCode`] listing the valid codes.
pub fn parse_amenity(s: &str) -> Result<Amenity, UnknownCode> {
    let t = s.trim();
    let lower = t.to_ascii_lowercase().replace('-', "_");
    AMENITY_ALIASES
        .iter()
        .find(|(a, _)| *a == t || *a == lower)
        .map(|(_, k)| *k)
        .map_or_else(|| Amenity::from_str(&lower), Ok)
}

/// Splits a list cell such as `饮水、充电;toilet` on the separators spreadsheets use
/// (`,` `，` `、` `;` `；` `|` `/`), dropping empty items.
pub fn split_list(s: &str) -> impl Iterator<Item = &str> {
    s.split([',', '，', '、', ';', '；', '|', '/'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
}

const ACCESS_ALIASES: &[(&str, AccessMethod)] = &[
    ("自由进入", AccessMethod::Open),
    ("开放进入", AccessMethod::Open),
    ("人脸识别", AccessMethod::FaceScan),
    ("扫码", AccessMethod::RiderCode),
    ("扫骑手码", AccessMethod::RiderCode),
    ("有人值守时段", AccessMethod::StaffedHours),
    ("值守", AccessMethod::StaffedHours),
];

/// Parses an access method given as a code (`face_scan`) or a Chinese name (`刷脸`).
///
/// # Errors
/// [`UnknownCode`] listing the valid codes.
pub fn parse_access(s: &str) -> Result<AccessMethod, UnknownCode> {
    let t = s.trim();
    ACCESS_ALIASES
        .iter()
        .find(|(a, _)| *a == t)
        .map(|(_, k)| *k)
        .map_or_else(|| AccessMethod::from_str(t), Ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_map_with_decorations() {
        assert_eq!(Field::from_header("经度"), Some(Field::Lon));
        assert_eq!(Field::from_header("\u{feff}名称*"), Some(Field::Name));
        assert_eq!(Field::from_header(" Longitude "), Some(Field::Lon));
        assert_eq!(Field::from_header("经度（GCJ-02）"), Some(Field::Lon));
        assert_eq!(Field::from_header("lng"), Some(Field::Lon));
        assert_eq!(
            Field::from_header("Opening-Hours"),
            Some(Field::OpeningHours)
        );
        assert_eq!(Field::from_header("备注"), None);
        assert_eq!(Field::Lon.header_zh(), "经度");
    }

    #[test]
    fn vocab_accepts_codes_and_chinese() {
        assert_eq!(parse_kind("红色之家").unwrap(), ServiceKind::Station);
        assert_eq!(parse_kind("legal_aid").unwrap(), ServiceKind::LegalAid);
        assert!(parse_kind("bakery").is_err());
        assert_eq!(parse_amenity("饮水").unwrap(), Amenity::DrinkingWater);
        assert_eq!(
            parse_amenity("Drinking_Water").unwrap(),
            Amenity::DrinkingWater
        );
        assert!(parse_amenity("sauna").is_err());
        assert_eq!(parse_access("刷脸").unwrap(), AccessMethod::FaceScan);
        let items: Vec<_> = split_list("饮水、充电; toilet,,").collect();
        assert_eq!(items, ["饮水", "充电", "toilet"]);
    }
}
