//! A connected proxy for checking the OpenAPI document against what the proxy does
//! (`cargo xtask api-check`, a step of `cargo xtask test`, runs schemathesis against it).
//!
//! Starts the Xero simulator (the demo organisations, real time from the tests' start date,
//! limits high enough that schemathesis never waits for Xero's minute) and the proxy in the
//! tests' configuration on loopback ports, completes the consent, chooses the organisation and
//! makes export #1 (three journals, posted), so the routes have something to answer about. Then
//! prints one line `openapi target: <proxy URL> <admin caller token>` and serves until its
//! standard input closes. Nothing here is a real credential: the secrets are the tests' own.

#[path = "../tests/common/mod.rs"]
#[allow(unused_imports)]
mod common;

use std::io::Write as _;

use common::exports::{export_all, gl, wait_settled};
use srm_xero_proxy::worker::WorkerSettings;
use srm_xero_tests::demo::org::ACME_TENANT_ID;
use srm_xero_tests::sim::{Limits, SimClock};

/// The line the caller reads.
const READY: &str = "openapi target:";

#[tokio::main]
async fn main() {
    let clock = SimClock::real();
    clock.shift(common::start_time() - chrono::Utc::now());
    let plenty = Limits {
        per_minute: 100_000,
        per_day: 10_000_000,
        app_per_minute: 100_000,
        ..Limits::default()
    };
    let worker = WorkerSettings {
        per_window: 100_000,
        ..WorkerSettings::default()
    };
    let app =
        common::spawn_with_worker(common::simulator().clock(clock).limits(plenty), worker).await;
    app.connect_to(ACME_TENANT_ID).await;
    let (number, _) = export_all(&app, &gl("GL-", 3)).await;
    wait_settled(&app, number, false).await;
    println!("{READY} {} {}", app.public_url(), app.admin());
    let _ = std::io::stdout().flush();
    // Serves until the caller closes our standard input (or goes away).
    let _ =
        tokio::task::spawn_blocking(|| std::io::copy(&mut std::io::stdin(), &mut std::io::sink()))
            .await;
    if let Some(proxy) = app.app {
        let _ = proxy.shutdown().await;
    }
}
