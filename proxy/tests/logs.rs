//! Captured logs hold no secret: the connect flow, a refresh, a forged caller token and a
//! disconnect, logged at TRACE level into a buffer.

mod common;

use std::sync::{Arc, Mutex};

use common::{CALLER_SECRET, CLIENT_SECRET, spawn_app};
use reqwest::{Method, StatusCode};

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

    let app = spawn_app().await;
    app.connect_to(srm_xero_tests::demo::org::ACME_TENANT_ID)
        .await;
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
    let signature = admin.rsplit('.').next().unwrap();
    for secret in [
        "sim-at-",
        "sim-rt-",
        CLIENT_SECRET,
        CALLER_SECRET,
        signature,
        "code=",
        "code_verifier",
    ] {
        assert!(!logs.contains(secret), "{secret} found in the logs");
    }
}
