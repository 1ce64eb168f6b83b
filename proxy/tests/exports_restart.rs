//! Never lost, never twice across a proxy stopped abruptly mid-export: the new proxy, built on
//! the same database, looks up the journals that may have reached Xero before posting anything.

mod common;

use common::exports::{
    assert_each_once, export_all, export_holding_first_call, gl, puts, wait_progress, wait_settled,
};
use common::{spawn_app, start_proxy};
use srm_xero_tests::demo::org::ACME_TENANT_ID;
use srm_xero_tests::sim::{Fault, FaultKind};

#[tokio::test]
async fn a_proxy_dropped_mid_export_and_started_again_posts_every_journal_once() {
    let mut app = spawn_app().await;
    app.connect_to(ACME_TENANT_ID).await;
    app.sim.inject(Fault::next(1, FaultKind::Hold).only("PUT"));
    let postings = gl("GL-", 60);
    let (number, journals) = export_all(&app, &postings).await;
    // The second call (10 journals) is answered; the first (50) is held inside Xero.
    app.sim
        .wait_until(|s| s.journals().len() == 10 && s.in_flight(ACME_TENANT_ID) == 1)
        .await;
    let now = wait_progress(&app, number, |p| p.counts.posted == 10).await;
    assert_eq!(now.counts.posting, 50);

    // Stopped abruptly: no shutdown, the call still in flight.
    drop(app.app.take());
    // Xero finishes the held call (and saves its journals) for nobody.
    app.sim.release_held();
    app.sim
        .wait_until(|s| s.in_flight(ACME_TENANT_ID) == 0)
        .await;
    let saved_by_the_lost_call = app.sim.journals().len();

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    app.app = Some(start_proxy(
        listener,
        &app.sim,
        app.data.path(),
        app.dist.path(),
    ));
    let done = wait_settled(&app, number, false).await;
    assert_eq!(done.counts.posted, 60, "{done:?}");
    assert_each_once(&app, &journals, &postings);
    let lookups = app
        .sim
        .calls()
        .iter()
        .filter(|c| c.path.contains("Narration.Contains"))
        .count();
    assert_eq!(lookups, 50, "each journal left in flight was looked up");
    // Found in Xero, nothing was sent again; not found, each went again exactly once.
    let expected_puts = if saved_by_the_lost_call == 60 { 2 } else { 3 };
    assert_eq!(puts(&app).len(), expected_puts);
}

#[tokio::test]
async fn an_export_accepted_before_a_restart_is_posted_after_it() {
    let mut app = spawn_app().await;
    app.connect_to(ACME_TENANT_ID).await;
    // Nothing can be sent: every call is held until the proxy is gone.
    let postings = gl("GL-", 4);
    let (number, journals) = export_holding_first_call(&app, &postings).await;
    app.restart().await;
    app.sim.release_held();
    let done = wait_settled(&app, number, false).await;
    assert_eq!(done.counts.posted, 4);
    assert_each_once(&app, &journals, &postings);
}
