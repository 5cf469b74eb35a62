//! The store's campaigns (征集活动). Part of [`super`] (the store); shares its imports and
//! helpers.

use super::*;

impl Store {
    // ---------------------------------------------------------------- campaigns

    /// Stores a new campaign (validated first), audited.
    ///
    /// # Errors
    /// [`SuggestionError::Invalid`], [`SuggestionError::Conflict`] for a used id,
    /// [`SuggestionError::Store`].
    pub fn create_campaign(
        &self,
        camp: &Campaign,
        actor: Option<&Officer>,
    ) -> Result<(), SuggestionError> {
        camp.validate()?;
        let json = serde_json::to_string(camp)
            .map_err(|e| StoreError::corrupt(format!("campaign {}", camp.id)).caused_by(e))?;
        self.write(|c| {
            let n = c.execute(
                "INSERT INTO campaigns (id, json, created_at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (id) DO NOTHING",
                &args![&camp.id, &json, ms(Utc::now())],
            )?;
            if n == 0 {
                return Err(SuggestionError::Conflict(format!(
                    "campaign `{}` already exists",
                    camp.id
                )));
            }
            audit_tx(c, Utc::now(), actor, "campaign.create", &camp.id, &json)?;
            Ok(())
        })
    }

    /// Every campaign, by start time (newest first).
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn campaigns(&self) -> Result<Vec<Campaign>, StoreError> {
        let rows = self.read(|c| c.query("SELECT id, json FROM campaigns", &[]))?;
        let mut out = rows
            .iter()
            .map(|r| {
                let (id, json): (String, String) = (r.get(0)?, r.get(1)?);
                serde_json::from_str(&json)
                    .map_err(|e| StoreError::corrupt(format!("campaign {id}")).caused_by(e))
            })
            .collect::<Result<Vec<Campaign>, _>>()?;
        out.sort_by(|a, b| b.starts_at.cmp(&a.starts_at).then(a.id.cmp(&b.id)));
        Ok(out)
    }

    /// One campaign.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn campaign(&self, id: &str) -> Result<Option<Campaign>, StoreError> {
        let row =
            self.read(|c| c.query_opt("SELECT json FROM campaigns WHERE id = ?1", &args![id]))?;
        row.map(|r| {
            let json: String = r.get(0)?;
            serde_json::from_str(&json)
                .map_err(|e| StoreError::corrupt(format!("campaign {id}")).caused_by(e))
        })
        .transpose()
    }
}
