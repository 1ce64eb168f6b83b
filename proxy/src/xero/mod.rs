//! Everything that talks to Xero: one HTTP client ([`XeroClient`]) whose answers are classified
//! once, here, into [`XeroError`]; the OAuth flow ([`oauth`]); and the connection with its
//! encrypted, single-flight-refreshed token set ([`connection`]).

pub mod attempt;
pub mod connection;
pub mod journals;
pub mod oauth;

use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::config::XeroSettings;

/// How long a connection to Xero may take to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a whole Xero call may take.
const CALL_TIMEOUT: Duration = Duration::from_mins(1);

/// Xero's answer, classified once. Retry logic matches on these, never on status codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XeroError {
    /// 401/403: the access token (or tenant id) was refused.
    #[error("unauthorized ({0})")]
    Unauthorized(String),
    /// 429: wait `retry_after`; `problem` is minute, day, appminute or concurrent.
    #[error("rate limit reached ({problem}); retry after {}s", retry_after.as_secs())]
    RateLimited {
        /// Xero's `Retry-After`.
        retry_after: Duration,
        /// Xero's `X-Rate-Limit-Problem`, lower case.
        problem: String,
    },
    /// 400: Xero's validation messages.
    #[error("refused: {}", .0.join("; "))]
    Validation(Vec<String>),
    /// A timeout, a dropped connection, a 5xx: worth retrying later.
    #[error("temporarily unavailable ({0})")]
    Transient(String),
    /// Anything else.
    #[error("unexpected answer ({0})")]
    Other(String),
    /// There is no usable connection: never connected, disconnected, or an organisation still to
    /// be chosen.
    #[error("not connected")]
    NotConnected,
    /// Xero refused the refresh token (`invalid_grant`): an admin must connect again.
    #[error("reconnect needed")]
    ReconnectNeeded,
}

/// A successful read.
#[derive(Debug, Clone)]
pub enum Fetched {
    /// The body of a 2xx answer.
    Body(axum::body::Bytes),
    /// 304: unchanged since `If-Modified-Since`.
    NotModified,
}

/// One organisation of `GET /connections`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct XeroConnection {
    /// The connection's id (for `DELETE /connections/{id}`).
    pub id: String,
    /// The organisation's tenant id.
    pub tenant_id: String,
    /// The organisation's name.
    #[serde(default)]
    pub tenant_name: Option<String>,
    /// `ORGANISATION` for accounting organisations.
    #[serde(default)]
    pub tenant_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ValidationBody {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    elements: Vec<ValidationElement>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ValidationElement {
    #[serde(default)]
    validation_errors: Vec<ValidationMessage>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ValidationMessage {
    message: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ProblemBody {
    #[serde(default)]
    detail: Option<String>,
    #[serde(default)]
    title: Option<String>,
}

/// Classifies an answer that is not a 2xx or 304.
pub fn classify(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> XeroError {
    let problem_detail = || {
        serde_json::from_slice::<ProblemBody>(body)
            .ok()
            .and_then(|p| p.detail.or(p.title))
            .unwrap_or_else(|| status.to_string())
    };
    match status.as_u16() {
        401 | 403 => XeroError::Unauthorized(problem_detail()),
        429 => {
            let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
            let retry_after = header("retry-after")
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map_or(Duration::from_mins(1), Duration::from_secs);
            let problem = header("x-rate-limit-problem")
                .unwrap_or("unknown")
                .to_ascii_lowercase();
            XeroError::RateLimited {
                retry_after,
                problem,
            }
        }
        400 => {
            let messages = serde_json::from_slice::<ValidationBody>(body)
                .map(|v| {
                    let mut all: Vec<String> = v
                        .elements
                        .into_iter()
                        .flat_map(|e| e.validation_errors)
                        .map(|m| m.message)
                        .collect();
                    if all.is_empty() {
                        all.extend(v.message);
                    }
                    all
                })
                .unwrap_or_default();
            if messages.is_empty() {
                XeroError::Validation(vec![
                    String::from_utf8_lossy(body).chars().take(500).collect(),
                ])
            } else {
                XeroError::Validation(messages)
            }
        }
        500 | 502 | 503 | 504 => XeroError::Transient(status.to_string()),
        _ => XeroError::Other(status.to_string()),
    }
}

/// Classifies a transport failure (never includes the URL's query or any header).
pub fn transport(error: reqwest::Error) -> XeroError {
    let what = if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "cannot connect"
    } else if error.is_body() || error.is_decode() {
        "answer cut short"
    } else {
        "request failed"
    };
    XeroError::Transient(format!("{what}: {}", error.without_url()))
}

/// The one HTTP client for Xero: rustls, redirects off, timeouts on, base URLs from the settings.
#[derive(Debug, Clone)]
pub struct XeroClient {
    http: reqwest::Client,
    api_url: String,
}

impl XeroClient {
    /// Builds the client.
    pub fn new(settings: &XeroSettings) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(CALL_TIMEOUT)
            .user_agent(concat!("srm-xero-proxy/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(XeroClient {
            http,
            api_url: settings.api_url.clone(),
        })
    }

    /// The API's base URL (`https://api.xero.com` or the simulator).
    pub fn api_url(&self) -> &str {
        &self.api_url
    }

    /// The underlying client (the OAuth requests share it).
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// `GET {api}{path}` with the bearer token, the tenant and `If-Modified-Since`.
    pub async fn get(
        &self,
        path: &str,
        access_token: &str,
        tenant: Option<&str>,
        modified_since: Option<DateTime<Utc>>,
    ) -> Result<Fetched, XeroError> {
        let mut request = self
            .http
            .get(format!("{}{path}", self.api_url))
            .bearer_auth(access_token)
            .header("accept", "application/json");
        if let Some(tenant) = tenant {
            request = request.header("xero-tenant-id", tenant);
        }
        if let Some(since) = modified_since {
            request = request.header(
                "if-modified-since",
                since.format("%a, %d %b %Y %H:%M:%S GMT").to_string(),
            );
        }
        let response = request.send().await.map_err(transport)?;
        let status = response.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified);
        }
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(transport)?;
        if status.is_success() {
            Ok(Fetched::Body(body))
        } else {
            Err(classify(status, &headers, &body))
        }
    }

    /// `GET {api}/connections`; with `auth_event`, only the organisations that consent covered
    /// (not ones the same user connected to the app before).
    pub async fn connections(
        &self,
        access_token: &str,
        auth_event: Option<&str>,
    ) -> Result<Vec<XeroConnection>, XeroError> {
        let path = match auth_event {
            Some(event) => format!("/connections?authEventId={event}"),
            None => "/connections".to_owned(),
        };
        match self.get(&path, access_token, None, None).await? {
            Fetched::Body(body) => serde_json::from_slice(&body)
                .map_err(|e| XeroError::Other(format!("connections do not parse: {e}"))),
            Fetched::NotModified => Err(XeroError::Other("304 without If-Modified-Since".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_classified_once() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", "17".parse().unwrap());
        headers.insert("x-rate-limit-problem", "Minute".parse().unwrap());
        assert_eq!(
            classify(
                StatusCode::TOO_MANY_REQUESTS,
                &headers,
                b"Rate limit exceeded"
            ),
            XeroError::RateLimited {
                retry_after: Duration::from_secs(17),
                problem: "minute".into()
            }
        );
        let problem = br#"{"Type":null,"Title":"Unauthorized","Status":401,"Detail":"TokenExpired: token expired at 02/20/2025 08:32:50"}"#;
        assert_eq!(
            classify(StatusCode::UNAUTHORIZED, &HeaderMap::new(), problem),
            XeroError::Unauthorized("TokenExpired: token expired at 02/20/2025 08:32:50".into())
        );
        let invalid = br#"{"ErrorNumber":10,"Type":"ValidationException","Message":"A validation exception occurred","Elements":[{"ValidationErrors":[{"Message":"The total debits (100.00) must equal total credits (-10.00)"}]}]}"#;
        assert_eq!(
            classify(StatusCode::BAD_REQUEST, &HeaderMap::new(), invalid),
            XeroError::Validation(vec![
                "The total debits (100.00) must equal total credits (-10.00)".into()
            ])
        );
        assert!(matches!(
            classify(StatusCode::SERVICE_UNAVAILABLE, &HeaderMap::new(), b""),
            XeroError::Transient(_)
        ));
        assert!(matches!(
            classify(StatusCode::NOT_FOUND, &HeaderMap::new(), b"not found"),
            XeroError::Other(_)
        ));
    }
}
