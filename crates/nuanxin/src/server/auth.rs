//! Who is calling: officer tokens as extractors ([`Officer`], [`Admin`], [`MaybeOfficer`])
//! and the client's IP address ([`ClientIp`]).
//!
//! Officers send `Authorization: Bearer <token>` (tokens from `nuanxin admin
//! create-token`, stored hashed). A malformed header or an unknown or revoked token is a 401
//! wherever a token is read, also on endpoints where it is optional; a valid token outside
//! the endpoint's role is a 403.
//!
//! Client IP (rate limit, supporter dedupe): the socket peer address when the server is
//! served with `into_make_service_with_connect_info::<SocketAddr>()`; the rightmost
//! `X-Forwarded-For` entry (the one our reverse proxy appended; see `server::forwarded`)
//! when `trust_forwarded_for` is set; `None` without either.

use super::db::Db;
use super::error::AppError;
use super::AppState;
use crate::suggestions::{self, OfficerRole};
use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::{header, request::Parts};
use std::net::{IpAddr, SocketAddr};

/// The officer behind `Authorization: Bearer`, `None` without the header.
///
/// Rejection: 401 for a malformed header or an unknown or revoked token; 503 without a
/// database (only when a token is sent).
#[derive(Debug, Clone)]
pub struct MaybeOfficer(pub Option<suggestions::Officer>);

/// An officer (or admin) token is required: 401 without one.
#[derive(Debug, Clone)]
pub struct Officer(pub suggestions::Officer);

/// An admin token is required: 401 without a token, 403 for an officer's token.
#[derive(Debug, Clone)]
pub struct Admin(pub suggestions::Officer);

impl FromRequestParts<AppState> for MaybeOfficer {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let Some(v) = parts.headers.get(header::AUTHORIZATION) else {
            return Ok(MaybeOfficer(None));
        };
        let token = v
            .to_str()
            .ok()
            .and_then(|s| {
                s.strip_prefix("Bearer ")
                    .or_else(|| s.strip_prefix("bearer "))
            })
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                AppError::Unauthorized("expected `Authorization: Bearer <token>`".into())
            })?
            .to_string();
        let found = Db::of(state)?
            .run(move |st| Ok(st.authenticate(&token)?))
            .await?;
        found
            .map(|o| MaybeOfficer(Some(o)))
            .ok_or_else(|| AppError::Unauthorized("unknown or revoked token".into()))
    }
}

impl FromRequestParts<AppState> for Officer {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let MaybeOfficer(o) = MaybeOfficer::from_request_parts(parts, state).await?;
        o.map(Officer).ok_or_else(|| {
            AppError::Unauthorized(
                "this endpoint needs an officer token (Authorization: Bearer)".into(),
            )
        })
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let Officer(o) = Officer::from_request_parts(parts, state).await?;
        if o.role == OfficerRole::Admin {
            Ok(Admin(o))
        } else {
            Err(AppError::Forbidden("this endpoint is for admins".into()))
        }
    }
}

/// The client's IP address (see the module docs), `None` when unknown.
#[derive(Debug, Clone, Copy)]
pub struct ClientIp(pub Option<IpAddr>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = AppError;
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        Ok(ClientIp(client_ip(parts, state)))
    }
}

fn client_ip(parts: &Parts, state: &AppState) -> Option<IpAddr> {
    if state.config.trust_forwarded_for {
        let xff = super::forwarded::forwarded_for(&parts.headers);
        if xff.is_some() {
            return xff;
        }
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
}
