//! The Xero connection end to end against the simulator: consent, choosing an organisation,
//! single-flight refresh, rotation across a restart, invalid_grant, idle refresh, disconnect, and
//! no token in plaintext in the database.

mod common;

use common::{
    ADMIN_NAME, CALLER_SECRET, CLIENT_SECRET, contains, simulator, spawn_app, spawn_with,
};
use reqwest::{Method, StatusCode};
use serde_json::json;
use srm_xero_tests::demo::org::{ACME_NAME, ACME_TENANT_ID, ACME_TEST_TENANT_ID};

#[tokio::test]
async fn an_admin_connects_through_the_consent_page_and_chooses_between_two_organisations() {
    let app = spawn_with(simulator().auto_approve(false)).await;
    let (status, start) = app
        .call(Method::POST, "/api/connection/start", &app.admin(), None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let authorize = start["authorize_url"].as_str().unwrap();
    assert!(
        authorize.contains("code_challenge_method=S256"),
        "{authorize}"
    );
    assert!(authorize.contains("state="), "{authorize}");

    // Xero's consent page: both organisations ticked, "Allow access" pressed.
    let callback = allow_access(&app, authorize, &[ACME_TENANT_ID, ACME_TEST_TENANT_ID]).await;
    let page = app.follow_callback(&callback).await;
    assert!(page.contains("postMessage"), "{page}");
    assert!(page.contains(common::ALLOWED_ORIGIN), "{page}");
    assert!(page.contains("window.close()"));

    let (_, status) = app.get("/api/connection", &app.clerk()).await;
    assert_eq!(status["state"], "choosing_organisation");
    assert_eq!(status["choices"].as_array().unwrap().len(), 2);

    let (code, body) = app
        .call(
            Method::POST,
            "/api/connection/organisation",
            &app.admin(),
            Some(json!({"tenant_id": "nope"})),
        )
        .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (code, body) = app
        .call(
            Method::POST,
            "/api/connection/organisation",
            &app.admin(),
            Some(json!({"tenant_id": ACME_TENANT_ID})),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "connected");
    assert_eq!(body["organisation"]["tenant_id"], ACME_TENANT_ID);
    assert_eq!(body["organisation"]["name"], ACME_NAME);
    assert_eq!(body["connected_by"], ADMIN_NAME);
    assert!(
        body["scopes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == "accounting.manualjournals")
    );
    assert!(body["last_refreshed_at"].is_string());

    // The token works against the chosen tenant.
    let (code, body) = app.get("/api/reference", &app.clerk()).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert!(
        app.sim
            .calls()
            .iter()
            .any(|c| c.tenant() == Some(ACME_TENANT_ID))
    );
}

/// On Xero's consent page, ticks `tenants` and presses "Allow access"; answers the callback URL.
async fn allow_access(app: &common::TestApp, authorize: &str, tenants: &[&str]) -> String {
    let page = app
        .http
        .get(authorize)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Allow access"), "{page}");
    let request = page
        .split("name=\"request\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let mut form = format!("request={request}&decision=allow");
    for tenant in tenants {
        form.push_str("&tenant=");
        form.push_str(tenant);
    }
    let consent = app
        .http
        .post(format!("{}/identity/connect/consent", app.sim.urls().login))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    consent.headers()["location"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn only_the_organisations_of_this_consent_are_offered() {
    let app = spawn_with(simulator().auto_approve(false)).await;
    // The same Xero user connected the test organisation to the app earlier.
    app.sim
        .issue_tokens("accounting.settings.read", &[ACME_TEST_TENANT_ID]);
    let authorize = start_connecting(&app).await;
    let callback = allow_access(&app, &authorize, &[ACME_TENANT_ID]).await;
    let page = app.follow_callback(&callback).await;
    assert!(
        page.contains(&format!("Connected to {ACME_NAME}.")),
        "{page}"
    );
    let (_, status) = app.get("/api/connection", &app.clerk()).await;
    assert_eq!(status["state"], "connected", "{status}");
    assert_eq!(status["organisation"]["tenant_id"], ACME_TENANT_ID);
    let listed = app
        .sim
        .calls()
        .into_iter()
        .find(|c| c.path.starts_with("/connections"))
        .unwrap();
    assert!(
        listed.path.starts_with("/connections?authEventId="),
        "{}",
        listed.path
    );
}

#[tokio::test]
async fn a_callback_with_an_unknown_state_or_a_refusal_connects_nothing() {
    let app = spawn_app().await;
    let page = app
        .http
        .get(app.url("/auth/xero/callback?code=abc&state=forged"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    assert!(
        page.text()
            .await
            .unwrap()
            .contains("unknown or has expired")
    );
    let (_, status) = app.get("/api/connection", &app.clerk()).await;
    assert_eq!(status["state"], "disconnected");
}

/// Starts a connection as the admin; answers the authorize URL.
async fn start_connecting(app: &common::TestApp) -> String {
    let (status, start) = app
        .call(Method::POST, "/api/connection/start", &app.admin(), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{start}");
    start["authorize_url"].as_str().unwrap().to_owned()
}

/// The `state` parameter of an authorize URL.
fn state_of(authorize: &str) -> String {
    let url = reqwest::Url::parse(authorize).unwrap();
    url.query_pairs()
        .find(|(k, _)| k == "state")
        .map(|(_, v)| v.into_owned())
        .unwrap()
}

#[tokio::test]
async fn pressing_cancel_on_xeros_page_connects_nothing_and_uses_up_the_attempt() {
    let app = spawn_app().await;
    let state = state_of(&start_connecting(&app).await);
    let refused = app
        .http
        .get(app.url(&format!(
            "/auth/xero/callback?error=access_denied&state={state}"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let page = refused.text().await.unwrap();
    assert!(
        page.contains("Xero did not grant access (access_denied)"),
        "{page}"
    );
    assert!(page.contains("\"ok\":false"), "{page}");
    let (_, status) = app.get("/api/connection", &app.clerk()).await;
    assert_eq!(status["state"], "disconnected");
    assert_eq!(app.token_calls("authorization_code"), 0);

    // The same state cannot be used again, even with a code.
    let again = app
        .http
        .get(app.url(&format!("/auth/xero/callback?code=abc&state={state}")))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert!(
        again
            .text()
            .await
            .unwrap()
            .contains("unknown or has expired")
    );
}

#[tokio::test]
async fn a_restart_while_the_admin_is_on_xeros_page_does_not_lose_the_attempt() {
    let mut app = spawn_app().await;
    let authorize = start_connecting(&app).await;
    app.restart_in_place().await;
    let redirect = app.http.get(&authorize).send().await.unwrap();
    assert!(redirect.status().is_redirection(), "{}", redirect.status());
    let callback = redirect.headers()["location"].to_str().unwrap().to_owned();
    let page = app.follow_callback(&callback).await;
    assert!(page.contains("\"ok\":true"), "{page}");
    let (_, status) = app.get("/api/connection", &app.clerk()).await;
    assert_ne!(status["state"], "disconnected", "{status}");
    assert_eq!(status["connected_by"], ADMIN_NAME);
    // The new process exchanged the code with the verifier the old one stored.
    assert_eq!(app.token_calls("authorization_code"), 1);
}

#[tokio::test]
async fn an_attempt_older_than_fifteen_minutes_is_refused() {
    let app = spawn_app().await;
    let authorize = start_connecting(&app).await;
    let redirect = app.http.get(&authorize).send().await.unwrap();
    let callback = redirect.headers()["location"].to_str().unwrap().to_owned();
    app.advance_minutes(16);
    let late = app.http.get(&callback).send().await.unwrap();
    assert_eq!(late.status(), StatusCode::BAD_REQUEST);
    assert!(
        late.text()
            .await
            .unwrap()
            .contains("unknown or has expired")
    );
    let (_, status) = app.get("/api/connection", &app.clerk()).await;
    assert_eq!(status["state"], "disconnected");
}

#[tokio::test]
async fn twenty_concurrent_calls_at_expiry_cause_exactly_one_refresh() {
    let app = spawn_app().await;
    app.connect_to(ACME_TENANT_ID).await;
    let (code, _) = app.get("/api/reference", &app.clerk()).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(app.token_calls("refresh_token"), 0);

    app.advance_minutes(30);
    let token = app.clerk();
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (http, url, token) = (app.http.clone(), app.url("/api/reference"), token.clone());
        calls.spawn(async move {
            http.get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        });
    }
    let answers = calls.join_all().await;
    assert_eq!(answers.len(), 20);
    assert!(
        answers.iter().all(|code| *code == StatusCode::OK),
        "{answers:?}"
    );
    assert_eq!(app.token_calls("refresh_token"), 1);
}

#[tokio::test]
async fn a_rotated_refresh_token_survives_a_restart_of_the_proxy() {
    let mut app = spawn_app().await;
    app.connect_to(ACME_TENANT_ID).await;
    app.advance_minutes(31);
    let (code, _) = app.get("/api/reference/refresh", &app.clerk()).await;
    assert_eq!(code, StatusCode::METHOD_NOT_ALLOWED);
    let (code, body) = app
        .call(Method::POST, "/api/reference/refresh", &app.clerk(), None)
        .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(app.token_calls("refresh_token"), 1);

    app.restart().await;
    // Past the old refresh token's 30-minute grace: only the rotated one still works.
    app.advance_minutes(61);
    let (code, body) = app
        .call(Method::POST, "/api/reference/refresh", &app.clerk(), None)
        .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(app.token_calls("refresh_token"), 2);
    let (_, status) = app.get("/api/connection", &app.clerk()).await;
    assert_eq!(status["state"], "connected");
}

#[tokio::test]
async fn a_refresh_answered_invalid_grant_puts_the_connection_into_reconnect_needed() {
    let app = spawn_app().await;
    app.connect_to(ACME_TENANT_ID).await;
    // The refresh token dies after 60 days unused.
    app.advance_minutes(61 * 24 * 60);
    let (code, body) = app.get("/api/reference", &app.clerk()).await;
    assert_eq!(code, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"], "reconnect_needed");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("connect to Xero again"),
        "{body}"
    );
    let (code, status) = app.get("/api/connection", &app.clerk()).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(status["state"], "reconnect_needed");
    assert!(
        status["message"]
            .as_str()
            .unwrap()
            .contains("connect to Xero again")
    );
    // Nothing retries the dead token.
    let (code, _) = app.get("/api/reference", &app.clerk()).await;
    assert_eq!(code, StatusCode::CONFLICT);
    assert_eq!(app.token_calls("refresh_token"), 1);
    // Connecting again heals it.
    app.connect_to(ACME_TENANT_ID).await;
    let (_, status) = app.get("/api/connection", &app.clerk()).await;
    assert_eq!(status["state"], "connected");
}

#[tokio::test]
async fn an_idle_connection_is_refreshed_every_three_weeks_and_never_reaches_the_60_day_limit() {
    let app = spawn_app().await;
    app.connect_to(ACME_TENANT_ID).await;
    let connections = app.app().state().connections();
    assert!(!connections.maintain().await.unwrap());
    for round in 1..=4 {
        app.advance_minutes(21 * 24 * 60);
        assert!(connections.maintain().await.unwrap(), "round {round}");
        assert!(!connections.maintain().await.unwrap(), "round {round}");
        assert_eq!(app.token_calls("refresh_token"), round);
    }
    let (code, _) = app.get("/api/reference", &app.clerk()).await;
    assert_eq!(code, StatusCode::OK);
}

#[tokio::test]
async fn disconnecting_revokes_at_xero_and_deletes_the_connection() {
    let app = spawn_app().await;
    app.connect_to(ACME_TENANT_ID).await;
    let (code, _) = app
        .call(Method::DELETE, "/api/connection", &app.admin(), None)
        .await;
    assert_eq!(code, StatusCode::NO_CONTENT);
    assert_eq!(
        app.sim
            .calls()
            .iter()
            .filter(|c| c.path == "/connect/revocation")
            .count(),
        1
    );
    let (_, status) = app.get("/api/connection", &app.clerk()).await;
    assert_eq!(status["state"], "disconnected");
    let (code, body) = app.get("/api/reference", &app.clerk()).await;
    assert_eq!(code, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"], "not_connected");
    let (code, body) = app
        .call(Method::DELETE, "/api/connection", &app.admin(), None)
        .await;
    assert_eq!(code, StatusCode::CONFLICT);
    assert_eq!(body["error"], "not_connected", "{body}");
}

#[tokio::test]
async fn the_database_holds_no_token_in_plaintext() {
    let app = spawn_app().await;
    app.connect_to(ACME_TENANT_ID).await;
    app.advance_minutes(31);
    let (code, _) = app.get("/api/reference", &app.clerk()).await;
    assert_eq!(code, StatusCode::OK);
    let bytes = app.database_bytes();
    assert!(bytes.len() > 4096);
    assert!(
        contains(&bytes, ACME_TENANT_ID.as_bytes()),
        "the database was read"
    );
    for secret in ["sim-at-", "sim-rt-", CLIENT_SECRET, CALLER_SECRET] {
        assert!(
            !contains(&bytes, secret.as_bytes()),
            "{secret} found in the database"
        );
    }
}
