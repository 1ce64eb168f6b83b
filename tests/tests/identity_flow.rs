//! The simulated login/identity service: consent, codes, PKCE, token lifetimes, rotation with a
//! grace period, revocation and connections — all time moved with the injectable clock.

mod common;

use std::time::Duration;

use common::{SCOPES, body_json, client, header, start, start_with};
use reqwest::StatusCode;
use serde_json::Value;
use srm_xero_tests::demo::org::{ACME_NAME, ACME_TENANT_ID, ACME_TEST_NAME, ACME_TEST_TENANT_ID};
use srm_xero_tests::openapi::{self, SpecFile};
use srm_xero_tests::sim::tokens::s256;
use srm_xero_tests::sim::{AppRegistration, Simulator};

const REDIRECT: &str = "http://127.0.0.1:8080/auth/xero/callback";
const VERIFIER: &str = "a-long-enough-pkce-code-verifier-0123456789abcdefghijkl";

fn authorize_url(base: &str, scope: &str, challenge: Option<&str>) -> String {
    let app = AppRegistration::default();
    let mut url = reqwest::Url::parse(&format!("{base}/identity/connect/authorize")).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &app.client_id)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("scope", scope)
        .append_pair("state", "st-123");
    if let Some(c) = challenge {
        url.query_pairs_mut()
            .append_pair("code_challenge", c)
            .append_pair("code_challenge_method", "S256");
    }
    url.to_string()
}

fn query_of(location: &str) -> Vec<(String, String)> {
    reqwest::Url::parse(location)
        .unwrap()
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn param(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
}

/// Runs the consent page as a person would: load it, keep both organisations ticked, press Allow.
async fn consent(base: &str, scope: &str, challenge: Option<&str>) -> Vec<(String, String)> {
    let http = client();
    let page = http
        .get(authorize_url(base, scope, challenge))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("Allow access"), "{html}");
    assert!(html.contains(ACME_NAME) && html.contains(ACME_TEST_NAME));
    let request = html
        .split("name=\"request\" value=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .expect("the form carries the request id");
    let answer = http
        .post(format!("{base}/identity/connect/consent"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(format!(
            "request={request}&tenant={ACME_TENANT_ID}&tenant={ACME_TEST_TENANT_ID}&decision=allow"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::SEE_OTHER);
    let location = header(&answer, "location").unwrap();
    assert!(location.starts_with(REDIRECT), "{location}");
    query_of(&location)
}

async fn token_call(base: &str, form: &[(&str, &str)]) -> reqwest::Response {
    let app = AppRegistration::default();
    client()
        .post(format!("{base}/connect/token"))
        .basic_auth(&app.client_id, Some(&app.client_secret))
        .form(form)
        .send()
        .await
        .unwrap()
}

async fn exchange(base: &str, code: &str, verifier: Option<&str>) -> reqwest::Response {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
    ];
    if let Some(v) = verifier {
        form.push(("code_verifier", v));
    }
    token_call(base, &form).await
}

async fn refresh(base: &str, token: &str) -> reqwest::Response {
    token_call(
        base,
        &[("grant_type", "refresh_token"), ("refresh_token", token)],
    )
    .await
}

#[tokio::test]
async fn the_consent_page_leads_to_a_code_that_pkce_exchanges_for_tokens_and_connections() {
    let t = start().await;
    let base = t.sim.urls().login;
    let pairs = consent(&base, SCOPES, Some(&s256(VERIFIER))).await;
    assert_eq!(param(&pairs, "state").as_deref(), Some("st-123"));
    let code = param(&pairs, "code").expect("a code");

    let answer = exchange(&base, &code, Some(VERIFIER)).await;
    assert_eq!(answer.status(), StatusCode::OK);
    let tokens = body_json(answer).await;
    assert_eq!(tokens["expires_in"], 1800);
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["scope"], SCOPES);
    let access = tokens["access_token"].as_str().unwrap();

    let connections = client()
        .get(format!("{}/connections", t.sim.urls().api))
        .bearer_auth(access)
        .send()
        .await
        .unwrap();
    assert_eq!(connections.status(), StatusCode::OK);
    let list = body_json(connections).await;
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["tenantName"].as_str().unwrap())
        .collect();
    assert_eq!(names, [ACME_NAME, ACME_TEST_NAME]);
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .all(|c| c["tenantType"] == "ORGANISATION")
    );

    if let Some(spec) = openapi::load_or_skip(SpecFile::Identity, "identity answers") {
        spec.check("AccessToken", &tokens).unwrap();
        spec.check_array_of("Connection", &list).unwrap();
    }
}

#[tokio::test]
async fn a_code_is_single_use_and_expires_after_five_minutes() {
    let t = start().await;
    let base = t.sim.urls().login;
    let code = param(&consent(&base, SCOPES, None).await, "code").unwrap();
    assert_eq!(exchange(&base, &code, None).await.status(), StatusCode::OK);
    let again = exchange(&base, &code, None).await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    assert_eq!(body_json(again).await["error"], "invalid_grant");

    let late = param(&consent(&base, SCOPES, None).await, "code").unwrap();
    t.sim.clock().advance(Duration::from_mins(5));
    assert_eq!(
        body_json(exchange(&base, &late, None).await).await["error"],
        "invalid_grant"
    );
}

#[tokio::test]
async fn a_wrong_pkce_verifier_or_missing_client_authentication_is_refused() {
    let t = start().await;
    let base = t.sim.urls().login;
    let code = param(&consent(&base, SCOPES, Some(&s256(VERIFIER))).await, "code").unwrap();
    let wrong = exchange(&base, &code, Some("not-the-verifier")).await;
    assert_eq!(body_json(wrong).await["error"], "invalid_grant");

    let anonymous = client()
        .post(format!("{base}/connect/token"))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", t.refresh.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(body_json(anonymous).await["error"], "invalid_client");
}

#[tokio::test]
async fn a_new_app_asking_for_broad_scopes_gets_invalid_scope_and_an_old_app_does_not() {
    let t = start().await;
    let broad = "offline_access accounting.transactions accounting.settings.read";
    let answer = client()
        .get(authorize_url(&t.sim.urls().login, broad, None))
        .send()
        .await
        .unwrap();
    let location = header(&answer, "location").expect("redirected with an error");
    assert_eq!(
        param(&query_of(&location), "error").as_deref(),
        Some("invalid_scope")
    );

    let old =
        start_with(Simulator::new().app(AppRegistration::default().with_broad_scopes())).await;
    let page = client()
        .get(authorize_url(&old.sim.urls().login, broad, None))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_unregistered_redirect_uri_is_shown_an_error_and_never_redirected_to() {
    let t = start().await;
    let url = authorize_url(&t.sim.urls().login, SCOPES, None).replace("8080", "9999");
    let answer = client().get(url).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    assert!(header(&answer, "location").is_none());
}

#[tokio::test]
async fn auto_approve_skips_the_page_and_connects_every_organisation() {
    let t = start_with(Simulator::new().auto_approve(true)).await;
    let answer = client()
        .get(authorize_url(&t.sim.urls().login, SCOPES, None))
        .send()
        .await
        .unwrap();
    let code = param(&query_of(&header(&answer, "location").unwrap()), "code").unwrap();
    assert_eq!(
        exchange(&t.sim.urls().login, &code, None).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_access_token_expires_after_thirty_minutes_with_xeros_token_expired_body() {
    let t = start().await;
    assert_eq!(t.get("/Organisation").await.status(), StatusCode::OK);
    t.sim.clock().advance(Duration::from_mins(30));
    let answer = t.get("/Organisation").await;
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    let body = body_json(answer).await;
    assert_eq!(body["Title"], "Unauthorized");
    assert_eq!(
        body["Detail"],
        "TokenExpired: token expired at 08/20/2019 09:30:00"
    );
}

#[tokio::test]
async fn refresh_rotates_and_the_old_token_is_honoured_for_thirty_minutes_then_invalid_grant() {
    let t = start().await;
    let base = t.sim.urls().identity;
    let first = body_json(refresh(&base, &t.refresh).await).await;
    let second_refresh = first["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(second_refresh, t.refresh, "the refresh token rotates");
    if let Some(spec) = openapi::load_or_skip(SpecFile::Identity, "refresh answer") {
        spec.check("AccessToken", &first).unwrap();
    }

    t.sim.clock().advance(Duration::from_mins(29));
    assert_eq!(
        refresh(&base, &t.refresh).await.status(),
        StatusCode::OK,
        "inside the grace period"
    );
    t.sim.clock().advance(Duration::from_mins(1));
    let late = refresh(&base, &t.refresh).await;
    assert_eq!(late.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        body_json(late).await,
        serde_json::json!({"error": "invalid_grant"})
    );
    assert_eq!(
        refresh(&base, &second_refresh).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_refresh_token_unused_for_sixty_days_expires() {
    let t = start().await;
    t.sim
        .clock()
        .advance(Duration::from_secs(60 * 24 * 60 * 60 - 1));
    let fresh = body_json(refresh(&t.sim.urls().identity, &t.refresh).await).await;
    let next = fresh["refresh_token"].as_str().unwrap().to_owned();
    t.sim.clock().advance(Duration::from_hours(60 * 24));
    let answer = refresh(&t.sim.urls().identity, &next).await;
    assert_eq!(body_json(answer).await["error"], "invalid_grant");
}

#[tokio::test]
async fn revocation_ends_the_token_set_and_every_connection() {
    let t = start().await;
    let app = AppRegistration::default();
    let answer = client()
        .post(format!("{}/connect/revocation", t.sim.urls().identity))
        .basic_auth(&app.client_id, Some(&app.client_secret))
        .form(&[("token", t.refresh.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(
        t.get("/Organisation").await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        body_json(refresh(&t.sim.urls().identity, &t.refresh).await).await["error"],
        "invalid_grant"
    );
    let fresh = t.sim.issue_tokens(SCOPES, &[]);
    let list = client()
        .get(format!("{}/connections", t.sim.urls().api))
        .bearer_auth(&fresh.access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(body_json(list).await, Value::Array(vec![]));
}

#[tokio::test]
async fn a_deleted_connection_makes_its_tenant_forbidden_and_a_missing_scope_is_unauthorized() {
    let t = start().await;
    let list = body_json(
        client()
            .get(format!("{}/connections", t.sim.urls().api))
            .bearer_auth(&t.token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let id = list[0]["id"].as_str().unwrap();
    let deleted = client()
        .delete(format!("{}/connections/{id}", t.sim.urls().api))
        .bearer_auth(&t.token)
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    let answer = t.get("/Organisation").await;
    assert_eq!(answer.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        body_json(answer).await["Detail"],
        "AuthenticationUnsuccessful"
    );

    let narrow = t
        .sim
        .issue_tokens("offline_access accounting.settings.read", &[ACME_TENANT_ID]);
    let answer = client()
        .get(t.url("/ManualJournals"))
        .bearer_auth(&narrow.access_token)
        .header("xero-tenant-id", ACME_TENANT_ID)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        body_json(answer).await["Detail"],
        "AuthorizationUnsuccessful"
    );
}
