//! The admin's consent popup outside `/api`: `GET /auth/xero/start` binds a started connection to
//! the browser that opens it (a cookie) and sends it on to Xero; `GET /auth/xero/callback` is
//! where Xero sends it back. The callback needs that cookie, exchanges the code and answers a
//! small page that tells the opener (`postMessage` to each allowed origin) and closes.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse as _, Response};
use srm_xero_shared::api::{CONNECTION_MESSAGE_TYPE, ConnectionMessage, ConnectionState};

use crate::AppState;
use crate::config::random_text;
use crate::headers::{page, script_page_csp};
use crate::xero::attempt::{AttemptError, PENDING_LIFETIME};
use crate::xero::connection::{CallbackError, OpenError};

/// The cookie that ties an attempt to the admin's browser.
pub const ATTEMPT_COOKIE: &str = "srm_xero_attempt";
/// Where the cookie is sent: these two routes only.
const COOKIE_PATH: &str = "/auth/xero";

/// `/auth/xero/start` parameters.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StartQuery {
    /// The attempt of `POST /api/connection/start` (its `authorize_url` carries it).
    #[param(required = true, min_length = 1)]
    attempt: Option<String>,
}

/// Xero's redirect parameters.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CallbackQuery {
    /// Xero's authorization code.
    code: Option<String>,
    /// The attempt's state.
    #[param(required = true, min_length = 1)]
    state: Option<String>,
    /// Xero's refusal, e.g. `access_denied`.
    error: Option<String>,
}

/// Opens a started connection in this browser, once, and sends it on to Xero's consent page.
#[utoipa::path(get, path = "/auth/xero/start", tag = "connection",
    params(StartQuery),
    responses(
        (status = 302, description = "To Xero's consent page; sets the HttpOnly, SameSite=Lax cookie srm_xero_attempt (Path=/auth/xero) that the callback needs",
            headers(("Location" = String, description = "Xero's authorize URL"), ("Set-Cookie" = String, description = "srm_xero_attempt"))),
        (status = 400, description = "A page: no attempt was named", content_type = "text/html"),
        (status = 404, description = "A page: the link is unknown, was opened already, or expired", content_type = "text/html"),
        (status = 500, description = "A page: the attempt could not be read", content_type = "text/html"),
        (status = 502, description = "A page: Xero did not revoke the previous connection (a reconnect); try again", content_type = "text/html")))]
pub async fn start(
    State(state): State<AppState>,
    query: Result<Query<StartQuery>, QueryRejection>,
) -> Response {
    let Some(attempt) = query
        .ok()
        .and_then(|q| q.0.attempt)
        .filter(|a| !a.is_empty())
    else {
        return message_page(
            &state,
            StatusCode::BAD_REQUEST,
            false,
            "This link names no connection attempt; press Connect again on the page.",
        );
    };
    match state.connections().open_attempt(&attempt).await {
        Ok((authorize_url, secret)) => {
            let secure = if state.public_url().starts_with("https:") {
                "; Secure"
            } else {
                ""
            };
            let cookie = format!(
                "{ATTEMPT_COOKIE}={secret}; Path={COOKIE_PATH}; Max-Age={}; HttpOnly; SameSite=Lax{secure}",
                PENDING_LIFETIME.num_seconds()
            );
            let (Ok(location), Ok(cookie)) = (
                HeaderValue::from_str(&authorize_url),
                HeaderValue::from_str(&cookie),
            ) else {
                return message_page(
                    &state,
                    StatusCode::INTERNAL_SERVER_ERROR,
                    false,
                    "internal error",
                );
            };
            let mut response = StatusCode::FOUND.into_response();
            let headers = response.headers_mut();
            headers.insert(header::LOCATION, location);
            headers.insert(header::SET_COOKIE, cookie);
            headers.insert(
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            );
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(OpenError::Attempt(AttemptError::Internal)) => message_page(
            &state,
            StatusCode::INTERNAL_SERVER_ERROR,
            false,
            "internal error",
        ),
        Err(e @ OpenError::Attempt(_)) => {
            message_page(&state, StatusCode::NOT_FOUND, false, &e.to_string())
        }
        Err(e @ OpenError::Revocation(_)) => {
            tracing::warn!(error = %e, "reconnecting: revoking the previous grant failed");
            message_page(&state, StatusCode::BAD_GATEWAY, false, &e.to_string())
        }
    }
}

/// Finishes the connection.
#[utoipa::path(get, path = "/auth/xero/callback", tag = "connection",
    params(CallbackQuery),
    responses(
        (status = 200, description = "A page that posts ConnectionMessage to the opener and closes", content_type = "text/html"),
        (status = 400, description = "The same page, telling what failed: no state, an unknown or expired attempt, Xero's refusal", content_type = "text/html"),
        (status = 403, description = "The same page: this browser did not open the attempt's link (the srm_xero_attempt cookie is missing or another's)", content_type = "text/html")))]
pub async fn callback(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<CallbackQuery>, QueryRejection>,
) -> Response {
    // A query that does not read is answered like one without a state: the page says so.
    let query = query.map_or(
        CallbackQuery {
            code: None,
            state: None,
            error: None,
        },
        |q| q.0,
    );
    let result = match query.state.as_deref().filter(|s| !s.is_empty()) {
        None => Err(CallbackError::NoState),
        Some(attempt) => {
            let browser = cookie(&headers, ATTEMPT_COOKIE);
            match browser {
                None => Err(CallbackError::OtherBrowser(AttemptError::OtherBrowser)),
                Some(secret) => {
                    state
                        .connections()
                        .finish(attempt, Some(secret), query.code, query.error)
                        .await
                }
            }
        }
    };
    let (status, message) = match result {
        Ok(done) => {
            // Exports waiting for a connection resume now.
            state.hub().wake();
            let text = match (&done.status.state, &done.status.organisation) {
                (ConnectionState::Connected, Some(org)) => format!("Connected to {}.", org.name),
                (ConnectionState::ChoosingOrganisation, _) => {
                    "Connected. Choose the organisation to post to.".to_owned()
                }
                _ => "Connected.".to_owned(),
            };
            (StatusCode::OK, message(true, Some(done.status.state), text))
        }
        Err(e) => {
            if !matches!(e, CallbackError::Denied(_)) {
                tracing::warn!(error = %e, "the Xero callback failed");
            }
            let status = if matches!(e, CallbackError::OtherBrowser(_)) {
                StatusCode::FORBIDDEN
            } else {
                StatusCode::BAD_REQUEST
            };
            (status, message(false, None, e.to_string()))
        }
    };
    let mut response = posting_page(&state, status, &message);
    // The attempt is used up (or was never this browser's): the cookie has no further use.
    if let Ok(clear) = HeaderValue::from_str(&format!(
        "{ATTEMPT_COOKIE}=; Path={COOKIE_PATH}; Max-Age=0; HttpOnly; SameSite=Lax"
    )) {
        response.headers_mut().insert(header::SET_COOKIE, clear);
    }
    response
}

fn message(ok: bool, state: Option<ConnectionState>, text: String) -> ConnectionMessage {
    ConnectionMessage {
        kind: CONNECTION_MESSAGE_TYPE.into(),
        ok,
        state,
        message: text,
    }
}

/// A cookie's value from the request's `Cookie` headers.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

/// The result page with its policy: only its own script runs, and its URL (with Xero's code in
/// it) never travels on as a referrer.
fn posting_page(state: &AppState, status: StatusCode, message: &ConnectionMessage) -> Response {
    let nonce = random_text::<16>();
    page(
        status,
        page_html(message, state.message_origins(), &nonce),
        &script_page_csp(&nonce),
        true,
    )
}

/// A page that tells the opener `text` (not connected) and closes, like the callback's.
fn message_page(state: &AppState, status: StatusCode, ok: bool, text: &str) -> Response {
    posting_page(state, status, &message(ok, None, text.to_owned()))
}

/// JSON safe inside a `<script>` element.
fn script_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value)
        .unwrap_or_else(|_| "null".into())
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The page: the message in words, then the script (carrying `nonce`) that posts it and closes
/// the popup.
pub fn page_html(message: &ConnectionMessage, origins: &[String], nonce: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Xero connection</title></head>
<body style="font-family: sans-serif; padding: 24px">
<p id="result">{text}</p>
<p>You can close this window.</p>
<script nonce="{nonce}">
(function () {{
  var message = {message};
  var origins = {origins};
  if (window.opener) {{
    origins.forEach(function (origin) {{
      try {{ window.opener.postMessage(message, origin); }} catch (e) {{}}
    }});
  }}
  window.close();
}})();
</script>
</body></html>
"#,
        text = escape(&message.message),
        message = script_json(message),
        origins = script_json(&origins),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_attempt_cookie_is_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; srm_xero_attempt=s3cr3t"),
        );
        headers.append(header::COOKIE, HeaderValue::from_static("b=2"));
        assert_eq!(cookie(&headers, ATTEMPT_COOKIE), Some("s3cr3t"));
        let mut empty = HeaderMap::new();
        empty.append(
            header::COOKIE,
            HeaderValue::from_static("srm_xero_attempt="),
        );
        assert_eq!(cookie(&empty, ATTEMPT_COOKIE), None);
        assert_eq!(cookie(&HeaderMap::new(), ATTEMPT_COOKIE), None);
    }
}
