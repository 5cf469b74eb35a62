//! The store's suggestions: submission, reading, listing, supporters, status changes and
//! reopening. Part of [`super`] (the store); shares its imports and helpers.

use super::*;

impl Store {
    // ---------------------------------------------------------------- suggestions

    /// Stores a new suggestion with its first history entry and returns it with the
    /// receipt token (shown once; only its SHA-256 is stored). Returns after the commit is
    /// durable.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn insert_suggestion(&self, n: NewSuggestion) -> Result<(Suggestion, String), StoreError> {
        self.insert_suggestion_with(n, random_hex(24)?, None)
    }

    /// [`Store::insert_suggestion`] with the receipt token given and, for an idempotent
    /// submission, (the key's hash, the request's fingerprint) stored with it (see
    /// `suggestions::cluster`).
    pub(crate) fn insert_suggestion_with(
        &self,
        n: NewSuggestion,
        receipt: String,
        idempotency: Option<(String, String)>,
    ) -> Result<(Suggestion, String), StoreError> {
        let (key_hash, request_hash) = idempotency.unzip();
        let id = self.write_suggestions(|c| {
            let mut id = tracking_id(n.created_at)?;
            // 30 random bits per day: retry the rare collision
            for _ in 0..8 {
                if !c.exists("SELECT 1 FROM suggestions WHERE id = ?1", &args![&id])? {
                    break;
                }
                id = tracking_id(n.created_at)?;
            }
            let at = ms(n.created_at);
            let (photo_type, photo) = match &n.photo {
                Some((t, b)) => (Some(t.as_str()), Some(b.as_slice())),
                None => (None, None),
            };
            c.execute(
                "INSERT INTO suggestions (id, lon, lat, input_lon, input_lat, input_crs, category, description, role, \
                 contact_kind, contact_value, campaign_id, adcode, collection_point_id, collection_point_name, \
                 collection_point_distance_m, photo, photo_type, status, supporters, receipt_hash, created_at, updated_at, \
                 idempotency_key_hash, request_hash, code_hash, contact_email, contact_first_name, contact_last_name) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, 'submitted', 0, ?19, ?20, ?20, ?21, ?22, ?23, ?24, ?25, ?26)",
                &args![
                    &id,
                    n.location.lon,
                    n.location.lat,
                    n.input_location.lon,
                    n.input_location.lat,
                    n.input_crs.as_str(),
                    n.category.as_str(),
                    n.description.as_str(),
                    n.role.map(|r| r.as_str()),
                    n.contact.as_ref().map(|c| match c.kind {
                        ContactKind::Phone => "phone",
                        ContactKind::Wechat => "wechat",
                        ContactKind::Email => "email",
                    }),
                    n.contact.as_ref().map(|c| c.value.as_str()),
                    n.campaign_id.as_deref(),
                    n.adcode.as_deref(),
                    n.collection_point.as_ref().map(|c| c.id.as_str()),
                    n.collection_point.as_ref().map(|c| c.name.as_str()),
                    n.collection_point.as_ref().map(|c| c.distance_m),
                    photo,
                    photo_type,
                    sha256_hex(&receipt),
                    at,
                    key_hash.as_deref(),
                    request_hash.as_deref(),
                    // the short code is derived from the receipt; only its hash is kept
                    super::super::receipt_code::code_hash(
                        &id,
                        &super::super::receipt_code::code_of(&receipt)
                    ),
                    n.email.as_deref(),
                    n.first_name.as_deref(),
                    n.last_name.as_deref(),
                ],
            )?;
            c.execute(
                "INSERT INTO status_changes (suggestion_id, from_status, to_status, note, officer_id, at) \
                 VALUES (?1, NULL, 'submitted', '', NULL, ?2)",
                &args![&id, at],
            )?;
            Ok::<_, StoreError>(id)
        })?;
        let s = self
            .suggestion(&id)?
            .ok_or_else(|| StoreError::corrupt(format!("suggestion {id} vanished")))?;
        Ok((s, receipt))
    }

    /// One suggestion with its history.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn suggestion(&self, id: &str) -> Result<Option<Suggestion>, StoreError> {
        self.read(|c| {
            let row = c.query_opt(
                &format!("SELECT {SUGGESTION_COLUMNS} FROM suggestions WHERE id = ?1"),
                &args![id],
            )?;
            match row {
                Some(r) => {
                    let mut s = row_to_suggestion(&r)?;
                    s.history = history(c, id)?;
                    Ok(Some(s))
                }
                None => Ok(None),
            }
        })
    }

    /// The stored photo of a suggestion: media type and bytes.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn photo(&self, id: &str) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        let row = self.read(|c| {
            c.query_opt(
                "SELECT photo_type, photo FROM suggestions WHERE id = ?1 AND photo IS NOT NULL",
                &args![id],
            )
        })?;
        row.map(|r| Ok((r.get(0)?, r.get(1)?))).transpose()
    }

    /// Whether `token` is the receipt of suggestion `id`.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn check_receipt(&self, id: &str, token: &str) -> Result<bool, StoreError> {
        let row = self.read(|c| {
            c.query_opt(
                "SELECT receipt_hash FROM suggestions WHERE id = ?1",
                &args![id],
            )
        })?;
        let h: Option<String> = row.map(|r| r.get(0)).transpose()?;
        Ok(h.is_some_and(|h| constant_time_eq(h.as_bytes(), sha256_hex(token).as_bytes())))
    }

    /// Suggestions matching `q`, newest first, with their histories, and the total count
    /// before paging.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn list_suggestions(&self, q: &ListQuery) -> Result<(Vec<Suggestion>, usize), StoreError> {
        let mut wh: Vec<String> = Vec::new();
        let mut args: Vec<Value> = Vec::new();
        // the next numbered placeholder
        fn mark(args: &mut Vec<Value>, v: Value) -> String {
            args.push(v);
            format!("?{}", args.len())
        }
        let in_list =
            |col: &str, mut vals: Vec<String>, wh: &mut Vec<String>, args: &mut Vec<Value>| {
                // a value repeated (`status=open,open,…`) must not grow the statement past
                // the engines' limits on bound variables
                vals.sort_unstable();
                vals.dedup();
                if !vals.is_empty() {
                    let marks: Vec<String> = vals
                        .into_iter()
                        .map(|v| mark(args, Value::Text(v)))
                        .collect();
                    wh.push(format!("{col} IN ({})", marks.join(",")));
                }
            };
        in_list(
            "status",
            q.statuses.iter().map(|s| s.as_str().to_string()).collect(),
            &mut wh,
            &mut args,
        );
        in_list(
            "category",
            q.categories
                .iter()
                .map(|s| s.as_str().to_string())
                .collect(),
            &mut wh,
            &mut args,
        );
        in_list("adcode", q.adcodes.clone(), &mut wh, &mut args);
        in_list("id", q.ids.clone(), &mut wh, &mut args);
        if let Some(c) = &q.campaign_id {
            let m = mark(&mut args, c.into());
            wh.push(format!("campaign_id = {m}"));
        }
        if let Some(t) = q.since {
            let m = mark(&mut args, ms(t).into());
            wh.push(format!("created_at >= {m}"));
        }
        if let Some(t) = q.until {
            let m = mark(&mut args, ms(t).into());
            wh.push(format!("created_at < {m}"));
        }
        if let Some(b) = &q.bbox {
            let (s, n) = (
                mark(&mut args, b.south.into()),
                mark(&mut args, b.north.into()),
            );
            wh.push(format!("lat >= {s} AND lat <= {n}"));
            let (w, e) = (
                mark(&mut args, b.west.into()),
                mark(&mut args, b.east.into()),
            );
            if b.west <= b.east {
                wh.push(format!("lon >= {w} AND lon <= {e}"));
            } else {
                wh.push(format!("({w} <= lon OR lon <= {e})"));
            }
        }
        let where_sql = if wh.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", wh.join(" AND "))
        };
        // no limit: the largest (a page past i64::MAX rows is past every row)
        let limit = if q.limit == 0 {
            i64::MAX
        } else {
            i64::try_from(q.limit).unwrap_or(i64::MAX)
        };
        let offset = i64::try_from(q.offset).unwrap_or(i64::MAX);
        let count_sql = format!("SELECT count(*) FROM suggestions {where_sql}");
        let page_sql = format!(
            "SELECT {SUGGESTION_COLUMNS} FROM suggestions {where_sql} ORDER BY created_at DESC, id DESC LIMIT ?{} OFFSET ?{}",
            args.len() + 1,
            args.len() + 2
        );
        self.read(|c| {
            let total: i64 = c.query_one(&count_sql, &args)?.get(0)?;
            let mut page_args = args.clone();
            page_args.extend([Value::Int(limit), Value::Int(offset)]);
            let mut out = c
                .query(&page_sql, &page_args)?
                .iter()
                .map(row_to_suggestion)
                .collect::<Result<Vec<_>, _>>()?;
            if !q.without_history {
                for s in &mut out {
                    s.history = history(c, &s.id)?;
                }
            }
            Ok((out, total as usize))
        })
    }

    /// `[west, south, east, north]` of all suggestions, WGS-84 degrees; `None` when empty.
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn suggestion_extent(&self) -> Result<Option<[f64; 4]>, StoreError> {
        let r = self.read(|c| {
            c.query_one(
                "SELECT min(lon), min(lat), max(lon), max(lat) FROM suggestions",
                &[],
            )
        })?;
        Ok(match (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?) {
            (Some(w), Some(s), Some(e), Some(n)) => Some([w, s, e, n]),
            _ => None,
        })
    }

    /// Open suggestions (submitted, accepted, in progress) of `category` within `radius_m`
    /// metres (WGS-84 geodesic, inclusive) of `at`, nearest first, with their distances.
    ///
    /// A latitude/longitude window around `at` preselects rows through the spatial index of
    /// open suggestions (schema version 2: SQLite's R*Tree, PostgreSQL's partial B-tree on
    /// category, latitude, longitude), so the cost follows the suggestions near `at`, not
    /// all open ones; the exact test is the geodesic distance
    /// ([`crate::geodesy::geodesic_distance_m`]).
    ///
    /// # Errors
    /// [`StoreError`].
    pub fn nearby_open(
        &self,
        at: LonLat,
        category: Category,
        radius_m: f64,
    ) -> Result<Vec<(Suggestion, f64)>, StoreError> {
        // One degree of latitude is at least 110 574 m (WGS-84, at the equator), so
        // radius/110 000 degrees bounds the latitude span from above.
        let dlat = radius_m / 110_000.0;
        let coslat = (at.lat.abs() + dlat).min(89.9).to_radians().cos();
        let dlon = (radius_m / (110_000.0 * coslat)).min(360.0);
        // A window across the antimeridian is widened to every longitude (rare; exact
        // test below).
        let (west, east) = if at.lon - dlon < -180.0 || at.lon + dlon > 180.0 {
            (-180.0, 180.0)
        } else {
            (at.lon - dlon, at.lon + dlon)
        };
        let ids: Vec<String> = self.read(|c| {
            let sql = match c.engine() {
                Engine::Sqlite => {
                    "SELECT s.id FROM suggestions_open_rtree r JOIN suggestions s ON s.rowid = r.id \
                     WHERE r.min_lat <= ?3 AND r.max_lat >= ?2 \
                     AND r.min_lon <= ?5 AND r.max_lon >= ?4 AND r.category = ?1"
                }
                Engine::Postgres => {
                    "SELECT id FROM suggestions \
                     WHERE status IN ('submitted','accepted','in_progress') AND category = ?1 \
                     AND lat >= ?2 AND lat <= ?3 AND lon >= ?4 AND lon <= ?5"
                }
            };
            c.query(
                sql,
                &args![category.as_str(), at.lat - dlat, at.lat + dlat, west, east],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect()
        })?;
        let mut out = Vec::new();
        for id in ids {
            if let Some(s) = self.suggestion(&id)? {
                let mut d_lon = (s.location.lon - at.lon).abs();
                if d_lon > 180.0 {
                    d_lon = 360.0 - d_lon;
                }
                if d_lon > dlon {
                    continue;
                }
                let d = crate::geodesy::geodesic_distance_m(at, s.location);
                if d <= radius_m {
                    out.push((s, d));
                }
            }
        }
        out.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.id.cmp(&b.0.id)));
        Ok(out)
    }

    /// Counts a supporter of suggestion `id`, identified by a salted SHA-256 of `client`
    /// (e.g. the IP address; the raw value is never stored). Idempotent per client.
    ///
    /// # Errors
    /// [`SuggestionError::NotFound`]; [`SuggestionError::Store`].
    pub fn support(&self, id: &str, client: &str) -> Result<SupportOutcome, SuggestionError> {
        let hash = self.supporter_hash(client);
        self.write_suggestions(|c| {
            if !c.exists("SELECT 1 FROM suggestions WHERE id = ?1", &args![id])? {
                return Err(SuggestionError::NotFound(format!("no suggestion `{id}`")));
            }
            let n = c.execute(
                "INSERT INTO supports (suggestion_id, client_hash, at) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (suggestion_id, client_hash) DO NOTHING",
                &args![id, hash, ms(Utc::now())],
            )?;
            if n > 0 {
                c.execute(
                    "UPDATE suggestions SET supporters = supporters + 1 WHERE id = ?1",
                    &args![id],
                )?;
            }
            let supporters: i64 = c
                .query_one(
                    "SELECT supporters FROM suggestions WHERE id = ?1",
                    &args![id],
                )?
                .get(0)?;
            Ok(SupportOutcome {
                supporters: supporters as u32,
                counted: n > 0,
            })
        })
    }

    /// The status and last change (ms) of suggestion `id`, locked until the transaction
    /// ends (so concurrent transitions of one suggestion run one after the other).
    pub(in crate::suggestions) fn lock_status(
        c: &mut dyn Conn,
        id: &str,
    ) -> Result<(Status, i64), SuggestionError> {
        let sql = format!(
            "SELECT status, updated_at FROM suggestions WHERE id = ?1{}",
            c.for_update()
        );
        let Some(r) = c.query_opt(&sql, &args![id])? else {
            return Err(SuggestionError::NotFound(format!("no suggestion `{id}`")));
        };
        let cur: String = r.get(0)?;
        let from: Status = cur
            .parse()
            .map_err(|e| corrupt(&format!("suggestion {id}: status"), e))?;
        Ok((from, r.get(1)?))
    }

    /// The salted SHA-256 a supporter `client` is stored as.
    pub(in crate::suggestions) fn supporter_hash(&self, client: &str) -> String {
        sha256_hex(&format!("{}|{client}", self.salt))
    }

    /// Moves suggestion `id` to `to` with a public `note`, by `officer`, at `at`; records the
    /// history entry and an audit entry in the same transaction.
    ///
    /// # Errors
    /// [`SuggestionError::NotFound`], [`SuggestionError::BadTransition`],
    /// [`SuggestionError::Store`].
    pub fn transition(
        &self,
        id: &str,
        to: Status,
        note: &PublicNote,
        officer: &Officer,
        at: DateTime<Utc>,
    ) -> Result<Suggestion, SuggestionError> {
        let targets = self.outbox_targets();
        self.write_suggestions(|c| {
            let (from, _) = Self::lock_status(c, id)?;
            if !from.can_move_to(to) {
                return Err(SuggestionError::BadTransition {
                    from,
                    to,
                    allowed: from.next(),
                });
            }
            let t = ms(at);
            c.execute(
                "UPDATE suggestions SET status = ?2, updated_at = ?3, \
                 first_answer_at = COALESCE(first_answer_at, ?3), \
                 resolved_at = CASE WHEN ?2 = 'resolved' THEN ?3 ELSE NULL END \
                 WHERE id = ?1",
                &args![id, to.as_str(), t],
            )?;
            let seq: i64 = c
                .query_one(
                    "INSERT INTO status_changes (suggestion_id, from_status, to_status, note, officer_id, at, department) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, (SELECT department FROM suggestions WHERE id = ?1)) RETURNING seq",
                    &args![id, from.as_str(), to.as_str(), note.as_str(), officer.id, t],
                )?
                .get(0)?;
            let detail =
                serde_json::json!({"from": from, "to": to, "note": note.as_str()}).to_string();
            audit_tx(c, at, Some(officer), "suggestion.status", id, &detail)?;
            super::super::outbox::enqueue(c, &targets, seq, at)?;
            Ok(())
        })?;
        self.suggestion(id)?
            .ok_or_else(|| SuggestionError::NotFound(format!("no suggestion `{id}`")))
    }

    /// The reporter reopens their resolved or declined suggestion ("it is not fixed"):
    /// back to `accepted` with their public `note`, within [`REOPEN_WINDOW_DAYS`] days of
    /// the last change. The history entry has no officer; audited as `reporter`.
    ///
    /// # Errors
    /// [`SuggestionError::NotFound`]; [`SuggestionError::Conflict`] when the suggestion is
    /// still open or closed too long ago; [`SuggestionError::Store`].
    pub fn reopen_by_reporter(
        &self,
        id: &str,
        note: &PublicNote,
        at: DateTime<Utc>,
    ) -> Result<Suggestion, SuggestionError> {
        let targets = self.outbox_targets();
        self.write_suggestions(|c| {
            let (from, updated) = Self::lock_status(c, id)?;
            if from.is_open() {
                return Err(SuggestionError::Conflict(format!(
                    "suggestion `{id}` is still open ({from}); only resolved or declined ones can be reopened"
                )));
            }
            if at - from_ms(updated) > chrono::Duration::days(REOPEN_WINDOW_DAYS) {
                return Err(SuggestionError::Conflict(format!(
                    "suggestion `{id}` was closed more than {REOPEN_WINDOW_DAYS} days ago; please submit a new one"
                )));
            }
            let t = ms(at);
            c.execute(
                "UPDATE suggestions SET status = 'accepted', updated_at = ?2, resolved_at = NULL WHERE id = ?1",
                &args![id, t],
            )?;
            let seq: i64 = c
                .query_one(
                    "INSERT INTO status_changes (suggestion_id, from_status, to_status, note, officer_id, at) \
                     VALUES (?1, ?2, 'accepted', ?3, NULL, ?4) RETURNING seq",
                    &args![id, from.as_str(), note.as_str(), t],
                )?
                .get(0)?;
            super::super::outbox::enqueue(c, &targets, seq, at)?;
            let detail =
                serde_json::json!({"from": from, "to": Status::Accepted, "note": note.as_str()})
                    .to_string();
            c.execute(
                "INSERT INTO audit_log (at, actor_id, actor_name, action, target, detail) VALUES (?1, NULL, 'reporter', 'suggestion.reopen', ?2, ?3)",
                &args![t, id, detail],
            )?;
            Ok(())
        })?;
        self.suggestion(id)?
            .ok_or_else(|| SuggestionError::NotFound(format!("no suggestion `{id}`")))
    }
}

fn history(c: &mut dyn Conn, id: &str) -> Result<Vec<StatusChange>, StoreError> {
    c.query(
        "SELECT c.from_status, c.to_status, c.note, c.at, c.officer_id, o.name, c.department \
         FROM status_changes c LEFT JOIN officer_tokens o ON o.id = c.officer_id \
         WHERE c.suggestion_id = ?1 ORDER BY c.seq",
        &args![id],
    )?
    .iter()
    .map(|r| {
        let from: Option<String> = r.get(0)?;
        let to: String = r.get(1)?;
        let what = format!("suggestion {id}: history status");
        Ok(StatusChange {
            from: from
                .map(|s| s.parse())
                .transpose()
                .map_err(|e| corrupt(&what, e))?,
            to: to.parse().map_err(|e| corrupt(&what, e))?,
            note: r.get(2)?,
            at: from_ms(r.get(3)?),
            officer_id: r.get(4)?,
            officer_name: r.get(5)?,
            department: r.get(6)?,
        })
    })
    .collect()
}
