//! Never lost, never twice across a proxy stopped abruptly mid-export (as `kill -9` leaves it:
//! no shutdown, calls in flight). The new proxy, built on the same database, sends each call
//! left in flight once more under its own key while Xero remembers it — one call per batch —
//! and looks its journals up in bulk once Xero has forgotten the key.

mod common;

use std::time::Duration;

use common::exports::{
    assert_each_once, export_all, export_holding_first_call, gl, idempotency_keys, lookups,
    progress, puts, wait_progress, wait_settled,
};
use common::{TestApp, spawn_app, start_proxy};
use srm_xero_tests::demo::org::ACME_TENANT_ID;
use srm_xero_tests::sim::{Fault, FaultKind};

/// Exports 150 journals (three calls of 50) with every call held inside Xero, then stops the
/// proxy abruptly; Xero finishes the three calls for nobody. Answers the export number and its
/// journals, postings and the number of PUTs so far.
async fn killed_with_three_calls_in_flight(
    app: &mut TestApp,
) -> (
    u64,
    Vec<srm_xero_shared::PlannedJournal>,
    Vec<srm_xero_shared::Posting>,
    usize,
) {
    app.connect_to(ACME_TENANT_ID).await;
    app.sim.inject(Fault::next(3, FaultKind::Hold).only("PUT"));
    let postings = gl("GL-", 150);
    let (number, journals) = export_all(app, &postings).await;
    app.sim
        .wait_until(|s| s.in_flight(ACME_TENANT_ID) == 3)
        .await;
    let now = wait_progress(app, number, |p| p.counts.posting == 150).await;
    assert_eq!(now.counts.pending, 0);
    // Stopped abruptly: no shutdown, three calls in flight.
    drop(app.app.take());
    app.sim.release_held();
    app.sim
        .wait_until(|s| s.in_flight(ACME_TENANT_ID) == 0 && s.journals().len() == 150)
        .await;
    (number, journals, postings, puts(app).len())
}

fn start_again(app: &mut TestApp) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    app.app = Some(start_proxy(
        tokio::net::TcpListener::from_std(listener).unwrap(),
        &app.sim,
        app.data.path(),
        app.dist.path(),
    ));
}

#[tokio::test]
async fn killed_with_three_calls_in_flight_it_sends_each_once_more_under_its_key_and_no_more() {
    let mut app = spawn_app().await;
    let (number, journals, postings, before) = killed_with_three_calls_in_flight(&mut app).await;
    let keys = idempotency_keys(&app);
    start_again(&mut app);
    // No time passes at Xero: its answers to the three keys settle everything.
    let done = wait_settled(&app, number, false).await;
    assert_eq!(done.counts.posted, 150, "{done:?}");
    assert_each_once(&app, &journals, &postings);
    let again = &puts(&app)[before..];
    assert_eq!(again.len(), 3, "one call per batch left in flight");
    assert!(again.iter().all(|c| c.status == Some(200)));
    assert_eq!(
        idempotency_keys(&app),
        keys,
        "the same three keys, no new one"
    );
    assert!(
        lookups(&app).is_empty(),
        "nothing looked up while the keys live"
    );
}

#[tokio::test]
async fn restarted_after_xero_forgot_the_keys_it_looks_each_batch_up_once_in_bulk() {
    let mut app = spawn_app().await;
    let (number, journals, postings, before) = killed_with_three_calls_in_flight(&mut app).await;
    // The proxy stays down for seven minutes: Xero no longer remembers the keys.
    app.sim.clock().advance(Duration::from_mins(7));
    start_again(&mut app);
    let done = wait_settled(&app, number, false).await;
    assert_eq!(done.counts.posted, 150, "{done:?}");
    assert_each_once(&app, &journals, &postings);
    assert_eq!(
        puts(&app).len(),
        before,
        "found in Xero: nothing sent again"
    );
    let found = lookups(&app);
    assert_eq!(
        found.len(),
        3,
        "one look-up per batch, never one per journal"
    );
    for journal in &journals {
        assert_eq!(
            found
                .iter()
                .filter(|c| c.path.contains(journal.key.as_str()))
                .count(),
            1
        );
    }
    let one = common::exports::journal_detail(&app, number, &journals[0].key).await;
    let what: Vec<&str> = one.history.iter().map(|h| h.what.as_str()).collect();
    assert!(
        what.iter()
            .any(|w| w.starts_with("the proxy stopped before")),
        "{what:?}"
    );
    assert!(
        what.iter()
            .any(|w| w.starts_with("found in Xero by its key")),
        "{what:?}"
    );
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
    let done = wait_settled(&app, number, true).await;
    assert_eq!(done.counts.posted, 4);
    assert_each_once(&app, &journals, &postings);
    assert_eq!(progress(&app, number).await.counts.posted, 4);
}
