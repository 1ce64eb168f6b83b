//! Captured logs hold no secret: the connect flow, a refresh, a forged caller token, a run of the
//! close whose feed refuses its token and whose alert's webhook and SMTP server fail, and a
//! disconnect, logged at TRACE level into a buffer.

mod common;

use std::sync::{Arc, Mutex};

use common::feed::SrmFeed;
use common::receivers::Webhook;
use common::{CALLER_SECRET, CLIENT_SECRET, simulator, spawn_configured};
use reqwest::{Method, StatusCode};
use secrecy::SecretString;
use srm_xero_proxy::config::{EmailSettings, FeedSettings};
use srm_xero_proxy::worker::WorkerSettings;

#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Buffer {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(data);
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Buffer {
    type Writer = Buffer;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn the_logs_hold_no_secret() {
    let buffer = Buffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(buffer.clone())
        .with_ansi(false)
        .finish();
    // Global, in a test binary of its own: callsite interest is process-wide.
    tracing::subscriber::set_global_default(subscriber).unwrap();

    let feed = SrmFeed::start(Vec::new()).await;
    let hook = Webhook::start(srm_xero_tests::sim::SimClock::fixed(common::start_time())).await;
    hook.refuse_next(usize::MAX);
    let (feed_url, hook_url) = (
        format!("{}&key=feed-url-secret", feed.url),
        hook.url.clone(),
    );
    let app = spawn_configured(simulator(), WorkerSettings::default(), move |config| {
        config.close.feed = Some(FeedSettings {
            url: SecretString::from(feed_url),
            token: Some(SecretString::from("feed-token-secret".to_owned())),
        });
        config.close.alerts.webhook = Some(SecretString::from(hook_url));
        config.close.alerts.email = Some(EmailSettings {
            smtp_url: SecretString::from(
                "smtp://alerts:smtp-password-secret@127.0.0.1:1".to_owned(),
            ),
            to: vec!["books@acme.example".into()],
        });
    })
    .await;
    app.connect_to(srm_xero_tests::demo::org::ACME_TENANT_ID)
        .await;
    // A run whose feed refuses the token (and whose mapping has a cut-off date to read from);
    // its alert fails on both channels.
    let (_, mapping) = app.get("/api/mapping", &app.clerk()).await;
    let mut settings = mapping["settings"].clone();
    settings["cutoff_date"] = serde_json::json!("2019-08-01");
    let (code, body) = app
        .call(
            Method::PUT,
            "/api/mapping",
            &app.admin(),
            Some(serde_json::json!({"settings": settings, "version": mapping["version"]})),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    let (code, run) = app
        .call(Method::POST, "/api/schedule/run", &app.admin(), None)
        .await;
    assert_eq!(code, StatusCode::OK, "{run}");
    assert_eq!(run["outcome"], "failed", "{run}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let logs = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
        if logs.matches("alert not delivered").count() >= 2 {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{logs}");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    app.advance_minutes(31);
    let (code, _) = app.get("/api/reference", &app.clerk()).await;
    assert_eq!(code, StatusCode::OK);
    let bad = app.get("/api/mapping", "forged.token.here").await;
    assert_eq!(bad.0, StatusCode::UNAUTHORIZED);
    let admin = app.admin();
    let (code, _) = app
        .call(Method::DELETE, "/api/connection", &admin, None)
        .await;
    assert_eq!(code, StatusCode::NO_CONTENT);

    let logs = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("Xero connected"), "{logs}");
    assert!(logs.contains("Xero tokens refreshed"), "{logs}");
    assert!(logs.contains("request_id"), "{logs}");
    assert!(logs.contains("alert raised"), "{logs}");
    assert!(logs.contains("refused the proxy's token"), "{logs}");
    let signature = admin.rsplit('.').next().unwrap();
    for secret in [
        "sim-at-",
        "sim-rt-",
        CLIENT_SECRET,
        CALLER_SECRET,
        signature,
        "code=",
        "code_verifier",
        "feed-token-secret",
        "feed-url-secret",
        "hook-secret-path",
        "smtp-password-secret",
    ] {
        assert!(!logs.contains(secret), "{secret} found in the logs");
    }
}
