//! Headless Chromium driven through ChromeDriver (fantoccini), for end-to-end tests.
//!
//! [`Browser::launch`] starts ChromeDriver on a free loopback port and opens a session with the
//! flags a closed network and root need. Helpers wait for conditions (an element, a URL), never for
//! fixed delays. [`Browser::save_artifacts`] keeps a screenshot, the page source and the console
//! log under `target/e2e-artifacts/`, where CI keeps them, when a test fails.

use std::future::Future;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};

/// Where Debian's `chromium-driver` puts ChromeDriver (`cargo xtask install` installs it).
pub const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long a wait for a condition may take before the test fails.
pub const PATIENCE: Duration = Duration::from_secs(20);

const CHROME_ARGS: [&str; 11] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--disable-extensions",
    "--no-first-run",
    "--window-size=1280,900",
];

/// Records console messages in the page so a failed test can save them.
const CAPTURE_CONSOLE: &str = "if (!window.__e2eConsole) { window.__e2eConsole = []; \
    for (const level of ['log', 'info', 'warn', 'error']) { const original = console[level]; \
    console[level] = (...args) => { window.__e2eConsole.push(level + ': ' + args.join(' ')); \
    original.apply(console, args); }; } \
    addEventListener('error', e => window.__e2eConsole.push('uncaught: ' + e.message)); }";

/// A ChromeDriver process and one browser session on it; both end when this is dropped or closed.
pub struct Browser {
    driver: Child,
    client: Client,
}

impl Browser {
    /// Starts ChromeDriver and a headless Chromium session.
    ///
    /// # Panics
    /// When ChromeDriver is missing or does not start (the message says how to install it).
    pub async fn launch() -> Browser {
        assert!(
            std::path::Path::new(CHROMEDRIVER).exists(),
            "{CHROMEDRIVER} is missing: `cargo xtask install` installs chromium and chromium-driver"
        );
        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {CHROMEDRIVER}: {e}"));
        let url = format!("http://127.0.0.1:{port}");
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".into(),
            json!({ "args": CHROME_ARGS, "binary": "/usr/bin/chromium" }),
        );
        // ChromeDriver answers a moment after it starts: retry the session until it does.
        let deadline = Instant::now() + PATIENCE;
        let client = loop {
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(capabilities.clone())
                .connect(&url)
                .await
            {
                Ok(client) => break client,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("ChromeDriver on {url} gave no session: {e}"),
            }
        };
        Browser { driver, client }
    }

    /// The fantoccini client, for what the helpers do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Opens a page and starts recording its console.
    pub async fn open(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
        self.capture_console().await;
    }

    async fn capture_console(&self) {
        let _ = self.client.execute(CAPTURE_CONSOLE, vec![]).await;
    }

    /// Waits until an element matching the CSS selector exists.
    pub async fn wait_for(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element `{css}` appeared within {PATIENCE:?}: {e}"))
    }

    /// Waits until a button whose text contains `label` exists, and clicks it, as a person would.
    pub async fn click_button(&self, label: &str) {
        let xpath = format!("//button[contains(normalize-space(.), '{label}')]");
        let button = self
            .client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::XPath(&xpath))
            .await
            .unwrap_or_else(|e| panic!("no button \"{label}\" appeared within {PATIENCE:?}: {e}"));
        button
            .click()
            .await
            .unwrap_or_else(|e| panic!("cannot click \"{label}\": {e}"));
    }

    /// Waits until the page's URL satisfies `condition`, and returns it.
    pub async fn wait_for_url(&self, what: &str, condition: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let url = self
                .client
                .current_url()
                .await
                .map(|u| u.to_string())
                .unwrap_or_default();
            if condition(&url) {
                return url;
            }
            assert!(
                Instant::now() < deadline,
                "the page never reached {what}; it is at {url}"
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Saves a screenshot, the page source and the console log as `target/e2e-artifacts/{name}.*`.
    pub async fn save_artifacts(&self, name: &str) -> PathBuf {
        let dir = artifacts_dir();
        let _ = std::fs::create_dir_all(&dir);
        if let Ok(png) = self.client.screenshot().await {
            let _ = std::fs::write(dir.join(format!("{name}.png")), png);
        }
        if let Ok(html) = self.client.source().await {
            let _ = std::fs::write(dir.join(format!("{name}.html")), html);
        }
        let console = self
            .client
            .execute("return window.__e2eConsole || []", vec![])
            .await
            .unwrap_or(Value::Null);
        let _ = std::fs::write(
            dir.join(format!("{name}.console.json")),
            console.to_string(),
        );
        dir
    }

    /// Runs a test body; if it panics, saves the artifacts as `{name}.*` first, then fails.
    pub async fn run<F, Fut>(self, name: &str, body: F)
    where
        F: FnOnce(Arc<Browser>) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let browser = Arc::new(self);
        let outcome = tokio::spawn(body(Arc::clone(&browser))).await;
        if let Err(failure) = outcome {
            let dir = browser.save_artifacts(name).await;
            eprintln!("e2e artifacts of `{name}` saved in {}", dir.display());
            if let Ok(browser) = Arc::try_unwrap(browser) {
                browser.close().await;
            }
            std::panic::resume_unwind(failure.into_panic());
        }
        if let Ok(browser) = Arc::try_unwrap(browser) {
            browser.close().await;
        }
    }

    /// Ends the session and the driver.
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}

/// `target/e2e-artifacts` of this workspace.
pub fn artifacts_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/e2e-artifacts")
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free loopback port")
}
