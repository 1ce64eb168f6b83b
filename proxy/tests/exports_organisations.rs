//! An export belongs to the Xero organisation it was accepted for: when an admin connects another
//! organisation while journals are pending, they wait — saying for which organisation — and go
//! there once it is connected again; nothing reaches the other one. Each organisation has its own
//! exported-posting set.

mod common;

use std::time::Duration;

use common::exports::{
    assert_each_once, export_holding_first_call, exported, gl, wait_progress, wait_settled,
};
use common::{simulator, spawn_with_worker};
use srm_xero_proxy::worker::WorkerSettings;
use srm_xero_tests::demo::org::{ACME_NAME, ACME_TENANT_ID, ACME_TEST_NAME, ACME_TEST_TENANT_ID};

#[tokio::test]
async fn journals_accepted_for_one_organisation_never_go_to_another() {
    // One call at a time, so journals are still pending when the organisation changes.
    let one_at_a_time = WorkerSettings {
        in_flight: 1,
        ..WorkerSettings::default()
    };
    let app = spawn_with_worker(simulator(), one_at_a_time).await;
    app.connect_to(ACME_TENANT_ID).await;
    let postings = gl("GL-", 60);
    let (number, journals) = export_holding_first_call(&app, &postings).await;
    app.connect_to(ACME_TEST_TENANT_ID).await;
    app.sim.release_held();

    // The call already inside Acme is answered; the other ten wait and say why.
    let now = wait_progress(&app, number, |p| {
        p.counts.posted == 50 && p.waiting.is_some()
    })
    .await;
    assert_eq!(now.counts.pending, 10);
    let reason = now.waiting.unwrap().reason;
    assert!(
        reason.starts_with(&format!(
            "accepted for {ACME_NAME}; now connected to {ACME_TEST_NAME}"
        )),
        "{reason}"
    );
    // However long they wait, nothing is sent to the organisation connected now.
    for _ in 0..30 {
        app.sim.clock().advance(Duration::from_secs(20));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let to_test = app
        .sim
        .calls()
        .into_iter()
        .filter(|c| c.tenant() == Some(ACME_TEST_TENANT_ID) && c.path.contains("ManualJournals"))
        .count();
    assert_eq!(to_test, 0);
    assert_eq!(
        app.sim
            .counts()
            .get(ACME_TEST_TENANT_ID)
            .map_or(0, |c| c.journals),
        0
    );
    assert_eq!(
        common::exports::progress(&app, number).await.counts.pending,
        10
    );
    // The other organisation has its own exported set: none of these postings is in it.
    assert!(exported(&app, &postings).await.exported.is_empty());

    // Acme connected again: the rest goes there.
    app.connect_to(ACME_TENANT_ID).await;
    let done = wait_settled(&app, number, true).await;
    assert_eq!(done.counts.posted, 60, "{done:?}");
    assert_each_once(&app, &journals, &postings);
    assert_eq!(
        exported(&app, &postings).await.exported.len(),
        postings.len()
    );
    let (_, export) = app
        .get(&format!("/api/exports/{number}"), &app.clerk())
        .await;
    assert_eq!(
        export["summary"]["organisation"]["tenant_id"],
        ACME_TENANT_ID
    );
    assert_eq!(export["summary"]["organisation"]["name"], ACME_NAME);
}
