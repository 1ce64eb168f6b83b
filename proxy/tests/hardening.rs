//! The proxy's limits and headers: per-caller rates, the refresh limit, the request timeout and
//! the cap on event streams (each a JSON 429 or 503 with Retry-After), single-use stream tickets
//! and streams that end with their caller token, security headers, and the database's mode.

mod common;

use std::time::Duration;

use common::exports::{export_all, gl, stream_ticket, wait_settled};
use common::{CALLER_SECRET, TestApp, simulator, spawn_app, spawn_configured};
use reqwest::{Method, StatusCode};
use srm_xero_proxy::auth::mint;
use srm_xero_proxy::config::Config;
use srm_xero_proxy::worker::WorkerSettings;
use srm_xero_tests::demo::org::ACME_TENANT_ID;
use srm_xero_tests::sim::{Fault, FaultKind};

async fn spawn_limited(edit: impl FnOnce(&mut Config)) -> TestApp {
    spawn_configured(simulator(), WorkerSettings::default(), edit).await
}

/// Asserts a JSON 429 that says to wait `seconds`; answers its message.
async fn assert_too_many(response: reqwest::Response, seconds: &str) -> String {
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(response.headers()["retry-after"], seconds);
    assert_eq!(response.headers()["content-type"], "application/json");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "rate_limited", "{body}");
    body["message"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_caller_over_the_rate_limit_gets_a_429_with_retry_after_and_others_do_not() {
    let app = spawn_limited(|c| c.limits.per_caller_per_minute = 3).await;
    let clerk = app.clerk();
    for _ in 0..3 {
        assert_eq!(app.get("/api/mapping", &clerk).await.0, StatusCode::OK);
    }
    let refused = app
        .http
        .get(app.url("/api/mapping"))
        .bearer_auth(&clerk)
        .send()
        .await
        .unwrap();
    // Three a minute: the next slot comes back 20 s after the first.
    let message = assert_too_many(refused, "20").await;
    assert!(message.contains("at most 3 a minute"), "{message}");
    // The rate is per caller (the token's sub): the admin is not held back.
    assert_eq!(
        app.get("/api/mapping", &app.admin()).await.0,
        StatusCode::OK
    );
    app.sim.clock().advance(Duration::from_secs(20));
    assert_eq!(app.get("/api/mapping", &clerk).await.0, StatusCode::OK);
}

#[tokio::test]
async fn reference_refreshes_are_limited_per_caller() {
    let app = spawn_limited(|c| c.limits.refreshes_per_minute = 1).await;
    app.connect_to(ACME_TENANT_ID).await;
    let refresh = || {
        app.http
            .post(app.url("/api/reference/refresh"))
            .bearer_auth(app.clerk())
            .send()
    };
    assert_eq!(refresh().await.unwrap().status(), StatusCode::OK);
    let message = assert_too_many(refresh().await.unwrap(), "60").await;
    assert!(message.contains("reference data refreshes"), "{message}");
    // Reading the cached data is not a refresh.
    assert_eq!(
        app.get("/api/reference", &app.clerk()).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_request_slower_than_the_timeout_is_answered_503_with_retry_after() {
    let app = spawn_limited(|c| c.limits.request_timeout = Duration::from_secs(1)).await;
    app.connect_to(ACME_TENANT_ID).await;
    // Xero takes 3 s (real time) to answer the first read of the refresh.
    app.sim
        .inject(Fault::next(1, FaultKind::Delay { ms: 3_000 }).only("GET"));
    let response = app
        .http
        .post(app.url("/api/reference/refresh"))
        .bearer_auth(app.clerk())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "1");
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"], "timeout", "{body}");
}

/// Opens the progress stream of `number` with a fresh ticket.
async fn open_stream(app: &TestApp, number: u64) -> reqwest::Response {
    let ticket = stream_ticket(app).await;
    app.http
        .get(app.url(&format!("/api/exports/{number}/events?ticket={ticket}")))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn event_streams_beyond_the_cap_get_a_429_and_a_closed_one_frees_its_place() {
    let app = spawn_limited(|c| c.limits.max_streams = 1).await;
    app.connect_to(ACME_TENANT_ID).await;
    let (number, _) = export_all(&app, &gl("GL-", 2)).await;
    let first = open_stream(&app, number).await;
    assert_eq!(first.status(), StatusCode::OK);
    let message = assert_too_many(open_stream(&app, number).await, "10").await;
    assert!(message.contains("streams are open"), "{message}");
    drop(first);
    // The server notices the closed connection at its next write: wait for the place.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        wait_settled(&app, number, false).await;
        let again = open_stream(&app, number).await;
        if again.status() == StatusCode::OK {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the place never came back"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_stream_ticket_opens_one_stream_within_thirty_seconds() {
    let app = spawn_app().await;
    app.connect_to(ACME_TENANT_ID).await;
    let (number, _) = export_all(&app, &gl("GL-", 2)).await;
    let (status, body) = app
        .call(Method::POST, "/api/stream-tickets", &app.clerk(), None)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let expires_at: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(body["expires_at"].clone()).unwrap();
    assert_eq!(expires_at, app.now() + chrono::Duration::seconds(30));
    let ticket = body["ticket"].as_str().unwrap().to_owned();
    let url = app.url(&format!("/api/exports/{number}/events?ticket={ticket}"));
    assert_eq!(
        app.http.get(&url).send().await.unwrap().status(),
        StatusCode::OK
    );
    let (status, body) = app
        .get(&format!("/api/exports/{number}/events?ticket={ticket}"), "")
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "a ticket is good once");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("unknown, used or expired")
    );
    let late = stream_ticket(&app).await;
    app.sim.clock().advance(Duration::from_secs(30));
    let (status, _) = app
        .get(&format!("/api/exports/{number}/events?ticket={late}"), "")
        .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a ticket is good for 30 s"
    );
    // Without the caller token nobody gets a ticket.
    let (status, _) = app
        .call(Method::POST, "/api/stream-tickets", "", None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_stream_ends_when_the_caller_token_that_opened_it_expires() {
    let app = spawn_app().await;
    app.connect_to(ACME_TENANT_ID).await;
    let (number, _) = export_all(&app, &gl("GL-", 2)).await;
    let mut short = app.claims("Casey Clerk", "xero:post", app.now());
    short.exp = app.now().timestamp() + 120;
    let (status, body) = app
        .call(
            Method::POST,
            "/api/stream-tickets",
            &mint(CALLER_SECRET, &short),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let ticket = body["ticket"].as_str().unwrap();
    let mut stream = app
        .http
        .get(app.url(&format!("/api/exports/{number}/events?ticket={ticket}")))
        .send()
        .await
        .unwrap();
    let first = stream.chunk().await.unwrap().unwrap();
    assert!(String::from_utf8_lossy(&first).starts_with("event: progress"));
    app.sim.clock().advance(Duration::from_secs(121));
    // The stream closes within a second or so; each chunk until then is a progress event.
    let ended = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(chunk) = stream.chunk().await.unwrap() {
            assert!(String::from_utf8_lossy(&chunk).contains("progress"));
        }
    })
    .await;
    assert!(ended.is_ok(), "the stream outlived its caller token");
}

#[tokio::test]
async fn every_answer_is_nosniff_and_the_callback_page_has_a_policy_and_no_referrer() {
    let app = spawn_app().await;
    for path in [
        "/health",
        "/embed.js",
        "/missing.js",
        "/api/mapping",
        "/api/openapi.json",
    ] {
        let response = app
            .http
            .get(app.url(path))
            .bearer_auth(app.clerk())
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.headers()["x-content-type-options"],
            "nosniff",
            "{path}"
        );
    }
    let callback = app
        .http
        .get(app.url("/auth/xero/callback?state=s&code=c"))
        .send()
        .await
        .unwrap();
    assert_eq!(callback.headers()["referrer-policy"], "no-referrer");
    assert_eq!(callback.headers()["x-content-type-options"], "nosniff");
    let policy = callback.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        policy.starts_with("default-src 'none'; script-src 'nonce-"),
        "{policy}"
    );
    let nonce = policy
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap()
        .to_owned();
    let page = callback.text().await.unwrap();
    assert!(
        page.contains(&format!("<script nonce=\"{nonce}\">")),
        "{page}"
    );
}

#[tokio::test]
async fn the_demo_page_has_a_content_security_policy_that_lets_the_component_run() {
    let app = spawn_limited(|c| c.demo = true).await;
    let page = app.http.get(app.url("/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let policy = page.headers()["content-security-policy"].to_str().unwrap();
    for directive in [
        "script-src 'self' 'wasm-unsafe-eval'",
        "connect-src 'self'",
        "frame-ancestors 'none'",
    ] {
        assert!(policy.contains(directive), "{directive}: {policy}");
    }
    // The page's token is for this proxy.
    let html = page.text().await.unwrap();
    let token = html
        .split("caller-token=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap();
    assert_eq!(app.get("/api/mapping", token).await.0, StatusCode::OK);
}

#[tokio::test]
async fn the_database_file_is_readable_by_the_proxys_user_only() {
    use std::os::unix::fs::PermissionsExt as _;
    let app = spawn_app().await;
    app.connect_to(ACME_TENANT_ID).await;
    for name in ["srm-xero.sqlite3", "srm-xero.sqlite3-wal"] {
        let mode = std::fs::metadata(app.data.path().join(name))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{name}");
    }
}
