//! Who may call: every caller-token failure mode (signature, algorithm, audience, issue time,
//! lifetime, leeway), scopes, CORS, body limits and bad bodies, and bad settings at start-up.

mod common;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::{ALLOWED_ORIGIN, BODY_LIMIT, CALLER_SECRET, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::json;
use srm_xero_proxy::auth::{Claims, mint};

/// Claims for Robin, issued a minute ago, expiring `exp_offset` seconds from now.
fn claims(app: &common::TestApp, exp_offset: i64, scope: &str) -> Claims {
    let mut claims = app.claims("Robin", scope, app.now() - chrono::Duration::minutes(1));
    claims.exp = app.now().timestamp() + exp_offset;
    claims
}

/// Robin's claims as JSON, to drop or change any of them before signing.
fn claims_json(app: &common::TestApp) -> serde_json::Value {
    serde_json::to_value(claims(app, 600, "xero:post")).unwrap()
}

/// Signs any JSON payload with the proxy's caller secret.
fn signed(payload: &serde_json::Value) -> String {
    use hmac::Mac as _;
    let signing = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"HS256","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(payload.to_string())
    );
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(CALLER_SECRET.as_bytes()).unwrap();
    mac.update(signing.as_bytes());
    format!(
        "{signing}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

fn without(app: &common::TestApp, claim: &str) -> String {
    let mut payload = claims_json(app);
    payload.as_object_mut().unwrap().remove(claim);
    signed(&payload)
}

fn with(app: &common::TestApp, change: impl FnOnce(&mut Claims)) -> String {
    let mut claims = claims(app, 600, "xero:post");
    change(&mut claims);
    mint(CALLER_SECRET, &claims)
}

fn unsigned(header: &str, claims: &Claims, signature: &str) -> String {
    format!(
        "{}.{}.{signature}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap())
    )
}

fn hs512(claims: &Claims) -> String {
    use hmac::Mac as _;
    let signing = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"HS512","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(claims).unwrap())
    );
    let mut mac = hmac::Hmac::<sha2::Sha512>::new_from_slice(CALLER_SECRET.as_bytes()).unwrap();
    mac.update(signing.as_bytes());
    format!(
        "{signing}.{}",
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    )
}

/// Every way a token is refused: (what, token, status, words the message holds).
fn refusals(app: &common::TestApp) -> Vec<(&'static str, String, StatusCode, &'static str)> {
    let good = claims(app, 600, "xero:post");
    vec![
        (
            "missing",
            String::new(),
            StatusCode::UNAUTHORIZED,
            "required",
        ),
        (
            "expired",
            mint(CALLER_SECRET, &claims(app, -61, "xero:post")),
            StatusCode::UNAUTHORIZED,
            "expired",
        ),
        (
            "wrong signature",
            mint("another-secret-of-sufficient-length!", &good),
            StatusCode::UNAUTHORIZED,
            "signature",
        ),
        (
            "alg none",
            unsigned(r#"{"alg":"none"}"#, &good, ""),
            StatusCode::UNAUTHORIZED,
            "HS256",
        ),
        ("alg HS512", hs512(&good), StatusCode::UNAUTHORIZED, "HS256"),
        (
            "garbage",
            "not.a.jwt".into(),
            StatusCode::UNAUTHORIZED,
            "malformed",
        ),
        (
            "no xero:post",
            mint(CALLER_SECRET, &claims(app, 600, "xero:admin other")),
            StatusCode::FORBIDDEN,
            "xero:post",
        ),
        (
            "no aud",
            without(app, "aud"),
            StatusCode::UNAUTHORIZED,
            "no aud claim",
        ),
        (
            "another proxy's aud",
            with(app, |c| {
                c.aud = "https://xero-proxy.other-tenant.example".into();
            }),
            StatusCode::UNAUTHORIZED,
            "for another proxy",
        ),
        (
            "no iat",
            without(app, "iat"),
            StatusCode::UNAUTHORIZED,
            "no iat claim",
        ),
        (
            "a lifetime over 12 hours",
            with(app, |c| c.exp = c.iat + 12 * 3600 + 1),
            StatusCode::UNAUTHORIZED,
            "at most 43200 s",
        ),
        (
            "issued in the future beyond the leeway",
            with(app, |c| {
                c.iat = app.now().timestamp() + 61;
                c.exp = c.iat + 600;
            }),
            StatusCode::UNAUTHORIZED,
            "its iat is in the future",
        ),
        (
            "not before, beyond the leeway",
            with(app, |c| c.nbf = Some(app.now().timestamp() + 61)),
            StatusCode::UNAUTHORIZED,
            "its nbf is in the future",
        ),
        (
            "expired beyond the leeway",
            with(app, |c| c.exp = app.now().timestamp() - 60),
            StatusCode::UNAUTHORIZED,
            "expired",
        ),
    ]
}

#[tokio::test]
async fn every_caller_token_failure_is_refused_with_its_own_reason() {
    let app = spawn_app().await;
    for (what, token, status, words) in refusals(&app) {
        let mut request = app.http.get(app.url("/api/mapping"));
        if !token.is_empty() {
            request = request.bearer_auth(&token);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), status, "{what}");
        let body: serde_json::Value = response.json().await.unwrap();
        let expected = if status == StatusCode::FORBIDDEN {
            "forbidden"
        } else {
            "unauthorized"
        };
        assert_eq!(body["error"], expected, "{what}: {body}");
        assert!(
            body["message"].as_str().unwrap().contains(words),
            "{what}: {body}"
        );
    }
    let good = mint(CALLER_SECRET, &claims(&app, 600, "xero:post"));
    let (status, _) = app.get("/api/mapping", &good).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn the_clock_leeway_of_sixty_seconds_is_honoured_on_exp_iat_and_nbf() {
    let app = spawn_app().await;
    let now = app.now().timestamp();
    for (what, token) in [
        ("expired 59 s ago", with(&app, |c| c.exp = now - 59)),
        (
            "issued 60 s ahead (SRM's clock is fast)",
            with(&app, |c| {
                c.iat = now + 60;
                c.exp = now + 600;
            }),
        ),
        (
            "not before 60 s from now",
            with(&app, |c| c.nbf = Some(now + 60)),
        ),
        (
            "exactly the longest lifetime",
            with(&app, |c| c.exp = c.iat + 12 * 3600),
        ),
        (
            "aud with a trailing slash",
            with(&app, |c| c.aud = format!("{}/", app.public_url())),
        ),
    ] {
        let (status, body) = app.get("/api/mapping", &token).await;
        assert_eq!(status, StatusCode::OK, "{what}: {body}");
    }
}

#[tokio::test]
async fn a_token_for_the_public_url_is_refused_by_a_proxy_at_another_url() {
    // Two proxies sharing one secret by mistake: a token minted for the first is no use on the
    // second, whose public URL differs.
    let first = spawn_app().await;
    let second = spawn_app().await;
    let token = first.clerk();
    assert_eq!(first.get("/api/mapping", &token).await.0, StatusCode::OK);
    let (status, body) = second.get("/api/mapping", &token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains(&format!("its aud must be {}", second.public_url())),
        "{body}"
    );
}

#[tokio::test]
async fn connecting_disconnecting_and_changing_the_mapping_need_xero_admin() {
    let app = spawn_app().await;
    let clerk = app.clerk();
    for (method, path) in [
        (Method::POST, "/api/connection/start"),
        (Method::DELETE, "/api/connection"),
        (Method::POST, "/api/connection/organisation"),
        (Method::PUT, "/api/mapping"),
    ] {
        let (status, body) = app
            .call(method.clone(), path, &clerk, Some(json!({})))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {body}");
        assert!(body["message"].as_str().unwrap().contains("xero:admin"));
    }
}

#[tokio::test]
async fn cors_answers_the_allowed_origin_only() {
    let app = spawn_app().await;
    let preflight = |origin: &str| {
        app.http
            .request(Method::OPTIONS, app.url("/api/mapping"))
            .header("origin", origin)
            .header("access-control-request-method", "PUT")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
            .send()
    };
    let allowed = preflight(ALLOWED_ORIGIN).await.unwrap();
    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        ALLOWED_ORIGIN
    );
    let methods = allowed.headers()["access-control-allow-methods"]
        .to_str()
        .unwrap();
    assert!(methods.contains("PUT"), "{methods}");
    let refused = preflight("https://evil.example").await.unwrap();
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    let simple = app
        .http
        .get(app.url("/api/mapping"))
        .bearer_auth(app.clerk())
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert!(
        simple
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    // The page's own requests (no preflight) are answered for its origin.
    let from_srm = app
        .http
        .get(app.url("/api/mapping"))
        .bearer_auth(app.clerk())
        .header("origin", ALLOWED_ORIGIN)
        .send()
        .await
        .unwrap();
    assert_eq!(from_srm.status(), StatusCode::OK);
    assert_eq!(
        from_srm.headers()["access-control-allow-origin"],
        ALLOWED_ORIGIN
    );
}

#[tokio::test]
async fn bodies_too_large_malformed_or_invalid_get_413_400_and_422_in_one_format() {
    let app = spawn_app().await;
    let put = |body: Vec<u8>| {
        app.http
            .put(app.url("/api/mapping"))
            .bearer_auth(app.admin())
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let big = format!(
        "{{\"version\":0,\"settings\":{{\"narration_template\":\"{}\"}}}}",
        "x".repeat(BODY_LIMIT)
    );
    let cases = [
        (
            big.into_bytes(),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
        (
            b"{\"version\": 0, \"settings\": ".to_vec(),
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            br#"{"version": 0, "settings": {"no_such_setting": 1}}"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            br#"{"version": "one", "settings": {}}"#.to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
    ];
    for (body, status, code) in cases {
        let response = put(body).await.unwrap();
        assert_eq!(response.status(), status);
        let error: srm_xero_shared::api::ApiError = response.json().await.unwrap();
        assert_eq!(error.error, code);
        assert!(error.message.len() > 10, "{}", error.message);
    }
    let (status, body) = app.get("/api/no-such-thing", &app.clerk()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "not_found");
}

#[tokio::test]
async fn a_path_a_query_a_method_or_an_array_that_does_not_fit_is_a_json_error_too() {
    let app = spawn_app().await;
    for (method, path, body, status, code) in [
        (
            Method::GET,
            "/api/exports/twelve",
            None,
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            Method::GET,
            "/api/exports?to=2019-13",
            None,
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            Method::GET,
            "/api/exports?number=-1",
            None,
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            Method::GET,
            "/api/exports?number=9223372036854775808",
            None,
            StatusCode::BAD_REQUEST,
            "bad_request",
        ),
        (
            Method::PATCH,
            "/api/mapping",
            None,
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        (
            Method::PUT,
            "/api/mapping",
            Some(json!({"version": 0, "settings": {"tracking": [null, null]}})),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
    ] {
        let mut request = app
            .http
            .request(method.clone(), app.url(path))
            .bearer_auth(app.admin());
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), status, "{method} {path}");
        if status == StatusCode::METHOD_NOT_ALLOWED {
            assert_eq!(response.headers()["allow"], "GET,HEAD,PUT", "{path}");
        }
        assert_eq!(
            response.headers()["content-type"],
            "application/json",
            "{method} {path}"
        );
        let error: srm_xero_shared::api::ApiError = response.json().await.unwrap();
        assert_eq!(error.error, code, "{method} {path}: {}", error.message);
        assert!(error.message.len() > 10, "{}", error.message);
    }
    // A version written 0.0 is the whole number 0 (JSON Schema counts it an integer): the change
    // is read, and refused only because no organisation is connected to check it against.
    let (status, body) = app
        .call(
            Method::PUT,
            "/api/mapping",
            &app.admin(),
            Some(json!({"version": 0.0, "settings": {}})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["error"], "not_connected", "{body}");
}

#[tokio::test]
async fn answers_carry_a_request_id() {
    let app = spawn_app().await;
    let response = app.http.get(app.url("/health")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(!response.headers()["x-request-id"].is_empty());
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "ok");
}

fn run_proxy(envs: &[(&str, &str)]) -> std::process::Output {
    run_proxy_with(envs, &[])
}

/// The proxy's binary with only these settings, and these flags; it must stop by itself.
fn run_proxy_with(envs: &[(&str, &str)], args: &[&str]) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_srm-xero-proxy"));
    for (key, _) in std::env::vars() {
        if key.starts_with("SRM_XERO_") || key.starts_with("XERO_") {
            command.env_remove(key);
        }
    }
    command
        .envs(envs.iter().copied())
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn demo_mode_refuses_real_xero_urls_and_a_bind_beyond_loopback() {
    let data = tempfile::tempdir().unwrap();
    let data = data.path().to_str().unwrap();
    let demo = [("SRM_XERO_DEMO", "true"), ("SRM_XERO_DATA_DIR", data)];
    let cases: [(&[(&str, &str)], &str); 2] = [
        (
            &[("SRM_XERO_BIND", "127.0.0.1:0")],
            "srm-xero-proxy: XERO_LOGIN_URL: demo mode talks to a simulated Xero on this machine, not \"login.xero.com\" (cargo xtask demo starts one)",
        ),
        (
            &[
                ("SRM_XERO_BIND", "0.0.0.0:0"),
                ("XERO_LOGIN_URL", "http://127.0.0.1:9"),
                ("XERO_IDENTITY_URL", "http://127.0.0.1:9"),
                ("XERO_API_URL", "http://localhost:9"),
            ],
            "srm-xero-proxy: SRM_XERO_BIND: demo mode listens on loopback only (127.0.0.1 or ::1), not 0.0.0.0",
        ),
    ];
    for (extra, line) in cases {
        let mut envs = demo.to_vec();
        envs.extend_from_slice(extra);
        let output = run_proxy(&envs);
        assert!(!output.status.success(), "{line}");
        assert_eq!(String::from_utf8(output.stderr).unwrap().trim_end(), line);
    }
    // Nothing was created: the refusal comes before the database.
    assert!(std::fs::read_dir(data).unwrap().next().is_none());
}

#[test]
fn a_secret_given_as_a_flag_works_with_a_warning_that_never_shows_it() {
    let secret = "flag-secret-0123456789abcdef0123456789";
    let output = run_proxy_with(
        &[("SRM_XERO_BIND", "localhost")],
        &[
            "--caller-secret",
            secret,
            "--xero-client-secret",
            "also-secret-value",
        ],
    );
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8(output.stderr).unwrap();
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 3, "{stderr}");
    for (line, flag) in lines
        .iter()
        .zip(["--caller-secret", "--xero-client-secret"])
    {
        assert!(
            line.starts_with(&format!(
                "srm-xero-proxy: warning: {flag} was given on the command line"
            )),
            "{line}"
        );
        assert!(
            line.contains("set its environment variable instead"),
            "{line}"
        );
    }
    assert!(
        lines[2].starts_with("srm-xero-proxy: SRM_XERO_BIND: "),
        "{stderr}"
    );
    assert!(
        !stderr.contains(secret) && !stderr.contains("also-secret-value"),
        "{stderr}"
    );
}

#[test]
fn a_bad_setting_stops_start_up_with_one_line_naming_it() {
    let good = [
        ("SRM_XERO_BIND", "127.0.0.1:0"),
        ("SRM_XERO_CALLER_SECRET", "0123456789abcdef0123456789abcdef"),
        (
            "SRM_XERO_TOKEN_KEY",
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        ),
        ("XERO_CLIENT_ID", "client"),
        ("XERO_CLIENT_SECRET", "a-client-secret-value"),
    ];
    let cases = [
        (
            "SRM_XERO_TOKEN_KEY",
            "c2hvcnQ=",
            "srm-xero-proxy: SRM_XERO_TOKEN_KEY: must be 32 bytes of base64",
        ),
        (
            "SRM_XERO_BIND",
            "localhost",
            "srm-xero-proxy: SRM_XERO_BIND: \"localhost\" is not an IP address and port such as 127.0.0.1:8080",
        ),
        (
            "XERO_CLIENT_SECRET",
            "",
            "srm-xero-proxy: XERO_CLIENT_SECRET: required (outside demo mode)",
        ),
        (
            "XERO_API_URL",
            "not a url",
            "srm-xero-proxy: XERO_API_URL: \"not a url\" is not a URL such as https://host",
        ),
    ];
    for (name, value, line) in cases {
        let mut envs: Vec<(&str, &str)> =
            good.iter().copied().filter(|(k, _)| *k != name).collect();
        envs.push((name, value));
        let output = run_proxy(&envs);
        assert_eq!(output.status.code(), Some(2), "{name}");
        let stderr = String::from_utf8(output.stderr).unwrap();
        assert_eq!(stderr.trim_end(), line, "{name}");
        assert_eq!(stderr.lines().count(), 1);
        assert!(!stderr.contains("0123456789abcdef"));
    }
}

#[test]
fn help_explains_every_setting() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_srm-xero-proxy"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    for name in [
        "SRM_XERO_BIND",
        "SRM_XERO_DATA_DIR",
        "SRM_XERO_PUBLIC_URL",
        "SRM_XERO_ALLOWED_ORIGINS",
        "SRM_XERO_CALLER_SECRET",
        "SRM_XERO_TOKEN_KEY",
        "XERO_CLIENT_ID",
        "XERO_CLIENT_SECRET",
        "XERO_SCOPES",
        "XERO_LOGIN_URL",
        "XERO_IDENTITY_URL",
        "XERO_API_URL",
        "SRM_XERO_DEMO",
        "SRM_XERO_TOKEN_MAX_LIFETIME",
        "SRM_XERO_TOKEN_LEEWAY",
        "SRM_XERO_RATE_LIMIT",
        "SRM_XERO_REFRESH_LIMIT",
        "SRM_XERO_REQUEST_TIMEOUT",
        "SRM_XERO_MAX_STREAMS",
    ] {
        assert!(help.contains(name), "{name} missing from --help");
    }
}
