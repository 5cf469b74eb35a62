//! One classification of every core error, so that the edges map errors to their own terms
//! once: the server turns an [`ErrorClass`] into an HTTP status and problem body in
//! `server::error` (the only place), the CLI into a message and exit code.
//!
//! Each module keeps its own `thiserror` enum (its variants say what went wrong, in the
//! module's terms, and keep the underlying error as `#[source]`); [`Classify`] says what kind
//! of failure each variant is for whoever called:
//!
//! | class | meaning | HTTP |
//! |---|---|---|
//! | [`ErrorClass::InvalidInput`] | the caller's input is wrong; names the parameter or field | 400 |
//! | [`ErrorClass::TooLarge`] | an input exceeds a size limit | 413 |
//! | [`ErrorClass::NotFound`] | no such thing | 404 |
//! | [`ErrorClass::Conflict`] | the current state forbids it (a taken id, a status change not allowed) | 409 |
//! | [`ErrorClass::Unprocessable`] | understood but refused as it stands (an idempotency key reused for other content) | 422 |
//! | [`ErrorClass::Unavailable`] | cannot be done now; retrying later may work | 503 |
//! | [`ErrorClass::StorageUnavailable`] | the database cannot be reached now (lost connection, failover) | 503 with `Retry-After` |
//! | [`ErrorClass::Internal`] | a bug, an I/O failure or damaged data of ours | 500 |

/// What kind of failure an error is (see the module docs for the HTTP statuses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorClass {
    /// The caller's input is invalid.
    InvalidInput {
        /// The parameter or field at fault (`lon`, `area.adcode`, `features[3].kind`), when
        /// known.
        param: Option<String>,
        /// The accepted values, when the parameter takes one of a closed list.
        valid: Option<Vec<String>>,
    },
    /// An input exceeds a size limit (a photo, a file).
    TooLarge,
    /// No such resource.
    NotFound,
    /// Conflicts with the current state (an id already used, a status change not allowed).
    Conflict,
    /// Well-formed and understood, but refused as it stands (an `Idempotency-Key` already
    /// used for different content).
    Unprocessable,
    /// Cannot be done now (an analysis cancelled or stopped at its time budget); retrying
    /// later may succeed.
    Unavailable,
    /// The database cannot be reached now (a lost or refused connection, a failover under
    /// way, a locked file). The error's text names servers and files, so edges log it and
    /// tell the user only to retry shortly.
    StorageUnavailable,
    /// A bug, an I/O failure or damaged data of our own: logged, not shown in detail.
    Internal,
}

impl ErrorClass {
    /// Invalid input naming `param`.
    pub fn invalid(param: impl Into<String>) -> Self {
        ErrorClass::InvalidInput {
            param: Some(param.into()),
            valid: None,
        }
    }

    /// Invalid input naming `param` and the values it accepts.
    pub fn invalid_choice(param: impl Into<String>, valid: &[&str]) -> Self {
        ErrorClass::InvalidInput {
            param: Some(param.into()),
            valid: Some(valid.iter().map(|v| v.to_string()).collect()),
        }
    }
}

/// An error that knows its [`ErrorClass`]. Implemented next to each core error type.
pub trait Classify: std::error::Error {
    /// The kind of failure, for the edges to map (HTTP status, CLI exit).
    fn class(&self) -> ErrorClass;

    /// What the user is told (the HTTP problem's `detail`): the error's text unless a type
    /// says less (e.g. leaves out the field name that the class already carries).
    fn detail(&self) -> String {
        self.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Bbox, LonLat, ServiceKind};

    #[test]
    fn input_errors_name_their_parameter() {
        let Err(e) = LonLat::new(200.0, 28.0) else {
            panic!("longitude 200 accepted");
        };
        assert_eq!(e.class(), ErrorClass::invalid("lon"));
        let Err(e) = Bbox::new(113.0, 28.0, 112.0, 27.0) else {
            panic!("an inverted bbox accepted");
        };
        assert_eq!(e.class(), ErrorClass::invalid("bbox"));
        let Err(e) = "bus_stop".parse::<ServiceKind>() else {
            panic!("unknown kind accepted");
        };
        let ErrorClass::InvalidInput { param, valid } = e.class() else {
            panic!("not invalid input: {:?}", e.class());
        };
        assert_eq!(param.as_deref(), Some("kind"));
        assert!(valid.is_some_and(|v| v.iter().any(|k| k == "station")));
    }
}
