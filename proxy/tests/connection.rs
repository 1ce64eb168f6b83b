//! The Xero connection end to end against the simulator: consent (bound to the admin's browser by
//! a cookie), choosing an organisation, single-flight refresh, rotation across a restart,
//! invalid_grant, idle refresh, reconnect (revoking the previous grant), disconnect, and no token
//! in plaintext in the database.

mod common;

use common::{
    ADMIN_NAME, CALLER_SECRET, CLIENT_SECRET, Popup, contains, simulator, spawn_app, spawn_with,
};
use reqwest::{Method, StatusCode};
use serde_json::json;
use srm_xero_tests::demo::org::{ACME_NAME, ACME_TENANT_ID, ACME_TEST_TENANT_ID};

#[tokio::test]
async fn an_admin_connects_through_the_consent_page_and_chooses_between_two_organisations() {
    let app = spawn_with(simulator().auto_approve(false)).await;
    let link = app.start_connecting().await;
    assert!(
        link.starts_with(&format!("{}/auth/xero/start?attempt=", app.public_url())),
        "{link}"
    );
    // The popup opens the proxy's link, which sends it on to Xero's consent page.
    let popup = app.open_popup(&link).await;
    assert!(
        popup.xero.starts_with(&app.sim.urls().login),
        "{}",
        popup.xero
    );
    assert!(
        popup.xero.contains("code_challenge_method=S256"),
        "{}",
        popup.xero
    );
    assert!(popup.xero.contains("state="), "{}", popup.xero);

    // Xero's consent page: both organisations ticked, "Allow access" pressed.
    let callback = allow_access(&app, &popup, &[ACME_TENANT_ID, ACME_TEST_TENANT_ID]).await;
    let page = app.follow_callback(&callback, &popup).await;
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
async fn allow_access(app: &common::TestApp, popup: &Popup, tenants: &[&str]) -> String {
    let page = app
        .http
        .get(&popup.xero)
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
    let popup = app.open_popup(&app.start_connecting().await).await;
    let callback = allow_access(&app, &popup, &[ACME_TENANT_ID]).await;
    let page = app.follow_callback(&callback, &popup).await;
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
async fn a_callback_with_an_unknown_state_connects_nothing() {
    let app = spawn_app().await;
    let popup = app.open_popup(&app.start_connecting().await).await;
    let page = app
        .callback(
            &app.url("/auth/xero/callback?code=abc&state=forged"),
            Some(&popup),
        )
        .await;
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
async fn a_callback_without_the_browsers_cookie_is_refused_and_the_admin_can_still_finish() {
    let app = spawn_app().await;
    let popup = app.open_popup(&app.start_connecting().await).await;
    // Someone else obtained Xero's authorize URL and consents with their own organisation: the
    // callback arrives with the right state and a good code, but not the admin's cookie.
    let their_callback = app.auto_approved(&popup).await;
    for cookie in [None, Some("srm_xero_attempt=someone-elses")] {
        let mut request = app.http.get(&their_callback);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        let refused = request.send().await.unwrap();
        assert_eq!(refused.status(), StatusCode::FORBIDDEN, "{cookie:?}");
        assert_eq!(refused.headers()["referrer-policy"], "no-referrer");
        let page = refused.text().await.unwrap();
        assert!(page.contains("started in another browser"), "{page}");
        assert!(page.contains("press Connect again"), "{page}");
    }
    assert_eq!(
        app.token_calls("authorization_code"),
        0,
        "no code was exchanged"
    );
    let (_, status) = app.get("/api/connection", &app.clerk()).await;
    assert_eq!(status["state"], "disconnected");
    // The admin's own popup still finishes.
    let callback = app.auto_approved(&popup).await;
    let page = app.follow_callback(&callback, &popup).await;
    assert!(page.contains("\"ok\":true"), "{page}");
}

#[tokio::test]
async fn the_popups_link_opens_once_and_sets_a_strict_cookie() {
    let app = spawn_app().await;
    let link = app.start_connecting().await;
    let popup = app.open_popup(&link).await;
    let cookie = &popup.set_cookie;
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/auth/xero", "Max-Age=900"] {
        assert!(cookie.contains(attribute), "{attribute}: {cookie}");
    }
    // Plain http (a test's loopback): no Secure, or the browser would drop the cookie.
    assert!(!cookie.contains("Secure"), "{cookie}");
    let again = app.http.get(&link).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    assert_eq!(again.headers()["referrer-policy"], "no-referrer");
    assert!(again.headers().contains_key("content-security-policy"));
    let page = again.text().await.unwrap();
    assert!(page.contains("already opened or expired"), "{page}");
    for (path, status) in [
        ("/auth/xero/start?attempt=nope", StatusCode::NOT_FOUND),
        ("/auth/xero/start", StatusCode::BAD_REQUEST),
    ] {
        let answer = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(answer.status(), status, "{path}");
    }
}

#[tokio::test]
async fn a_reconnect_revokes_the_previous_grant_before_the_new_consent() {
    let app = spawn_app().await;
    app.connect_to(ACME_TENANT_ID).await;
    let revocations = || {
        app.sim
            .calls()
            .iter()
            .filter(|c| c.path == "/connect/revocation")
            .count()
    };
    assert_eq!(revocations(), 0);
    app.open_popup(&app.start_connecting().await).await;
    // Revoked at Xero before the admin is on Xero's page (Xero's revocation removes all of the
    // user's connections to the app, so after the new consent it would remove that one too).
    assert_eq!(revocations(), 1);
    let (_, status) = app.get("/api/connection", &app.clerk()).await;
    assert_eq!(status["state"], "reconnect_needed", "{status}");
    assert!(
        status["message"].as_str().unwrap().contains("reconnecting"),
        "{status}"
    );
    // Meanwhile nothing refreshes or uses the revoked grant, even when its access token is due.
    app.advance_minutes(29);
    let (code, body) = app.get("/api/reference", &app.clerk()).await;
    assert_eq!(code, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"], "reconnect_needed");
    assert_eq!(app.token_calls("refresh_token"), 0);
    // That popup's attempt has expired; the admin presses Connect again (nothing is left to
    // revoke), and the new consent's tokens are the ones in use.
    let popup = app.open_popup(&app.start_connecting().await).await;
    assert_eq!(revocations(), 1);
    let callback = app.auto_approved(&popup).await;
    let page = app.follow_callback(&callback, &popup).await;
    assert!(page.contains("\"ok\":true"), "{page}");
    app.choose_if_asked(ACME_TENANT_ID).await;
    let (_, status) = app.get("/api/connection", &app.clerk()).await;
    assert_eq!(status["state"], "connected", "{status}");
    let (code, body) = app.get("/api/reference", &app.clerk()).await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(revocations(), 1);
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
    let popup = app.open_popup(&app.start_connecting().await).await;
    let state = state_of(&popup.xero);
    let refused = app
        .callback(
            &app.url(&format!(
                "/auth/xero/callback?error=access_denied&state={state}"
            )),
            Some(&popup),
        )
        .await;
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
        .callback(
            &app.url(&format!("/auth/xero/callback?code=abc&state={state}")),
            Some(&popup),
        )
        .await;
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
    let link = app.start_connecting().await;
    app.restart_in_place().await;
    let popup = app.open_popup(&link).await;
    app.restart_in_place().await;
    let callback = app.auto_approved(&popup).await;
    let page = app.follow_callback(&callback, &popup).await;
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
    let popup = app.open_popup(&app.start_connecting().await).await;
    let callback = app.auto_approved(&popup).await;
    app.advance_minutes(16);
    let late = app.callback(&callback, Some(&popup)).await;
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
