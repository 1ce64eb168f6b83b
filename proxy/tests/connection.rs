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

    // Xero's consent page: both organisations listed, "Allow access" pressed.
    let page = app
        .http
        .get(authorize)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Allow access"));
    let request = page
        .split("name=\"request\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let form = format!(
        "request={request}&tenant={ACME_TENANT_ID}&tenant={ACME_TEST_TENANT_ID}&decision=allow"
    );
    let consent = app
        .http
        .post(format!("{}/identity/connect/consent", app.sim.urls().login))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form)
        .send()
        .await
        .unwrap();
    let callback = consent.headers()["location"].to_str().unwrap().to_owned();
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
    let (code, _) = app
        .call(Method::DELETE, "/api/connection", &app.admin(), None)
        .await;
    assert_eq!(code, StatusCode::CONFLICT);
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
