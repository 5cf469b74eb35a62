//! XML forms of the Open311 GeoReport v2 documents (the specification's required format;
//! element names and nesting as in <http://wiki.open311.org/GeoReport_v2>): `<discovery>`,
//! `<services>`, `<service_definition>`, `<service_requests>`, `<errors>`. Text is escaped
//! with `quick-xml`; absent values are written as empty elements, as the specification's
//! examples do. `tests/standards/open311.xsd` is the schema the test suite checks them with.

use super::open311::{CreatedRequest, GeoReportError, Service, ServiceDefinition, ServiceRequest};
use quick_xml::escape::escape;
use std::fmt::Write as _;

/// Content type of the XML answers.
pub const XML: &str = "text/xml; charset=utf-8";

/// The media type of [`XML`] without its parameter, as the OpenAPI document names it.
pub const XML_MEDIA_TYPE: &str = "text/xml";

const DECL: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n";

/// `text` escaped for XML 1.0 character data (`quick-xml`), with every character XML 1.0
/// cannot carry (§2.2 `Char`: the C0 controls other than tab, line feed and carriage return,
/// U+FFFE and U+FFFF) replaced by U+FFFD. Input validation refuses those characters
/// (`suggestions::refused_char`); this keeps the documents well-formed for rows stored
/// before it did, so one stored text never makes a whole list unreadable.
pub fn xml_text(text: &str) -> std::borrow::Cow<'_, str> {
    let allowed = |c: char| {
        !(matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}')
            || c == '\u{fffe}'
            || c == '\u{ffff}')
    };
    if text.chars().all(allowed) {
        escape(text)
    } else {
        let clean: String = text
            .chars()
            .map(|c| if allowed(c) { c } else { '\u{fffd}' })
            .collect();
        std::borrow::Cow::Owned(escape(&clean).into_owned())
    }
}

fn el(out: &mut String, name: &str, text: &str) {
    let _ = write!(out, "<{name}>{}</{name}>", xml_text(text));
}

fn opt(out: &mut String, name: &str, text: Option<&str>) {
    el(out, name, text.unwrap_or(""));
}

/// `<discovery>` from the JSON discovery document's members.
pub fn discovery(changeset: &str, contact: &str, key_service: &str, url: &str) -> String {
    let mut o = String::from(DECL);
    o.push_str("<discovery>");
    el(&mut o, "changeset", changeset);
    el(&mut o, "contact", contact);
    el(&mut o, "key_service", key_service);
    o.push_str("<endpoints><endpoint>");
    el(
        &mut o,
        "specification",
        "http://wiki.open311.org/GeoReport_v2",
    );
    el(&mut o, "url", url);
    el(&mut o, "changeset", changeset);
    el(&mut o, "type", "production");
    o.push_str("<formats>");
    el(&mut o, "format", "text/xml");
    el(&mut o, "format", "application/json");
    o.push_str("</formats></endpoint></endpoints></discovery>\n");
    o
}

/// `<services>`.
pub fn services(list: &[Service]) -> String {
    let mut o = String::from(DECL);
    o.push_str("<services>");
    for s in list {
        o.push_str("<service>");
        el(&mut o, "service_code", &s.service_code);
        el(&mut o, "service_name", &s.service_name);
        el(&mut o, "description", &s.description);
        el(
            &mut o,
            "metadata",
            if s.metadata { "true" } else { "false" },
        );
        el(&mut o, "type", &s.type_);
        el(&mut o, "keywords", &s.keywords);
        el(&mut o, "group", &s.group);
        o.push_str("</service>");
    }
    o.push_str("</services>\n");
    o
}

/// `<service_definition>`.
pub fn service_definition(d: &ServiceDefinition) -> String {
    let mut o = String::from(DECL);
    o.push_str("<service_definition>");
    el(&mut o, "service_code", &d.service_code);
    o.push_str("<attributes>");
    for a in &d.attributes {
        o.push_str("<attribute>");
        el(
            &mut o,
            "variable",
            if a.variable { "true" } else { "false" },
        );
        el(&mut o, "code", &a.code);
        el(&mut o, "datatype", &a.datatype);
        el(
            &mut o,
            "required",
            if a.required { "true" } else { "false" },
        );
        el(&mut o, "datatype_description", &a.datatype_description);
        el(&mut o, "order", &a.order.to_string());
        el(&mut o, "description", &a.description);
        if !a.values.is_empty() {
            o.push_str("<values>");
            for v in &a.values {
                o.push_str("<value>");
                el(&mut o, "key", &v.key);
                el(&mut o, "name", &v.name);
                o.push_str("</value>");
            }
            o.push_str("</values>");
        }
        o.push_str("</attribute>");
    }
    o.push_str("</attributes></service_definition>\n");
    o
}

/// `<service_requests>` of full requests.
pub fn service_requests(list: &[ServiceRequest]) -> String {
    let mut o = String::from(DECL);
    o.push_str("<service_requests>");
    for r in list {
        let t = |d: &chrono::DateTime<chrono::Utc>| {
            d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        };
        o.push_str("<request>");
        el(&mut o, "service_request_id", &r.service_request_id);
        el(&mut o, "status", &r.status);
        opt(&mut o, "status_notes", r.status_notes.as_deref());
        el(&mut o, "service_name", &r.service_name);
        el(&mut o, "service_code", &r.service_code);
        el(&mut o, "description", &r.description);
        opt(
            &mut o,
            "agency_responsible",
            r.agency_responsible.as_deref(),
        );
        opt(&mut o, "service_notice", r.service_notice.as_deref());
        el(&mut o, "requested_datetime", &t(&r.requested_datetime));
        el(&mut o, "updated_datetime", &t(&r.updated_datetime));
        opt(
            &mut o,
            "expected_datetime",
            r.expected_datetime.as_ref().map(t).as_deref(),
        );
        opt(&mut o, "address", r.address.as_deref());
        opt(&mut o, "address_id", r.address_id.as_deref());
        opt(&mut o, "zipcode", r.zipcode.as_deref());
        el(&mut o, "lat", &r.lat.to_string());
        el(&mut o, "long", &r.long.to_string());
        opt(&mut o, "media_url", r.media_url.as_deref());
        el(&mut o, "detailed_status", r.detailed_status.as_str());
        o.push_str("</request>");
    }
    o.push_str("</service_requests>\n");
    o
}

/// `<service_requests>` answering a POST.
pub fn created(list: &[CreatedRequest]) -> String {
    let mut o = String::from(DECL);
    o.push_str("<service_requests>");
    for r in list {
        o.push_str("<request>");
        el(&mut o, "service_request_id", &r.service_request_id);
        el(&mut o, "service_notice", &r.service_notice);
        opt(&mut o, "account_id", r.account_id.as_deref());
        el(&mut o, "receipt_token", &r.receipt_token);
        o.push_str("</request>");
    }
    o.push_str("</service_requests>\n");
    o
}

/// `<errors>`.
pub fn errors(list: &[GeoReportError]) -> String {
    let mut o = String::from(DECL);
    o.push_str("<errors>");
    for e in list {
        o.push_str("<error>");
        el(&mut o, "code", &e.code.to_string());
        el(&mut o, "description", &e.description);
        o.push_str("</error>");
    }
    o.push_str("</errors>\n");
    o
}

/// `GET tokens/{token}.xml`: `<service_requests><request><service_request_id/><token/>`.
pub fn tokens(list: &[super::open311::TokenAnswer]) -> String {
    let mut o = String::from(DECL);
    o.push_str("<service_requests>");
    for r in list {
        o.push_str("<request>");
        el(&mut o, "service_request_id", &r.service_request_id);
        el(&mut o, "token", &r.token);
        o.push_str("</request>");
    }
    o.push_str("</service_requests>\n");
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression (newcomer's attack): a stored U+FFFE made every XML list unreadable.
    #[test]
    fn characters_xml_cannot_carry_are_replaced() {
        assert_eq!(
            xml_text("a\u{fffe}b\u{ffff}c\u{1}d"),
            "a\u{fffd}b\u{fffd}c\u{fffd}d"
        );
        assert_eq!(xml_text("<x>\t\n 路"), "&lt;x&gt;\t\n 路");
        // U+FDD0 and U+1FFFE are XML 1.0 `Char`s: kept.
        assert_eq!(xml_text("\u{fdd0}\u{1fffe}"), "\u{fdd0}\u{1fffe}");
    }

    #[test]
    fn errors_are_escaped() {
        let x = errors(&[GeoReportError {
            code: 400,
            description: "lat: `<1 & 2>` is not a number".into(),
        }]);
        assert_eq!(
            x,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<errors><error><code>400</code><description>lat: `&lt;1 &amp; 2&gt;` is not a number</description></error></errors>\n"
        );
    }
}
