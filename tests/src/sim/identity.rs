//! login.xero.com and identity.xero.com: the consent page (organisation chooser and an
//! "Allow access" button), the token endpoint (Basic client auth, codes, rotation), revocation,
//! and api.xero.com's `/connections`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use base64::Engine as _;
use serde_json::json;

use super::gate;
use super::state::Shared;
use super::tokens::Pending;
use super::wire::{self, header_text, json_answer};

type Params = HashMap<String, String>;

fn oauth_error(status: StatusCode, error: &str) -> Response {
    json_answer(status, json!({ "error": error }).to_string())
}

fn error_page(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        Html(format!(
            "<!doctype html><title>Xero (simulated)</title><h1>Error</h1><p id=\"error\">{}</p>",
            escape(message)
        )),
    )
        .into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn redirect_with(uri: &str, query: &[(&str, &str)]) -> Response {
    let pairs: Vec<String> = query
        .iter()
        .map(|(k, v)| format!("{k}={}", percent(v)))
        .collect();
    let sep = if uri.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{uri}{sep}{}", pairs.join("&"))).into_response()
}

/// Minimal percent-encoding for query values (unreserved characters kept).
fn percent(value: &str) -> String {
    value.bytes().fold(String::new(), |mut out, b| {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
        out
    })
}

/// `GET /identity/connect/authorize`
pub async fn authorize(State(sim): State<Arc<Shared>>, Query(q): Query<Params>) -> Response {
    let get = |k: &str| q.get(k).map(String::as_str).unwrap_or_default();
    let mut state = sim.lock();
    if get("client_id") != state.app.client_id {
        return error_page("unauthorized_client: unknown client_id");
    }
    let redirect_uri = get("redirect_uri").to_owned();
    // Never redirect to an unregistered URI: show the error instead.
    if !state.app.redirect_uris.contains(&redirect_uri) {
        return error_page("invalid_request: redirect_uri is not registered for this app");
    }
    let st = get("state").to_owned();
    let fail = |error: &str| redirect_with(&redirect_uri, &[("error", error), ("state", &st)]);
    if get("response_type") != "code" {
        return fail("unsupported_response_type");
    }
    if st.is_empty() {
        return fail("invalid_request");
    }
    let scopes: Vec<String> = get("scope").split_whitespace().map(String::from).collect();
    if scopes.is_empty() || scopes.iter().any(|s| !state.app.allowed_scopes.contains(s)) {
        return fail("invalid_scope");
    }
    let code_challenge = q.get("code_challenge").cloned();
    if code_challenge.is_some() && get("code_challenge_method") != "S256" {
        return fail("invalid_request");
    }
    let pending = Pending {
        redirect_uri: redirect_uri.clone(),
        scopes,
        state: st.clone(),
        code_challenge,
    };
    let now = sim.clock.now();
    if state.settings.auto_approve {
        let tenants: Vec<String> = state.orgs.iter().map(|o| o.tenant_id.clone()).collect();
        let state = &mut *state;
        let settings = state.settings.clone();
        let code = state
            .identity
            .approve(&mut state.rng, &pending, &tenants, now, &settings);
        return redirect_with(&redirect_uri, &[("code", &code), ("state", &st)]);
    }
    let state = &mut *state;
    let id = state.identity.add_pending(&mut state.rng, pending.clone());
    let mut orgs = String::new();
    for org in &state.orgs {
        let _ = write!(
            orgs,
            "<li><label><input type=\"checkbox\" name=\"tenant\" value=\"{}\" checked> {}</label></li>",
            escape(&org.tenant_id),
            escape(&org.name)
        );
    }
    Html(format!(
        "<!doctype html><html><head><title>Xero | Authorise app</title></head><body>\
         <h1>SRM Xero wants to access your Xero organisations</h1>\
         <p>Scopes: {}</p>\
         <form method=\"post\" action=\"/identity/connect/consent\">\
         <input type=\"hidden\" name=\"request\" value=\"{id}\">\
         <ul id=\"organisations\">{orgs}</ul>\
         <button type=\"submit\" name=\"decision\" value=\"allow\" id=\"allow\">Allow access</button>\
         <button type=\"submit\" name=\"decision\" value=\"deny\" id=\"cancel\">Cancel</button>\
         </form></body></html>",
        escape(&pending.scopes.join(" "))
    ))
    .into_response()
}

/// `POST /identity/connect/consent` — the consent form's answer. The form repeats `tenant`, so the
/// body is parsed by hand rather than into a map.
pub async fn consent(State(sim): State<Arc<Shared>>, body: String) -> Response {
    let pairs: Vec<(String, String)> = body
        .split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k.to_owned(), decode(v)))
        .collect();
    let field = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let mut state = sim.lock();
    let Some(pending) = field("request").and_then(|id| state.identity.take_pending(&id)) else {
        return error_page("This authorisation request has expired or was already answered");
    };
    let tenants: Vec<String> = pairs
        .iter()
        .filter(|(n, v)| n == "tenant" && state.org(v).is_some())
        .map(|(_, v)| v.clone())
        .collect();
    if field("decision").as_deref() != Some("allow") || tenants.is_empty() {
        return redirect_with(
            &pending.redirect_uri,
            &[("error", "access_denied"), ("state", &pending.state)],
        );
    }
    let now = sim.clock.now();
    let state = &mut *state;
    let settings = state.settings.clone();
    let code = state
        .identity
        .approve(&mut state.rng, &pending, &tenants, now, &settings);
    redirect_with(
        &pending.redirect_uri,
        &[("code", &code), ("state", &pending.state)],
    )
}

fn decode(value: &str) -> String {
    let bytes = value.replace('+', " ").into_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn client_ok(sim: &Shared, headers: &HeaderMap) -> bool {
    let Some(encoded) =
        header_text(headers, header::AUTHORIZATION.as_str()).and_then(|h| h.strip_prefix("Basic "))
    else {
        return false;
    };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(encoded.trim()) else {
        return false;
    };
    let text = String::from_utf8_lossy(&decoded);
    let state = sim.lock();
    text.split_once(':')
        .is_some_and(|(id, secret)| id == state.app.client_id && secret == state.app.client_secret)
}

/// `POST /connect/token`
pub async fn token(
    State(sim): State<Arc<Shared>>,
    headers: HeaderMap,
    Form(form): Form<Params>,
) -> Response {
    if !client_ok(&sim, &headers) {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    let get = |k: &str| form.get(k).map(String::as_str).unwrap_or_default();
    let now = sim.clock.now();
    let mut state = sim.lock();
    let state = &mut *state;
    let settings = state.settings.clone();
    let result = match get("grant_type") {
        "authorization_code" => state.identity.exchange_code(
            &mut state.rng,
            get("code"),
            get("redirect_uri"),
            form.get("code_verifier").map(String::as_str),
            now,
            &settings,
        ),
        "refresh_token" => {
            state
                .identity
                .refresh(&mut state.rng, get("refresh_token"), now, &settings)
        }
        _ => return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type"),
    };
    match result {
        Ok(answer) => json_answer(
            StatusCode::OK,
            serde_json::to_string(&answer).unwrap_or_default(),
        ),
        Err(_) => oauth_error(StatusCode::BAD_REQUEST, "invalid_grant"),
    }
}

/// `POST /connect/revocation`
pub async fn revocation(
    State(sim): State<Arc<Shared>>,
    headers: HeaderMap,
    Form(form): Form<Params>,
) -> Response {
    if !client_ok(&sim, &headers) {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    if let Some(token) = form.get("token") {
        sim.lock().identity.revoke(token);
    }
    StatusCode::OK.into_response()
}

/// `GET /connections[?authEventId=…]`
pub async fn connections(
    State(sim): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(q): Query<Params>,
) -> Response {
    if let Err(refused) = gate::bearer(&sim, &headers, "connections") {
        return refused;
    }
    let state = sim.lock();
    let bare = state.settings.connection_dates_without_offset;
    let stamp = |at| {
        let text = wire::xero_timestamp(at);
        if bare { text } else { format!("{text}Z") }
    };
    let list: Vec<serde_json::Value> = state
        .identity
        .connections
        .iter()
        .filter(|c| q.get("authEventId").is_none_or(|e| e == &c.auth_event_id))
        .map(|c| {
            json!({
                "id": c.id,
                "authEventId": c.auth_event_id,
                "tenantId": c.tenant_id,
                "tenantType": "ORGANISATION",
                "tenantName": state.org(&c.tenant_id).map(|o| o.name.clone()),
                "createdDateUtc": stamp(c.created),
                "updatedDateUtc": stamp(c.updated),
            })
        })
        .collect();
    json_answer(StatusCode::OK, serde_json::Value::from(list).to_string())
}

/// `DELETE /connections/{id}`
pub async fn delete_connection(
    State(sim): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(refused) = gate::bearer(&sim, &headers, "connections") {
        return refused;
    }
    let mut state = sim.lock();
    let before = state.identity.connections.len();
    state.identity.connections.retain(|c| c.id != id);
    if state.identity.connections.len() == before {
        return wire::not_found();
    }
    StatusCode::NO_CONTENT.into_response()
}
