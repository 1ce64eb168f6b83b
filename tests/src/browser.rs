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
pub const PATIENCE: Duration = Duration::from_secs(30);

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

    /// Reloads the page, as the browser's reload button does, and records its console again.
    pub async fn reload(&self) {
        self.client
            .refresh()
            .await
            .unwrap_or_else(|e| panic!("cannot reload the page: {e}"));
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

    /// Runs `body` (JavaScript with `root` bound to the shadow root of the first element matching
    /// `host`, or `null` before it exists) and returns what it returns.
    pub async fn in_shadow(&self, host: &str, body: &str) -> Value {
        let script = format!(
            "const host = document.querySelector({host}); \
             const root = host ? host.shadowRoot : null; \
             return (function (root) {{ {body} }})(root);",
            host = json!(host)
        );
        self.client
            .execute(&script, vec![])
            .await
            .unwrap_or(Value::Null)
    }

    /// Waits until `body` (as in [`Browser::in_shadow`]) returns something other than `null` or
    /// `false`, and returns it; `what` names the condition in the failure message.
    pub async fn wait_in_shadow(&self, host: &str, what: &str, body: &str) -> Value {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let value = self
                .in_shadow(host, &format!("if (!root) return null; {body}"))
                .await;
            if !matches!(value, Value::Null | Value::Bool(false)) {
                return value;
            }
            if Instant::now() >= deadline {
                // What a person sees (innerText leaves out the component's <style>).
                let text = self
                    .in_shadow(
                        host,
                        "return root ? [...root.children].map(e => e.innerText).join('\\n') \
                         : '(no shadow root)';",
                    )
                    .await;
                panic!("{what} did not happen within {PATIENCE:?}; the component shows: {text}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until an element matching `css` exists in the shadow root and returns its text.
    pub async fn shadow_text(&self, host: &str, css: &str) -> String {
        let body = format!(
            "const e = root.querySelector({css}); return e ? e.textContent : null;",
            css = json!(css)
        );
        let what = format!("`{css}` appearing");
        self.wait_in_shadow(host, &what, &body)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Waits until an enabled element matching `css` whose text contains `text` exists in the
    /// shadow root, and clicks it.
    pub async fn shadow_click(&self, host: &str, css: &str, text: &str) {
        let body = format!(
            "const e = [...root.querySelectorAll({css})].find(e => !e.disabled && \
             e.textContent.includes({text})); if (!e) return null; \
             e.scrollIntoView({{block: 'center'}}); e.click(); return true;",
            css = json!(css),
            text = json!(text)
        );
        let what = format!("an enabled `{css}` with \"{text}\" to click");
        self.wait_in_shadow(host, &what, &body).await;
    }

    /// Waits until an element matching `css` exists in the shadow root, sets its value as typing
    /// or picking would (`input` and `change` events), and returns.
    pub async fn shadow_set(&self, host: &str, css: &str, value: &str) {
        let body = format!(
            "const e = root.querySelector({css}); if (!e || e.disabled) return null; \
             e.value = {value}; \
             e.dispatchEvent(new Event('input', {{bubbles: true, composed: true}})); \
             e.dispatchEvent(new Event('change', {{bubbles: true, composed: true}})); return true;",
            css = json!(css),
            value = json!(value)
        );
        let what = format!("`{css}` to fill with {value:?}");
        self.wait_in_shadow(host, &what, &body).await;
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
