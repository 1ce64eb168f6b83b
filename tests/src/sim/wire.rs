//! Xero's answer shapes that are not specific to one resource: MS-JSON dates, the envelope
//! (`Id`, `Status`, `ProviderName`, `DateTimeUTC`), problem-details bodies for 401/403/500,
//! `text/plain` 404s and rate-limit headers.

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde_json::json;

use super::limits::Remaining;

/// The `ProviderName` Xero echoes: the app's name.
pub const PROVIDER_NAME: &str = "SRM Xero Simulator";

/// `/Date(1552521600000+0000)/`
pub fn ms_date(at: DateTime<Utc>) -> String {
    format!("/Date({}+0000)/", at.timestamp_millis())
}

/// A calendar date as Xero sends it: midnight UTC in MS-JSON form.
pub fn ms_day(date: NaiveDate) -> String {
    ms_date(date.and_time(chrono::NaiveTime::MIN).and_utc())
}

/// Xero's `DD-Mon-YYYY` in lock-date messages (`30-Nov-2018`).
pub fn lock_date_text(date: NaiveDate) -> String {
    date.format("%d-%b-%Y").to_string()
}

/// Xero's ISO-like date-time without offset, used in `UpdatedDateUTC`-style text fields.
pub fn xero_timestamp(at: DateTime<Utc>) -> String {
    // Seven fractional digits, as Xero's .NET serialiser writes them (chrono stops at six here).
    format!("{}0", at.format("%Y-%m-%dT%H:%M:%S%.6f"))
}

/// A JSON answer with Xero's content type.
pub fn json_answer(status: StatusCode, body: String) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}

/// Wraps a collection in Xero's envelope. `items` must already be JSON text (so amounts keep
/// their exact decimal text).
pub fn envelope(id: &str, now: DateTime<Utc>, key: &str, items: &str) -> String {
    format!(
        "{{\"Id\":{},\"Status\":\"OK\",\"ProviderName\":{},\"DateTimeUTC\":{},{}:{}}}",
        json!(id),
        json!(PROVIDER_NAME),
        json!(ms_date(now)),
        json!(key),
        items
    )
}

/// A problem-details body (401, 403, 500), as XERO.md quotes them.
pub fn problem(status: StatusCode, detail: &str, instance: &str) -> Response {
    let title = status.canonical_reason().unwrap_or("Error");
    let body = json!({
        "Type": null,
        "Title": title,
        "Status": status.as_u16(),
        "Detail": detail,
        "Instance": instance,
        "Extensions": {}
    });
    json_answer(status, body.to_string())
}

/// Xero's 404: plain text.
pub fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"))],
        "The resource you're looking for cannot be found",
    )
        .into_response()
}

/// Adds the three `X-…-Remaining` headers.
pub fn add_remaining(headers: &mut HeaderMap, remaining: Remaining) {
    let pairs = [
        ("x-daylimit-remaining", remaining.day),
        ("x-minlimit-remaining", remaining.minute),
        ("x-appminlimit-remaining", remaining.app_minute),
    ];
    for (name, value) in pairs {
        headers.insert(HeaderName::from_static(name), HeaderValue::from(value));
    }
}

/// A 429 with `Retry-After` and `X-Rate-Limit-Problem`. The body is unconfirmed: plain text.
pub fn too_many(retry_after_secs: i64, problem: &str, remaining: Remaining) -> Response {
    let mut response = (
        StatusCode::TOO_MANY_REQUESTS,
        [(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"))],
        "Rate limit exceeded",
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
    if let Ok(value) = HeaderValue::from_str(problem) {
        headers.insert(HeaderName::from_static("x-rate-limit-problem"), value);
    }
    add_remaining(headers, remaining);
    response
}

/// A header as text, if present and visible ASCII (never panics on odd bytes).
pub fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// Parses `If-Modified-Since` in the HTTP date form or Xero's ISO form.
pub fn modified_since(headers: &HeaderMap) -> Option<DateTime<Utc>> {
    let text = header_text(headers, header::IF_MODIFIED_SINCE.as_str())?;
    DateTime::parse_from_rfc2822(text)
        .map(|d| d.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            DateTime::parse_from_rfc3339(text)
                .ok()
                .map(|d| d.with_timezone(&Utc))
        })
        .or_else(|| {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S")
                .ok()
                .map(|d| d.and_utc())
        })
}
