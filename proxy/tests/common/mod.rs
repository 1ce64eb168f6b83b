//! `spawn_app()`: the proxy against an in-process Xero simulator, with typed helpers.
#![allow(dead_code)]

pub mod exports;
pub mod feed;
pub mod receivers;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use srm_xero_proxy::auth::{Claims, mint};
use srm_xero_proxy::config::{Config, DEFAULT_SCOPES, Limits, TokenKey, TokenRules, XeroSettings};
use srm_xero_proxy::{App, Options};
use srm_xero_tests::sim::{AppRegistration, SimClock, SimHandle, Simulator};
use tempfile::TempDir;

pub const CALLER_SECRET: &str = "test-caller-secret-0123456789abcdef";
pub const CLIENT_SECRET: &str = "sim-client-secret-for-the-proxy";
pub const ALLOWED_ORIGIN: &str = "https://acme.srm.example";
/// The proxy's own default: no test runs with a body limit a deployment does not have.
pub const BODY_LIMIT: usize = srm_xero_proxy::config::DEFAULT_BODY_LIMIT;
pub const ADMIN_NAME: &str = "Alex Admin";
pub const CLERK_NAME: &str = "Casey Clerk";

pub fn start_time() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2019-08-20T09:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

/// The admin's consent popup once it opened the proxy's link.
#[derive(Debug, Clone)]
pub struct Popup {
    /// Xero's consent page, where the proxy sent the popup.
    pub xero: String,
    /// `name=value` of the attempt's cookie, as the browser sends it back.
    pub cookie: String,
    /// The whole `Set-Cookie` header.
    pub set_cookie: String,
}

/// A running proxy, its simulator and its data folder.
pub struct TestApp {
    pub worker: srm_xero_proxy::worker::WorkerSettings,
    /// The unattended close's settings, kept for restarts.
    pub close: srm_xero_proxy::config::CloseSettings,
    pub app: Option<App>,
    /// The URL of a proxy running in another process (the benchmark's), used instead of `app`.
    pub remote: Option<String>,
    pub sim: SimHandle,
    pub data: TempDir,
    pub dist: TempDir,
    pub http: reqwest::Client,
}

/// The simulator, as most tests want it.
pub fn simulator() -> Simulator {
    Simulator::new()
        .clock(SimClock::fixed(start_time()))
        .auto_approve(true)
}

pub async fn spawn_app() -> TestApp {
    spawn_with(simulator()).await
}

pub async fn spawn_with(sim: Simulator) -> TestApp {
    spawn_with_worker(sim, srm_xero_proxy::worker::WorkerSettings::default()).await
}

/// [`spawn_with`] and these worker settings (kept for restarts).
pub async fn spawn_with_worker(
    sim: Simulator,
    worker: srm_xero_proxy::worker::WorkerSettings,
) -> TestApp {
    spawn_configured(sim, worker, |_| {}).await
}

/// [`spawn_with_worker`], with the settings changed by `edit` first (a restart forgets them).
pub async fn spawn_configured(
    sim: Simulator,
    worker: srm_xero_proxy::worker::WorkerSettings,
    edit: impl FnOnce(&mut Config),
) -> TestApp {
    let data = tempfile::tempdir().unwrap();
    let dist = tempfile::tempdir().unwrap();
    std::fs::write(
        dist.path().join("embed.js"),
        "customElements.define('srm-xero-post-journals', class extends HTMLElement {});",
    )
    .unwrap();
    std::fs::write(
        dist.path().join("srm-xero-frontend.js"),
        "export default function init() {}",
    )
    .unwrap();
    std::fs::write(
        dist.path().join("srm-xero-frontend_bg.wasm"),
        b"\0asm\x01\0\0\0",
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let sim = sim
        .app(AppRegistration {
            client_secret: CLIENT_SECRET.into(),
            redirect_uris: vec![format!("http://{addr}/auth/xero/callback")],
            ..AppRegistration::default()
        })
        .start()
        .await
        .unwrap();
    let mut settings = config(&sim, data.path(), dist.path());
    edit(&mut settings);
    let close = settings.close.clone();
    let app = srm_xero_proxy::serve_on(listener, settings, options(&sim, worker)).unwrap();
    TestApp {
        worker,
        close,
        app: Some(app),
        remote: None,
        sim,
        data,
        dist,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
    }
}

pub fn config(sim: &SimHandle, data: &Path, dist: &Path) -> Config {
    let urls = sim.urls();
    Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        data_dir: data.to_path_buf(),
        public_url: None,
        allowed_origins: vec![ALLOWED_ORIGIN.to_owned()],
        caller_secret: CALLER_SECRET.into(),
        token_key: TokenKey::new([42; 32]),
        xero: XeroSettings {
            client_id: sim.app().client_id,
            client_secret: CLIENT_SECRET.into(),
            scopes: DEFAULT_SCOPES.split(' ').map(String::from).collect(),
            login_url: urls.login,
            identity_url: urls.identity,
            api_url: urls.api,
        },
        dist_dir: dist.to_path_buf(),
        body_limit: BODY_LIMIT,
        tokens: TokenRules::default(),
        limits: test_limits(),
        idempotency_key_life: None,
        close: srm_xero_proxy::config::CloseSettings::default(),
        demo: false,
    }
}

/// The default limits, but a rate no test's polling (every 10 ms, on a clock that may stand
/// still) can reach; the rate limit has its own test.
pub fn test_limits() -> Limits {
    Limits {
        per_caller_per_minute: 1_000_000,
        refreshes_per_minute: 1_000,
        ..Limits::default()
    }
}

fn options(sim: &SimHandle, worker: srm_xero_proxy::worker::WorkerSettings) -> Options {
    let clock = sim.clock();
    Options {
        clock: Arc::new(move || clock.now()),
        maintenance_every: None,
        worker,
        ..Options::default()
    }
}

pub fn start_proxy(
    listener: tokio::net::TcpListener,
    sim: &SimHandle,
    data: &Path,
    dist: &Path,
) -> App {
    start_proxy_with(
        listener,
        sim,
        data,
        dist,
        srm_xero_proxy::worker::WorkerSettings::default(),
    )
}

pub fn start_proxy_with(
    listener: tokio::net::TcpListener,
    sim: &SimHandle,
    data: &Path,
    dist: &Path,
    worker: srm_xero_proxy::worker::WorkerSettings,
) -> App {
    srm_xero_proxy::serve_on(listener, config(sim, data, dist), options(sim, worker)).unwrap()
}

impl TestApp {
    pub fn app(&self) -> &App {
        self.app.as_ref().unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        match &self.remote {
            Some(base) => format!("{base}{path}"),
            None => format!("{}{path}", self.app().url()),
        }
    }

    /// Stops the proxy and starts a new one on the same data folder (and the same close).
    pub async fn restart(&mut self) {
        self.restart_on("127.0.0.1:0").await;
    }

    /// Restarts on the same address, as a deployed proxy would be: its redirect URI stays.
    pub async fn restart_in_place(&mut self) {
        let address = self.app().url().trim_start_matches("http://").to_owned();
        self.restart_on(&address).await;
    }

    /// Stops the proxy, lets `downtime` pass on the shared clock, and starts it again.
    pub async fn restart_after(&mut self, downtime: std::time::Duration) {
        self.app.take().unwrap().shutdown().await.unwrap();
        self.sim.clock().advance(downtime);
        self.start_on("127.0.0.1:0").await;
    }

    async fn restart_on(&mut self, address: &str) {
        self.app.take().unwrap().shutdown().await.unwrap();
        self.start_on(address).await;
    }

    async fn start_on(&mut self, address: &str) {
        let listener = tokio::net::TcpListener::bind(address).await.unwrap();
        let mut settings = config(&self.sim, self.data.path(), self.dist.path());
        settings.close = self.close.clone();
        self.app = Some(
            srm_xero_proxy::serve_on(listener, settings, options(&self.sim, self.worker)).unwrap(),
        );
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.sim.clock().now()
    }

    pub fn advance_minutes(&self, minutes: u64) {
        self.sim
            .clock()
            .advance(std::time::Duration::from_secs(minutes * 60));
    }

    /// The proxy's public URL: what caller tokens name as their audience.
    pub fn public_url(&self) -> String {
        self.url("")
    }

    /// A token for `name`, issued now by the shared clock, good for the longest lifetime the
    /// proxy accepts (tests move the clock by weeks: those that do mint again after).
    pub fn token(&self, name: &str, scope: &str) -> String {
        self.token_at(name, scope, self.now())
    }

    /// A token issued at `iat`, living the longest lifetime the proxy accepts.
    pub fn token_at(&self, name: &str, scope: &str, iat: DateTime<Utc>) -> String {
        mint(CALLER_SECRET, &self.claims(name, scope, iat))
    }

    /// The claims of [`TestApp::token_at`], to change one before minting.
    pub fn claims(&self, name: &str, scope: &str, iat: DateTime<Utc>) -> Claims {
        let lifetime = chrono::Duration::from_std(TokenRules::default().max_lifetime).unwrap();
        Claims {
            sub: name.to_lowercase().replace(' ', "-"),
            name: name.into(),
            aud: self.public_url(),
            iat: iat.timestamp(),
            exp: (iat + lifetime).timestamp(),
            nbf: None,
            scope: scope.into(),
        }
    }

    pub fn admin(&self) -> String {
        self.token(ADMIN_NAME, "xero:post xero:admin")
    }

    pub fn clerk(&self) -> String {
        self.token(CLERK_NAME, "xero:post")
    }

    /// Sends `method path` with a bearer token and an optional JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.http.request(method, self.url(path)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, token, None).await
    }

    /// Starts a connection as the admin: the popup's link (`authorize_url`).
    pub async fn start_connecting(&self) -> String {
        let (status, start) = self
            .call(Method::POST, "/api/connection/start", &self.admin(), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{start}");
        start["authorize_url"].as_str().unwrap().to_owned()
    }

    /// Opens the popup's link as the admin's browser does: the proxy sets the attempt's cookie
    /// and redirects to Xero's consent page.
    pub async fn open_popup(&self, link: &str) -> Popup {
        let opened = self.http.get(link).send().await.unwrap();
        assert_eq!(opened.status(), StatusCode::FOUND, "{link}");
        let set_cookie = opened.headers()["set-cookie"].to_str().unwrap().to_owned();
        let cookie = set_cookie.split(';').next().unwrap().to_owned();
        Popup {
            xero: opened.headers()["location"].to_str().unwrap().to_owned(),
            cookie,
            set_cookie,
        }
    }

    /// Starts a connection as the admin, opens the popup and follows Xero's (auto-approved)
    /// redirect to the callback; answers the callback page.
    pub async fn connect_auto(&self) -> String {
        let popup = self.open_popup(&self.start_connecting().await).await;
        let callback = self.auto_approved(&popup).await;
        self.follow_callback(&callback, &popup).await
    }

    /// Xero's consent page when it approves by itself (the simulator's `auto_approve`): the
    /// callback URL it redirects to, with a fresh code.
    pub async fn auto_approved(&self, popup: &Popup) -> String {
        let redirect = self.http.get(&popup.xero).send().await.unwrap();
        assert!(redirect.status().is_redirection(), "{}", redirect.status());
        redirect.headers()["location"].to_str().unwrap().to_owned()
    }

    /// The callback in the popup's browser (with its cookie); answers the page.
    pub async fn follow_callback(&self, callback: &str, popup: &Popup) -> String {
        let page = self.callback(callback, Some(popup)).await;
        let status = page.status();
        let text = page.text().await.unwrap();
        assert_eq!(status, StatusCode::OK, "{text}");
        text
    }

    /// The callback, from the popup's browser or (without `popup`) from another one.
    pub async fn callback(&self, callback: &str, popup: Option<&Popup>) -> reqwest::Response {
        let mut request = self.http.get(callback);
        if let Some(popup) = popup {
            request = request.header("cookie", &popup.cookie);
        }
        request.send().await.unwrap()
    }

    /// Connects and, when asked to choose, chooses `tenant`.
    pub async fn connect_to(&self, tenant: &str) {
        self.connect_auto().await;
        self.choose_if_asked(tenant).await;
    }

    /// When the consent covered several organisations, chooses `tenant` as the admin.
    pub async fn choose_if_asked(&self, tenant: &str) {
        let (status, body) = self.get("/api/connection", &self.clerk()).await;
        assert_eq!(status, StatusCode::OK);
        if body["state"] == "choosing_organisation" {
            let (status, body) = self
                .call(
                    Method::POST,
                    "/api/connection/organisation",
                    &self.admin(),
                    Some(serde_json::json!({"tenant_id": tenant})),
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{body}");
        }
    }

    /// Token-endpoint calls with this grant type, as the simulator saw them.
    pub fn token_calls(&self, grant: &str) -> usize {
        self.sim
            .calls()
            .iter()
            .filter(|c| {
                c.path == "/connect/token" && c.body.contains(&format!("grant_type={grant}"))
            })
            .count()
    }

    pub fn database_bytes(&self) -> Vec<u8> {
        let mut all = Vec::new();
        for name in ["srm-xero.sqlite3", "srm-xero.sqlite3-wal"] {
            let path: PathBuf = self.data.path().join(name);
            if let Ok(bytes) = std::fs::read(path) {
                all.extend(bytes);
            }
        }
        all
    }
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
