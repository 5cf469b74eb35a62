//! The error responses every operation can give because of the layers around the handlers,
//! added to the OpenAPI document where an operation does not list them itself, so that
//! responses match the document (checked by Schemathesis in `scripts/test.d/`):
//!
//! - **400** for any operation with parameters or a body (bad query strings, bad bodies);
//! - **404** for any operation with a path parameter (no such resource);
//! - **413** and **415** for any operation with a body (body over `body_limit_bytes`, body
//!   without its media type);
//! - **503** for every operation (the request outran `request_timeout_s`).
//!
//! An added error response takes the media type and schema of the operation's own error
//! responses (Open311's GeoReport errors), else `application/problem+json` with `Problem`.

use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, ResponseBuilder};

/// Adds the common error responses (see the module docs) to every operation of `doc`.
pub fn document(doc: &mut OpenApi) {
    for (path, item) in doc.paths.paths.iter_mut() {
        let has_path_param = path.contains('{');
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ]
        .into_iter()
        .flatten()
        {
            document_operation(op, has_path_param);
        }
    }
}

fn document_operation(op: &mut Operation, has_path_param: bool) {
    let has_params = op
        .parameters
        .as_ref()
        .is_some_and(|ps| ps.iter().any(|p| p.parameter_in != ParameterIn::Header));
    let has_body = op.request_body.is_some();
    // The shape of this operation's own errors, if it documents any.
    let shape = op.responses.responses.iter().find_map(|(code, r)| match r {
        RefOr::T(resp) if code.starts_with('4') => resp
            .content
            .iter()
            .next()
            .map(|(t, c)| (t.clone(), c.clone())),
        _ => None,
    });
    let (media_type, content) = shape.unwrap_or_else(|| {
        (
            super::error::PROBLEM_JSON.to_string(),
            Content::new(Some(RefOr::Ref(Ref::from_schema_name("Problem")))),
        )
    });
    let mut add = |code: &str, description: &str| {
        op.responses
            .responses
            .entry(code.to_string())
            .or_insert_with(|| {
                RefOr::T(
                    ResponseBuilder::new()
                        .description(description)
                        .content(media_type.clone(), content.clone())
                        .build(),
                )
            });
    };
    if has_params || has_body {
        add(
            "400",
            "A bad parameter or field, named in `param` when there is one",
        );
    }
    if has_path_param {
        add("404", "No such resource");
    }
    if has_body {
        add("413", "The body exceeds `body_limit_bytes`");
        add("415", "The body is not of the documented media type");
    }
    add(
        "503",
        "The request took longer than `request_timeout_s`, or the service is not ready",
    );
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_operation_documents_its_common_errors() {
        let doc = crate::server::openapi();
        let coverage = doc.paths.paths["/api/v1/coverage"].post.as_ref().unwrap();
        for code in ["400", "413", "415", "503"] {
            assert!(coverage.responses.responses.contains_key(code), "{code}");
        }
        let point = doc.paths.paths["/api/v1/points/{id}"].get.as_ref().unwrap();
        assert!(point.responses.responses.contains_key("404"));
        // Open311 errors keep their GeoReport shape.
        let open311 = doc.paths.paths["/open311/v2/requests.json"]
            .post
            .as_ref()
            .unwrap();
        let RefOr::T(r) = &open311.responses.responses["415"] else {
            panic!("inline response")
        };
        assert!(
            r.content.contains_key("application/json"),
            "{:?}",
            r.content.keys()
        );
    }
    use utoipa::openapi::RefOr;
}
