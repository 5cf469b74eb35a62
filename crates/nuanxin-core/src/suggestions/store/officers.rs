//! The store's officer tokens and audit log. Part of [`super`] (the store); shares its
//! imports and helpers.

use super::*;

impl Store {
    // ---------------------------------------------------------------- officers

    /// Creates a bearer token; returns the officer record and the token (shown once; only
    /// its SHA-256 is stored). Audited as `token.create` by the command line.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn create_token(
        &self,
        role: OfficerRole,
        adcodes: &[String],
        name: &str,
    ) -> Result<(Officer, String), StoreError> {
        let token = format!("nxo_{}", random_hex(32)?);
        let now = Utc::now();
        let id = self.write(|c| {
            let id: i64 = c
                .query_one(
                    "INSERT INTO officer_tokens (token_hash, role, adcodes, name, created_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
                    &args![
                        sha256_hex(&token),
                        role.as_str(),
                        adcodes.join(","),
                        name,
                        ms(now)
                    ],
                )?
                .get(0)?;
            let detail =
                serde_json::json!({"role": role, "adcodes": adcodes, "name": name}).to_string();
            audit_tx(c, now, None, "token.create", &id.to_string(), &detail)?;
            Ok::<_, StoreError>(id)
        })?;
        Ok((
            Officer {
                id,
                role,
                adcodes: adcodes.to_vec(),
                name: name.to_string(),
                created_at: from_ms(ms(now)),
                revoked_at: None,
            },
            token,
        ))
    }

    /// The officer holding `token`, unless unknown or revoked.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn authenticate(&self, token: &str) -> Result<Option<Officer>, StoreError> {
        let row = self.read(|c| {
            c.query_opt(
                "SELECT id, role, adcodes, name, created_at, revoked_at FROM officer_tokens \
                 WHERE token_hash = ?1 AND revoked_at IS NULL",
                &args![sha256_hex(token)],
            )
        })?;
        row.as_ref().map(row_to_officer).transpose()
    }

    /// Every token holder (without tokens), by id.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn officers(&self) -> Result<Vec<Officer>, StoreError> {
        self.read(|c| {
            c.query(
                "SELECT id, role, adcodes, name, created_at, revoked_at FROM officer_tokens ORDER BY id",
                &[],
            )
        })?
        .iter()
        .map(row_to_officer)
        .collect()
    }

    /// Revokes token `id`. Returns false if there is no such (unrevoked) token.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn revoke_token(&self, id: i64) -> Result<bool, StoreError> {
        let now = Utc::now();
        self.write(|c| {
            let n = c.execute(
                "UPDATE officer_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                &args![id, ms(now)],
            )?;
            if n > 0 {
                audit_tx(c, now, None, "token.revoke", &id.to_string(), "{}")?;
            }
            Ok(n > 0)
        })
    }

    // ---------------------------------------------------------------- audit

    /// Appends an audit entry.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn audit(
        &self,
        actor: Option<&Officer>,
        action: &str,
        target: &str,
        detail: &str,
    ) -> Result<(), StoreError> {
        self.write(|c| audit_tx(c, Utc::now(), actor, action, target, detail))
    }

    /// Audit entries, newest first.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn audit_log(&self, limit: usize, offset: usize) -> Result<Vec<AuditEntry>, StoreError> {
        // `as i64` would wrap a huge offset to a negative one, which SQLite reads as 0
        let (limit, offset) = (
            i64::try_from(limit).unwrap_or(i64::MAX),
            i64::try_from(offset).unwrap_or(i64::MAX),
        );
        self.read(|c| {
            c.query(
                "SELECT seq, at, actor_id, actor_name, action, target, detail FROM audit_log \
                 ORDER BY seq DESC LIMIT ?1 OFFSET ?2",
                &args![limit, offset],
            )
        })?
        .iter()
        .map(|r| {
            Ok(AuditEntry {
                seq: r.get(0)?,
                at: from_ms(r.get(1)?),
                actor_id: r.get(2)?,
                actor_name: r.get(3)?,
                action: r.get(4)?,
                target: r.get(5)?,
                detail: r.get(6)?,
            })
        })
        .collect()
    }
}

fn row_to_officer(r: &Row) -> Result<Officer, StoreError> {
    let role: String = r.get(1)?;
    let adcodes: String = r.get(2)?;
    Ok(Officer {
        id: r.get(0)?,
        role: role.parse().map_err(|e| corrupt("officer role", e))?,
        adcodes: adcodes
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        name: r.get(3)?,
        created_at: from_ms(r.get(4)?),
        revoked_at: r.get::<Option<i64>>(5)?.map(from_ms),
    })
}
