//! Progress comes from the counts the worker's hub keeps in memory; they must always equal what
//! the ledger holds. Each step reads the progress before changing anything, so every change
//! after the first read has to reach the kept counts: a missed one shows here.

mod common;

use common::TestApp;
use common::exports::{export_holding_first_call, gl, progress};
use common::spawn_app;
use reqwest::{Method, StatusCode};
use serde_json::json;
use srm_xero_shared::api::{
    Counts, ExportDetail, ExportStatus, JournalRow, JournalState, Progress,
};
use srm_xero_tests::demo::org::ACME_TENANT_ID;
use srm_xero_tests::sim::{Fault, FaultKind};

/// The full read: the export and every journal's state, from the ledger.
async fn detail(app: &TestApp, number: u64) -> ExportDetail {
    let (status, body) = app
        .get(&format!("/api/exports/{number}"), &app.clerk())
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_value(body).unwrap()
}

fn counted(export: &ExportDetail) -> Counts {
    let mut counts = Counts::default();
    for row in &export.journals {
        *counts.of_mut(row.state) += 1;
    }
    counts
}

/// The progress answer equals the full read (called only while nothing is moving).
async fn assert_same(app: &TestApp, number: u64, step: &str) -> Counts {
    let full = detail(app, number).await;
    let fast = progress(app, number).await;
    assert_eq!(fast.counts, counted(&full), "{step}: counts");
    assert_eq!(fast.counts, full.summary.counts, "{step}: summary counts");
    assert_eq!(fast.status, full.summary.status, "{step}: status");
    fast.counts
}

/// Polls the full read (never the progress) until `done` holds.
async fn wait_detail(app: &TestApp, number: u64, done: impl Fn(&Counts) -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let counts = counted(&detail(app, number).await);
        if done(&counts) && app.sim.in_flight(ACME_TENANT_ID) == 0 {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "export #{number} never got there: {counts:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
}

#[tokio::test]
#[allow(clippy::too_many_lines)] // One flow, read top to bottom.
async fn progress_equals_the_ledger_through_posting_failures_retry_and_void() {
    let app = spawn_app().await;
    app.connect_to(ACME_TENANT_ID).await;
    let postings = gl("GL-", 9);
    let (number, journals) = export_holding_first_call(&app, &postings).await;
    let sending = assert_same(&app, number, "sending").await;
    assert_eq!(sending.posting, 9);

    // Xero refuses the first two days (a lock date) and posts the third.
    let lock = common::exports::first_day() + chrono::Duration::days(1);
    app.sim
        .update_org(ACME_TENANT_ID, |org| org.period_lock_date = Some(lock));
    app.sim.release_held();
    wait_detail(&app, number, |c| c.posted == 3 && c.failed == 6).await;
    assert_same(&app, number, "posted and failed").await;

    // Retry one failed journal after the fix; hold its call to see it `posting`.
    app.sim.update_org(ACME_TENANT_ID, |org| {
        org.period_lock_date = Some(lock - chrono::Duration::days(30));
    });
    let export = detail(&app, number).await;
    let failed: Vec<_> = export
        .journals
        .iter()
        .filter(|r| r.state == JournalState::Failed)
        .map(|r| r.key.clone())
        .collect();
    let retried = journals.iter().find(|j| j.key == failed[0]).unwrap();
    app.sim.inject(Fault::next(1, FaultKind::Hold).only("PUT"));
    let (status, body) = app
        .call(
            Method::POST,
            &format!("/api/exports/{number}/retry"),
            &app.clerk(),
            Some(json!({"journals": [retried.key]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.sim
        .wait_until(|s| s.in_flight(ACME_TENANT_ID) == 1)
        .await;
    let retrying = assert_same(&app, number, "retry sending").await;
    assert_eq!((retrying.posting, retrying.failed), (1, 5));
    app.sim.release_held();
    wait_detail(&app, number, |c| c.posted == 4).await;
    assert_same(&app, number, "retry posted").await;

    // Void the rest, one by one; the last makes the export exported.
    for (n, key) in failed[1..].iter().enumerate() {
        let (status, body) = app
            .call(
                Method::POST,
                &format!("/api/exports/{number}/journals/{key}/void"),
                &app.clerk(),
                Some(json!({"reason": "entered by hand in Xero"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let now = assert_same(&app, number, &format!("void {n}")).await;
        assert_eq!(now.voided, u32::try_from(n + 1).unwrap());
    }
    let done = progress(&app, number).await;
    assert_eq!(done.status, ExportStatus::Exported);
    assert_eq!((done.counts.posted, done.counts.voided), (4, 5));

    // A new proxy on the same ledger counts from the database again.
    let mut app = app;
    app.restart().await;
    assert_same(&app, number, "after a restart").await;
}

#[tokio::test]
async fn an_unknown_export_has_no_progress() {
    let app = spawn_app().await;
    let (status, _) = app.get("/api/exports/7/progress", &app.clerk()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// `rows` with each changed row put in its place, as the component patches its list.
fn patched(mut export: ExportDetail, changes: &[JournalRow]) -> Vec<(String, JournalState)> {
    for change in changes {
        let row = export
            .journals
            .iter_mut()
            .find(|r| r.key == change.key)
            .expect("a change names a journal of the export");
        *row = change.clone();
    }
    rows(&export)
}

fn rows(export: &ExportDetail) -> Vec<(String, JournalState)> {
    export
        .journals
        .iter()
        .map(|r| (format!("{} {:?} {:?}", r.key, r.xero_id, r.voided), r.state))
        .collect()
}

async fn progress_since(app: &TestApp, number: u64, since: Option<u64>) -> Progress {
    let query = since.map_or_else(String::new, |s| format!("?since={s}"));
    let (status, body) = app
        .get(
            &format!("/api/exports/{number}/progress{query}"),
            &app.clerk(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_value(body).unwrap()
}

#[tokio::test]
async fn what_changed_since_a_number_brings_the_rows_read_before_up_to_date() {
    let mut app = spawn_app().await;
    app.connect_to(ACME_TENANT_ID).await;
    let (number, _) = export_holding_first_call(&app, &gl("GL-", 60)).await;
    let before = detail(&app, number).await;
    // Without a number, nothing to patch with: read the export again.
    let plain = progress_since(&app, number, None).await;
    assert!(!plain.complete && plain.changes.is_empty(), "{plain:?}");
    // A number this proxy never reached cannot be accounted for.
    let future = progress_since(&app, number, Some(before.sequence + 1_000_000)).await;
    assert!(!future.complete, "{future:?}");

    app.sim.release_held();
    common::exports::wait_settled(&app, number, false).await;
    let after = progress_since(&app, number, Some(before.sequence)).await;
    assert!(after.complete);
    assert_eq!(after.changes.len(), 60, "every journal moved");
    assert!(
        after
            .changes
            .iter()
            .all(|c| c.state == JournalState::Posted)
    );
    let now = detail(&app, number).await;
    assert_eq!(patched(before.clone(), &after.changes), rows(&now));
    // From the newest number on, nothing changed.
    let quiet = progress_since(&app, number, Some(after.sequence)).await;
    assert!(quiet.complete && quiet.changes.is_empty(), "{quiet:?}");

    // The numbers go on after a restart: one from before still accounts for everything since.
    app.restart().await;
    let key = &now.journals[0].key;
    let (status, body) = app
        .call(
            Method::POST,
            &format!("/api/exports/{number}/journals/{key}/void"),
            &app.clerk(),
            Some(json!({"reason": "keyed by hand"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "a posted journal: {body}");
    let restarted = progress_since(&app, number, Some(after.sequence)).await;
    assert!(restarted.sequence >= after.sequence, "{restarted:?}");
    assert!(restarted.complete && restarted.changes.is_empty());
    // An event stream asked for the changes since the first read carries them all at once.
    let ticket = common::exports::stream_ticket(&app).await;
    let mut response = app
        .http
        .get(app.url(&format!(
            "/api/exports/{number}/events?ticket={ticket}&since={}",
            before.sequence
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let mut text = String::new();
    while !text.contains("\n\n") {
        let chunk = response.chunk().await.unwrap().unwrap();
        text.push_str(std::str::from_utf8(&chunk).unwrap());
    }
    let data = text.lines().find_map(|l| l.strip_prefix("data: ")).unwrap();
    let event: Progress = serde_json::from_str(data).unwrap();
    assert!(event.complete);
    assert_eq!(patched(before, &event.changes), rows(&now));
}
