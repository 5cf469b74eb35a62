//! Closed vocabularies: service kinds, amenities and access methods.

use serde::{Deserialize, Serialize};

/// A code that is not one of a vocabulary's names. `valid` lists the accepted codes, so
/// an error message can tell the user what to type instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} `{given}`; valid: {}", valid.join(", "))]
pub struct UnknownCode {
    /// The vocabulary, e.g. `"kind"`.
    pub what: &'static str,
    /// What the caller gave.
    pub given: String,
    /// Every accepted code.
    pub valid: Vec<&'static str>,
}

impl crate::error::Classify for UnknownCode {
    /// Invalid input naming the vocabulary (`kind`, `access_method`) and its codes.
    fn class(&self) -> crate::error::ErrorClass {
        crate::error::ErrorClass::invalid_choice(self.what.replace(' ', "_"), &self.valid)
    }
}

/// Defines a closed vocabulary enum with its code, Chinese and English labels: `ALL`,
/// `as_str`, `label_zh`, `label_en`, `codes`, `FromStr` (code, ASCII case-insensitive, or
/// Chinese label; error [`UnknownCode`] listing the valid codes) and `Display`.
/// Used for every closed list of the domain (here and in `suggestions`).
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident, $what:literal, { $($(#[$vmeta:meta])* $variant:ident = $code:literal, $zh:literal, $en:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant,)+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];
            /// The code used in APIs, files and the database.
            pub fn as_str(self) -> &'static str { match self { $($name::$variant => $code,)+ } }
            /// Simplified Chinese label for the user interface.
            pub fn label_zh(self) -> &'static str { match self { $($name::$variant => $zh,)+ } }
            /// English label for the user interface.
            pub fn label_en(self) -> &'static str { match self { $($name::$variant => $en,)+ } }
            /// Every code, in declaration order.
            pub fn codes() -> Vec<&'static str> { Self::ALL.iter().map(|v| v.as_str()).collect() }
        }

        impl ::std::str::FromStr for $name {
            type Err = $crate::model::UnknownCode;
            /// Parses the code (ASCII case-insensitive); also accepts the Chinese label.
            fn from_str(s: &str) -> Result<Self, $crate::model::UnknownCode> {
                let t = s.trim();
                $(if t.eq_ignore_ascii_case($code) || t == $zh { return Ok($name::$variant); })+
                Err($crate::model::UnknownCode { what: $what, given: s.to_string(), valid: Self::codes() })
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result { f.write_str(self.as_str()) }
        }
    };
}
pub(crate) use vocabulary;

vocabulary!(
    /// The four kinds of service point the index holds (docs/GLOSSARY.md, "Service points").
    ServiceKind, "kind", {
        /// 驿站: a rest station (some are 24-hour "red homes").
        Station = "station", "驿站", "Rest station";
        /// 新就业群体权益服务点 / 法律援助: legal aid and rights service.
        LegalAid = "legal_aid", "法律援助", "Legal aid";
        /// 骑手友好社区: a compound that lets riders in.
        RiderFriendlyCommunity = "rider_friendly_community", "骑手友好社区", "Rider-friendly community";
        /// 人民建议征集点: where suggestions are collected in person.
        CollectionPoint = "collection_point", "人民建议征集点", "Suggestion collection point";
    }
);

vocabulary!(
    /// What a service point offers.
    Amenity, "amenity", {
        /// 饮水
        DrinkingWater = "drinking_water", "饮水", "Drinking water";
        /// 充电
        Charging = "charging", "充电", "Charging";
        /// 热饭
        HotMeals = "hot_meals", "热饭", "Hot meals";
        /// 卫生间
        Toilet = "toilet", "卫生间", "Toilet";
        /// 取暖
        Heating = "heating", "取暖", "Heating";
        /// 纳凉
        Cooling = "cooling", "纳凉", "Cooling";
        /// 歇脚
        Rest = "rest", "歇脚", "Rest";
        /// 无线网络
        Wifi = "wifi", "无线网络", "Wi-Fi";
        /// 停车
        Parking = "parking", "停车", "Parking";
        /// 法律咨询
        LegalConsult = "legal_consult", "法律咨询", "Legal consultation";
    }
);

vocabulary!(
    /// How a rider gets in.
    AccessMethod, "access method", {
        /// 开放: walk in.
        Open = "open", "开放", "Open";
        /// 刷脸: face scan at the door.
        FaceScan = "face_scan", "刷脸", "Face scan";
        /// 骑手码: scan the rider code.
        RiderCode = "rider_code", "骑手码", "Rider code";
        /// 有人值守时段: only while staffed.
        StaffedHours = "staffed_hours", "值守时段", "Staffed hours";
    }
);

/// A set of [`Amenity`] values stored as a bit set (one bit per variant), so the index can
/// test "has all of" with one AND. Serialises as a sorted list of codes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct AmenitySet(u16);

impl AmenitySet {
    /// The empty set.
    pub const EMPTY: AmenitySet = AmenitySet(0);

    fn bit(a: Amenity) -> u16 {
        1 << (a as u16)
    }
    /// Adds one amenity.
    pub fn insert(&mut self, a: Amenity) {
        self.0 |= Self::bit(a);
    }
    /// Whether `a` is in the set.
    pub fn contains(self, a: Amenity) -> bool {
        self.0 & Self::bit(a) != 0
    }
    /// Whether every amenity of `required` is in this set.
    pub fn contains_all(self, required: AmenitySet) -> bool {
        self.0 & required.0 == required.0
    }
    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// The members in declaration order.
    pub fn iter(self) -> impl Iterator<Item = Amenity> {
        Amenity::ALL
            .iter()
            .copied()
            .filter(move |a| self.contains(*a))
    }
}

impl FromIterator<Amenity> for AmenitySet {
    fn from_iter<I: IntoIterator<Item = Amenity>>(iter: I) -> Self {
        let mut s = AmenitySet::EMPTY;
        for a in iter {
            s.insert(a);
        }
        s
    }
}

impl Serialize for AmenitySet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

impl<'de> Deserialize<'de> for AmenitySet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Vec::<Amenity>::deserialize(d)?.into_iter().collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_unknown_lists_valid() {
        for k in ServiceKind::ALL {
            assert_eq!(k.as_str().parse::<ServiceKind>().unwrap(), *k);
        }
        assert_eq!("驿站".parse::<ServiceKind>().unwrap(), ServiceKind::Station);
        let e = "bakery".parse::<ServiceKind>().unwrap_err();
        assert!(e.to_string().contains("station, legal_aid"));
    }

    #[test]
    fn amenity_set_contains_all() {
        let have: AmenitySet = [Amenity::DrinkingWater, Amenity::Charging, Amenity::Toilet]
            .into_iter()
            .collect();
        let want: AmenitySet = [Amenity::DrinkingWater, Amenity::Charging]
            .into_iter()
            .collect();
        assert!(have.contains_all(want));
        assert!(!want.contains_all(have));
        assert!(have.contains_all(AmenitySet::EMPTY));
        let json = serde_json::to_string(&have).unwrap();
        assert_eq!(json, r#"["drinking_water","charging","toilet"]"#);
    }
}
