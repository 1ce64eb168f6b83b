//! The simulator's consent page in a real headless Chromium: a person presses "Allow access" and
//! Xero's redirect brings a code that exchanges for tokens reaching both demo organisations.
//! (Also proves the end-to-end browser harness itself.)

use axum::Router;
use axum::response::Html;
use axum::routing::get;
use reqwest::StatusCode;
use serde_json::Value;
use srm_xero_tests::browser::Browser;
use srm_xero_tests::consent;
use srm_xero_tests::demo::org::{ACME_NAME, ACME_TENANT_ID, ACME_TEST_TENANT_ID};
use srm_xero_tests::sim::tokens::s256;
use srm_xero_tests::sim::{AppRegistration, Simulator};

const VERIFIER: &str = "a-browser-pkce-code-verifier-0123456789abcdefghijklmnop";

/// A stand-in for the proxy's callback: a page that says the redirect arrived.
async fn callback_receiver() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/auth/xero/callback",
        listener.local_addr().unwrap()
    );
    let app = Router::new().route(
        "/auth/xero/callback",
        get(|| async { Html("<h1 id=\"received\">Connected</h1>") }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test(flavor = "multi_thread")]
async fn a_person_allows_access_on_the_consent_page_and_the_code_exchanges_for_tokens() {
    let redirect = callback_receiver().await;
    let app = AppRegistration {
        redirect_uris: vec![redirect.clone()],
        ..AppRegistration::default()
    };
    let sim = Simulator::new().app(app.clone()).start().await.unwrap();
    let mut authorize =
        reqwest::Url::parse(&format!("{}/identity/connect/authorize", sim.urls().login)).unwrap();
    authorize
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &app.client_id)
        .append_pair("redirect_uri", &redirect)
        .append_pair(
            "scope",
            "offline_access accounting.manualjournals accounting.settings.read",
        )
        .append_pair("state", "browser-state")
        .append_pair("code_challenge", &s256(VERIFIER))
        .append_pair("code_challenge_method", "S256");
    let identity = sim.urls().identity;
    let api = sim.urls().api;

    Browser::launch()
        .await
        .run("consent_allow_access", move |browser| async move {
            browser.open(authorize.as_str()).await;
            consent::allow_access(&browser, ACME_NAME).await;
            let landed = browser
                .wait_for_url("the callback", |url| url.starts_with(&redirect))
                .await;
            assert_eq!(
                browser.wait_for("#received").await.text().await.unwrap(),
                "Connected"
            );

            let query: Vec<(String, String)> = reqwest::Url::parse(&landed)
                .unwrap()
                .query_pairs()
                .map(|(k, v)| (k.into(), v.into()))
                .collect();
            let value = |name: &str| {
                query
                    .iter()
                    .find(|(k, _)| k == name)
                    .map(|(_, v)| v.clone())
            };
            assert_eq!(value("state").as_deref(), Some("browser-state"));
            let code = value("code").expect("the redirect carries a code");

            let http = reqwest::Client::new();
            let tokens: Value = http
                .post(format!("{identity}/connect/token"))
                .basic_auth(&app.client_id, Some(&app.client_secret))
                .form(&[
                    ("grant_type", "authorization_code"),
                    ("code", code.as_str()),
                    ("redirect_uri", redirect.as_str()),
                    ("code_verifier", VERIFIER),
                ])
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let access = tokens["access_token"].as_str().expect("an access token");
            assert!(tokens["refresh_token"].is_string(), "{tokens}");
            let connections = http
                .get(format!("{api}/connections"))
                .bearer_auth(access)
                .send()
                .await
                .unwrap();
            assert_eq!(connections.status(), StatusCode::OK);
            let connections: Value = connections.json().await.unwrap();
            let tenants: Vec<&str> = connections
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|c| c["tenantId"].as_str())
                .collect();
            assert!(
                tenants.contains(&ACME_TENANT_ID) && tenants.contains(&ACME_TEST_TENANT_ID),
                "{connections}"
            );
        })
        .await;
}
