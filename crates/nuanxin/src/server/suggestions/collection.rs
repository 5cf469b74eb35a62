//! The OGC API – Features collection `suggestions` (registered in `server::router`).

use super::super::error::AppError;
use super::super::ogc::{CollectionProvider, ItemsPage};
use super::super::AppState;
use crate::cql2::{Queryable, QueryableType as T, Queryables};
use crate::model::Bbox;
use crate::suggestions::{export, Audience, Category, ListQuery, ReporterRole, Status};

/// The OGC API – Features collection `suggestions`: public fields only (masked
/// descriptions, no contact, no photo, no officer identities), newest first.
#[derive(Debug, Clone, Copy, Default)]
pub struct SuggestionsCollection;

impl CollectionProvider for SuggestionsCollection {
    fn id(&self) -> String {
        "suggestions".into()
    }
    fn title(&self) -> String {
        "人民建议 Suggestions".into()
    }
    fn description(&self) -> String {
        "Suggestions pinned on the map (public fields only; phone and ID numbers masked), WGS-84"
            .into()
    }
    fn extent(&self, state: &AppState) -> Option<[f64; 4]> {
        state.store.as_ref()?.suggestion_extent().ok().flatten()
    }
    fn items(
        &self,
        state: &AppState,
        bbox: Option<&Bbox>,
        limit: usize,
        offset: usize,
    ) -> Result<ItemsPage, AppError> {
        let Some(st) = &state.store else {
            return Ok(ItemsPage::default());
        };
        let q = ListQuery {
            bbox: bbox.copied(),
            limit: limit.max(1),
            offset,
            ..Default::default()
        };
        let (items, total) = st.list_suggestions(&q)?;
        Ok(ItemsPage {
            features: export::public_features(&items),
            number_matched: total,
        })
    }
    fn item(
        &self,
        state: &AppState,
        feature_id: &str,
    ) -> Result<Option<serde_json::Value>, AppError> {
        let Some(st) = &state.store else {
            return Ok(None);
        };
        Ok(st
            .suggestion(feature_id)?
            .map(|s| export::feature(&s, Audience::Public)))
    }
    fn scan(
        &self,
        state: &AppState,
        bbox: Option<&Bbox>,
        visit: &mut dyn FnMut(serde_json::Value),
    ) -> Result<(), AppError> {
        let Some(st) = &state.store else {
            return Ok(());
        };
        let q = ListQuery {
            bbox: bbox.copied(),
            limit: 0,
            ..Default::default()
        };
        let (items, _) = st.list_suggestions(&q)?;
        for s in &items {
            visit(export::feature(s, Audience::Public));
        }
        Ok(())
    }
    fn schema(&self) -> Queryables {
        Queryables(vec![
            Queryable::new("id", "编号 Tracking id", T::String),
            Queryable::new("category", "类别 Category", T::String).one_of(&Category::codes()),
            Queryable::new("category_label_zh", "类别（中文）Category label", T::String),
            Queryable::new(
                "description",
                "内容 Description (phone and ID numbers masked)",
                T::String,
            ),
            Queryable::new("role", "身份 Reporter role", T::String)
                .nullable()
                .one_of(&ReporterRole::codes()),
            Queryable::new("campaign_id", "征集活动 Campaign id", T::String).nullable(),
            Queryable::new("adcode", "行政区划代码 County adcode", T::String).nullable(),
            Queryable::new("district_name", "区县 District", T::String).nullable(),
            Queryable::new(
                "collection_point",
                "征集点 Responsible collection point",
                T::Json,
            ),
            Queryable::new("status", "状态 Status", T::String).one_of(&Status::codes()),
            Queryable::new("status_label_zh", "状态（中文）Status label", T::String),
            Queryable::new("supporters", "附议人数 Supporters (me too)", T::Integer),
            Queryable::new("has_photo", "有照片 Has a photo", T::Boolean),
            Queryable::new("created_at", "提交时间 Submitted at", T::DateTime),
            Queryable::new("updated_at", "更新时间 Last change", T::DateTime),
            Queryable::new("history", "办理记录 History", T::Json),
            Queryable::new("geometry", "位置 Position", T::Geometry),
        ])
    }
    fn temporal_property(&self) -> Option<&'static str> {
        Some("created_at")
    }
}
