//! The demo configuration, started in-process on loopback ports: the proxy in demo mode serving the
//! real release bundle (`dist/`), the Xero simulator with the demo organisations, and the demo SRM
//! G/L feed at `/srm/api/gl-postings` — what `proxy/examples/demo.rs` runs.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::NaiveDate;
use clap::Parser as _;
use reqwest::{Method, StatusCode};
use serde_json::Value;
use srm_xero_proxy::App;
use srm_xero_proxy::auth::{Claims, mint};
use srm_xero_proxy::config::{Args, Config};
use srm_xero_tests::demo::feed;
use srm_xero_tests::demo::gl::GlConfig;
use srm_xero_tests::sim::{AppRegistration, SimHandle, Simulator};
use tempfile::TempDir;

/// The demo feed's seed (the one `proxy/examples/demo.rs` uses).
pub const SEED: u64 = 20_190_819;
const CALLER_SECRET: &str = "e2e-caller-secret-0123456789abcdefghij";

/// A running demo: the proxy, its simulator and its data folder.
pub struct Demo {
    pub app: Option<App>,
    pub sim: SimHandle,
    pub today: NaiveDate,
    pub http: reqwest::Client,
    _data: TempDir,
}

/// The component's release bundle: `dist/` at the workspace root.
fn dist() -> PathBuf {
    let dist = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../dist");
    let wasm = std::fs::read_dir(&dist)
        .into_iter()
        .flatten()
        .flatten()
        .any(|entry| entry.file_name().to_string_lossy().ends_with("_bg.wasm"));
    assert!(
        dist.join("embed.js").exists() && wasm,
        "{} has no release bundle: run `trunk build --release` (cargo xtask test does, before this step)",
        dist.display()
    );
    dist
}

impl Demo {
    pub async fn start() -> Demo {
        let data = tempfile::Builder::new()
            .prefix("srm-xero-e2e-")
            .tempdir()
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let public = format!("http://{addr}");
        let mut config: Config =
            Config::from_args(Args::parse_from(["srm-xero-proxy", "--demo"])).unwrap();
        let sim = Simulator::new()
            .app(AppRegistration {
                client_id: config.xero.client_id.clone(),
                client_secret: secrecy::ExposeSecret::expose_secret(&config.xero.client_secret)
                    .to_owned(),
                redirect_uris: vec![format!("{public}/auth/xero/callback")],
                ..AppRegistration::default()
            })
            .demo_feed(None)
            .start()
            .await
            .unwrap();
        let urls = sim.urls();
        config.bind = addr;
        config.data_dir = data.path().to_path_buf();
        config.dist_dir = dist();
        config.caller_secret = CALLER_SECRET.into();
        config.xero.login_url = urls.login;
        config.xero.identity_url = urls.identity;
        config.xero.api_url = urls.api;
        let today = chrono::Utc::now().date_naive();
        let options = srm_xero_proxy::Options {
            extra_routes: feed::router(GlConfig::demo(SEED, today)),
            clock: Arc::new(chrono::Utc::now),
            ..srm_xero_proxy::Options::default()
        };
        let app = srm_xero_proxy::serve_on(listener, config, options).unwrap();
        Demo {
            app: Some(app),
            sim,
            today,
            http: reqwest::Client::new(),
            _data: data,
        }
    }

    /// The mock SRM Daily Close page.
    pub fn page(&self) -> String {
        format!("{}/", self.url())
    }

    pub fn url(&self) -> String {
        self.app
            .as_ref()
            .unwrap()
            .url()
            .trim_end_matches('/')
            .to_owned()
    }

    /// A caller token for an admin of this proxy, for reading what the proxy stored.
    pub fn admin(&self) -> String {
        let now = chrono::Utc::now();
        mint(
            CALLER_SECRET,
            &Claims {
                sub: "e2e-admin".into(),
                name: "Erin E2E".into(),
                aud: self.url(),
                iat: now.timestamp(),
                exp: (now + chrono::Duration::hours(2)).timestamp(),
                nbf: None,
                scope: "xero:post xero:admin".into(),
            },
        )
    }

    /// `method path` on the proxy's API as the admin.
    pub async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.url()))
            .bearer_auth(self.admin());
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        assert!(status == StatusCode::OK, "{path}: {status} {text}");
        serde_json::from_str(&text).unwrap()
    }

    /// The feed's posting dates: the last day with postings.
    pub fn last_day(&self) -> NaiveDate {
        self.today - chrono::Duration::days(1)
    }
}
