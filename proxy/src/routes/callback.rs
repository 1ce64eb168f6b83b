//! `GET /auth/xero/callback`: where Xero sends the admin's popup back. Exchanges the code and
//! answers a small page that tells the opener (`postMessage` to each allowed origin) and closes.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use srm_xero_shared::api::{CONNECTION_MESSAGE_TYPE, ConnectionMessage, ConnectionState};

use crate::AppState;
use crate::xero::connection::CallbackError;

/// Xero's redirect parameters.
#[derive(Debug, serde::Deserialize)]
pub struct CallbackQuery {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// Finishes the connection.
#[utoipa::path(get, path = "/auth/xero/callback", tag = "connection",
    params(("code" = Option<String>, Query, description = "Xero's authorization code"),
           ("state" = String, Query, description = "The state of /api/connection/start"),
           ("error" = Option<String>, Query, description = "Xero's refusal, e.g. access_denied")),
    responses(
        (status = 200, description = "A page that posts ConnectionMessage to the opener and closes", content_type = "text/html"),
        (status = 400, description = "The same page, telling what failed", content_type = "text/html")))]
pub async fn callback(
    State(state): State<AppState>,
    Query(query): Query<CallbackQuery>,
) -> Response {
    let result = state
        .connections()
        .finish(
            query.state.as_deref().unwrap_or_default(),
            query.code,
            query.error,
        )
        .await;
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
            (
                StatusCode::OK,
                ConnectionMessage {
                    kind: CONNECTION_MESSAGE_TYPE.into(),
                    ok: true,
                    state: Some(done.status.state),
                    message: text,
                },
            )
        }
        Err(e) => {
            if !matches!(e, CallbackError::Denied(_)) {
                tracing::warn!(error = %e, "the Xero callback failed");
            }
            (
                StatusCode::BAD_REQUEST,
                ConnectionMessage {
                    kind: CONNECTION_MESSAGE_TYPE.into(),
                    ok: false,
                    state: None,
                    message: e.to_string(),
                },
            )
        }
    };
    (status, Html(page(&message, state.message_origins()))).into_response()
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

/// The page: the message in words, then the script that posts it and closes the popup.
pub fn page(message: &ConnectionMessage, origins: &[String]) -> String {
    format!(
        r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Xero connection</title></head>
<body style="font-family: sans-serif; padding: 24px">
<p id="result">{text}</p>
<p>You can close this window.</p>
<script>
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
