//! The OGC API – Features collection `suggestions` (registered in `server::router`).

use super::super::error::AppError;
use super::super::ogc::{CollectionProvider, ItemsPage};
use super::super::AppState;
use crate::model::Bbox;
use crate::suggestions::{export, Audience, ListQuery};

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
}
