//! The worker against Xero's failures: refused journals, 429 storms, 5xx, dropped answers, a
//! Xero down for longer than a key lives, an expired token and a connection that needs an admin
//! — every journal ends in Xero exactly once.

mod common;

use common::exports::{
    accept, assert_each_once, export_all, export_holding_first_call, gl, idempotency_keys,
    journal_detail, lookups, plan_like_the_component, progress, puts, wait_progress, wait_settled,
};
use common::{simulator, spawn_app, spawn_with_worker};
use reqwest::{Method, StatusCode};
use serde_json::json;
use srm_xero_proxy::worker::WorkerSettings;
use srm_xero_shared::api::{ExportDetail, ExportStatus, JournalDetail, JournalState};
use srm_xero_tests::demo::org::ACME_TENANT_ID;
use srm_xero_tests::sim::{Fault, FaultKind};

async fn detail(app: &common::TestApp, number: u64) -> ExportDetail {
    let (status, body) = app
        .get(&format!("/api/exports/{number}"), &app.clerk())
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_value(body).unwrap()
}

#[tokio::test]
async fn refused_journals_fail_with_xeros_message_and_can_be_retried_or_voided() {
    let app = spawn_app().await;
    app.connect_to(ACME_TENANT_ID).await;
    let postings = gl("GL-", 9);
    // Hold the call, then move Xero's lock date past two of the three days: Xero refuses those
    // journals while the rest of the same call posts.
    let (number, journals) = export_holding_first_call(&app, &postings).await;
    let lock = common::exports::first_day() + chrono::Duration::days(1);
    app.sim
        .update_org(ACME_TENANT_ID, |org| org.period_lock_date = Some(lock));
    app.sim.release_held();
    let settled = wait_settled(&app, number, false).await;
    assert_eq!(
        (settled.counts.posted, settled.counts.failed),
        (3, 6),
        "{settled:?}"
    );
    assert_eq!(settled.status, ExportStatus::Open);
    assert_eq!(puts(&app).len(), 1);
    let export = detail(&app, number).await;
    for row in &export.journals {
        if row.date <= lock {
            assert_eq!(row.state, JournalState::Failed);
            assert!(
                row.messages[0].contains("cannot be before the period lock date"),
                "{:?}",
                row.messages
            );
        } else {
            assert_eq!(row.state, JournalState::Posted);
        }
    }
    retry_and_void(&app, number, &journals, &postings, &export, lock).await;
}

/// Retries one failed journal after the fix and voids the others: the export becomes exported.
#[allow(clippy::too_many_lines)] // One flow, read top to bottom.
async fn retry_and_void(
    app: &common::TestApp,
    number: u64,
    journals: &[srm_xero_shared::PlannedJournal],
    postings: &[srm_xero_shared::Posting],
    export: &ExportDetail,
    lock: chrono::NaiveDate,
) {
    let failed: Vec<_> = export
        .journals
        .iter()
        .filter(|r| r.state == JournalState::Failed)
        .collect();
    // Retry one after the fix (the component re-plans with today's mapping).
    app.sim.update_org(ACME_TENANT_ID, |org| {
        org.period_lock_date = Some(lock - chrono::Duration::days(30));
    });
    let retried = journals.iter().find(|j| j.key == failed[0].key).unwrap();
    let posted_key = &export
        .journals
        .iter()
        .find(|r| r.state == JournalState::Posted)
        .unwrap()
        .key;
    let (status, body) = app
        .call(
            Method::POST,
            &format!("/api/exports/{number}/retry"),
            &app.clerk(),
            Some(json!({"journals": [posted_key]})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "only failed journals: {body}");
    let (status, body) = app
        .call(
            Method::POST,
            &format!("/api/exports/{number}/retry"),
            &app.admin(),
            Some(json!({"journals": [retried.key]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    wait_settled(app, number, false).await;

    // Void the others, each with a reason.
    let (status, body) = app
        .call(
            Method::POST,
            &format!("/api/exports/{number}/journals/{}/void", failed[1].key),
            &app.clerk(),
            Some(json!({"reason": "  "})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    for row in &failed[1..] {
        assert_eq!(progress(app, number).await.status, ExportStatus::Open);
        let (status, body) = app
            .call(
                Method::POST,
                &format!("/api/exports/{number}/journals/{}/void", row.key),
                &app.clerk(),
                Some(json!({"reason": "posted by hand in Xero"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, _) = app
        .call(
            Method::POST,
            &format!("/api/exports/{number}/journals/{posted_key}/void"),
            &app.clerk(),
            Some(json!({"reason": "oops"})),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "a posted journal is voided in Xero, not here"
    );

    let done = progress(app, number).await;
    assert_eq!(
        (done.counts.posted, done.counts.voided, done.status),
        (4, 5, ExportStatus::Exported)
    );
    let (_, one) = app
        .get(
            &format!("/api/exports/{number}/journals/{}", retried.key),
            &app.clerk(),
        )
        .await;
    let one: JournalDetail = serde_json::from_value(one).unwrap();
    let history: Vec<(&str, &str)> = one
        .history
        .iter()
        .map(|h| (h.who.as_str(), h.what.as_str()))
        .collect();
    assert!(
        history
            .iter()
            .any(|(who, what)| *who == common::ADMIN_NAME && what.starts_with("retried")),
        "{history:?}"
    );
    assert_eq!(one.row.state, JournalState::Posted);
    let (_, voided) = app
        .get(
            &format!("/api/exports/{number}/journals/{}", failed[1].key),
            &app.clerk(),
        )
        .await;
    assert_eq!(voided["row"]["voided"]["reason"], "posted by hand in Xero");
    assert_eq!(voided["row"]["voided"]["by"], common::CLERK_NAME);
    // Xero holds the four posted journals once each; the voided ones' postings may go again.
    assert_eq!(app.sim.journals().len(), 4);
    let again = plan_like_the_component(app, postings).await;
    assert_eq!(again.len(), 5);
}

/// The next `count` PUTs answer 429 with `Retry-After: retry_after`.
fn too_many(count: u32, retry_after: u64) -> Fault {
    Fault::next(
        count,
        FaultKind::Status {
            status: 429,
            retry_after: Some(retry_after),
        },
    )
    .only("PUT")
}

#[tokio::test]
async fn a_429_storm_waits_for_retry_after_says_so_and_posts_once() {
    let app = spawn_app().await;
    app.connect_to(ACME_TENANT_ID).await;
    app.sim.inject(too_many(4, 30));
    let postings = gl("GL-", 60);
    let (number, journals) = export_all(&app, &postings).await;
    // The clock is frozen: the export waits, and says why.
    let waiting = wait_progress(&app, number, |p| p.waiting.is_some())
        .await
        .waiting
        .unwrap();
    assert!(
        waiting
            .reason
            .starts_with("Xero's rate limit (minute) — waiting"),
        "{waiting:?}"
    );
    assert!(waiting.until.is_some());
    let done = wait_settled(&app, number, true).await;
    assert_eq!(done.counts.posted, 60);
    assert_eq!(done.waiting, None);
    assert_each_once(&app, &journals, &postings);
    // Two calls' worth of journals, each call's retries under its one key.
    assert_eq!(puts(&app).len(), 6);
    assert_eq!(idempotency_keys(&app).len(), 2);
}

#[tokio::test]
async fn a_call_turned_away_for_longer_than_a_key_lives_still_goes_under_its_key() {
    let app = spawn_app().await;
    app.connect_to(ACME_TENANT_ID).await;
    // Xero's day limit: ten minutes to wait, twice the key's life. Xero never saw the key.
    app.sim.inject(too_many(1, 600));
    let postings = gl("GL-", 5);
    let (number, journals) = export_all(&app, &postings).await;
    let done =
        common::exports::wait_settled_by(&app, number, std::time::Duration::from_secs(10)).await;
    assert_eq!(done.counts.posted, 5);
    assert_each_once(&app, &journals, &postings);
    assert_eq!(puts(&app).len(), 2);
    assert_eq!(
        idempotency_keys(&app).len(),
        1,
        "the same key: nothing to look up"
    );
    assert!(lookups(&app).is_empty());
}

#[tokio::test]
async fn five_hundreds_and_503s_are_retried_with_the_same_key() {
    let app = spawn_app().await;
    app.connect_to(ACME_TENANT_ID).await;
    app.sim.inject(Fault::status(2, 500).only("PUT"));
    app.sim.inject(Fault::status(1, 503).only("PUT"));
    let postings = gl("GL-", 10);
    let (number, journals) = export_all(&app, &postings).await;
    let done = wait_settled(&app, number, true).await;
    assert_eq!(done.counts.posted, 10);
    assert_each_once(&app, &journals, &postings);
    assert_eq!(puts(&app).len(), 4);
    assert_eq!(idempotency_keys(&app).len(), 1);
}

#[tokio::test]
async fn a_xero_down_longer_than_a_key_lives_is_looked_up_once_in_bulk_before_a_new_key() {
    let app = spawn_app().await;
    app.connect_to(ACME_TENANT_ID).await;
    app.sim.inject(
        Fault::every(
            1,
            FaultKind::Status {
                status: 500,
                retry_after: None,
            },
        )
        .only("PUT"),
    );
    let postings = gl("GL-", 4);
    let (number, journals) = export_all(&app, &postings).await;
    // Xero's clock moves until the journals are looked up; then Xero recovers.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while lookups(&app).is_empty() {
        assert!(std::time::Instant::now() < deadline, "never looked up");
        app.sim.clock().advance(std::time::Duration::from_secs(2));
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    app.sim.clear_faults();
    let done = wait_settled(&app, number, true).await;
    assert_eq!(done.counts.posted, 4);
    assert_each_once(&app, &journals, &postings);

    let keys = idempotency_keys(&app);
    assert_eq!(keys.len(), 2, "a new key only after the look-up");
    let sends = |key: &str| -> Vec<chrono::DateTime<chrono::Utc>> {
        puts(&app)
            .iter()
            .filter(|c| c.header("idempotency-key") == Some(key))
            .map(|c| c.at)
            .collect()
    };
    assert!(sends(&keys[0]).len() > 3, "the same call went again");
    // The proxy's own record of the first call (Xero records each send a little later, as the
    // test moves its clock): every send within the key's life, and the look-up — as Xero
    // received it — only a minute after the last send.
    let first_key = keys[0].clone();
    let (first, last): (chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>) = app
        .app()
        .state()
        .db()
        .read(move |c| {
            c.query_row(
                "SELECT first_sent_at, last_sent_at FROM calls WHERE idempotency_key = ?1",
                [&first_key],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
        })
        .await
        .unwrap();
    assert!(
        last < first + chrono::Duration::minutes(5),
        "sent under a key Xero may have forgotten: {first} … {last}"
    );
    let lookup = &lookups(&app)[0];
    assert!(
        lookup.at >= last + chrono::Duration::minutes(1),
        "looked up at {} before the last send ({last}) settled",
        lookup.at
    );
    assert!(sends(&keys[1])[0] >= lookup.at);
    assert_eq!(
        lookups(&app).len(),
        1,
        "one look-up for the batch, not one per journal"
    );
    for journal in &journals {
        assert!(
            lookup.path.contains(journal.key.as_str()),
            "{}",
            lookup.path
        );
    }
}

#[tokio::test]
async fn an_answer_lost_after_xero_saved_the_journals_is_asked_for_again_under_the_same_key() {
    let app = spawn_app().await;
    app.connect_to(ACME_TENANT_ID).await;
    app.sim
        .inject(Fault::next(1, FaultKind::DropAfterSave).only("PUT"));
    let postings = gl("GL-", 12);
    let (number, journals) = export_all(&app, &postings).await;
    let done = wait_settled(&app, number, true).await;
    assert_eq!(done.counts.posted, 12);
    assert_each_once(&app, &journals, &postings);
    assert_eq!(puts(&app).len(), 2, "the call, and the same call again");
    assert_eq!(idempotency_keys(&app).len(), 1);
    assert_eq!(lookups(&app).len(), 0, "Xero's replayed answer says it all");
    let export = detail(&app, number).await;
    let stored = common::exports::in_xero(&app);
    assert!(
        export
            .journals
            .iter()
            .all(|r| r.xero_id.as_deref() == Some(stored[&r.key][0].manual_journal_id.as_str()))
    );
    let one = journal_detail(&app, number, &journals[0].key).await;
    assert!(
        one.history
            .iter()
            .any(|h| h.what.starts_with("posted to Xero")),
        "{:?}",
        one.history
    );
}

#[tokio::test]
async fn a_call_that_times_out_goes_again_under_the_same_key_and_gets_xeros_first_answer() {
    let worker = WorkerSettings {
        call_timeout: std::time::Duration::from_millis(300),
        ..WorkerSettings::default()
    };
    let app = spawn_with_worker(simulator(), worker).await;
    app.connect_to(ACME_TENANT_ID).await;
    // Xero takes 1.5 s (real time) over the call; the proxy gives up after 0.3 s.
    app.sim
        .inject(Fault::next(1, FaultKind::Delay { ms: 1_500 }).only("PUT"));
    let postings = gl("GL-", 12);
    let (number, journals) = export_all(&app, &postings).await;
    let waiting = wait_progress(&app, number, |p| p.waiting.is_some()).await;
    let reason = &waiting.waiting.as_ref().unwrap().reason;
    assert!(reason.contains("did not answer in time"), "{reason}");
    assert!(reason.contains("same Idempotency-Key"), "{reason}");
    // Xero finishes the slow call for nobody; the proxy has not looked anything up.
    app.sim
        .wait_until(|s| s.journals().len() == 12 && s.in_flight(ACME_TENANT_ID) == 0)
        .await;
    assert!(lookups(&app).is_empty());

    let done = wait_settled(&app, number, true).await;
    assert_eq!(done.counts.posted, 12);
    assert_each_once(&app, &journals, &postings);
    assert_eq!(puts(&app).len(), 2);
    assert_eq!(idempotency_keys(&app).len(), 1);
    assert!(lookups(&app).is_empty());
}

#[tokio::test]
async fn a_refused_token_is_refreshed_once_and_the_call_sent_again() {
    let app = spawn_app().await;
    app.connect_to(ACME_TENANT_ID).await;
    let refreshes = app.token_calls("refresh_token");
    app.sim.inject(Fault::status(1, 401).only("PUT"));
    let postings = gl("GL-", 5);
    let (number, journals) = export_all(&app, &postings).await;
    let done = wait_settled(&app, number, false).await;
    assert_eq!(done.counts.posted, 5);
    assert_each_once(&app, &journals, &postings);
    assert_eq!(app.token_calls("refresh_token"), refreshes + 1);
    assert_eq!(puts(&app).len(), 2);
}

#[tokio::test]
async fn an_export_waits_for_a_reconnect_and_then_finishes() {
    // One call at a time, so the second call is still to be sent when the connection breaks.
    let one_at_a_time = WorkerSettings {
        in_flight: 1,
        ..WorkerSettings::default()
    };
    let app = spawn_with_worker(simulator(), one_at_a_time).await;
    app.connect_to(ACME_TENANT_ID).await;
    let postings = gl("GL-", 60);
    let (number, journals) = export_holding_first_call(&app, &postings).await;
    // Xero refuses the refresh token: an admin must connect again.
    app.app()
        .state()
        .db()
        .write(|c| c.execute("UPDATE xero_connection SET state = 'reconnect_needed'", []))
        .await
        .unwrap();
    app.sim.release_held();
    let now = wait_progress(&app, number, |p| {
        p.counts.posted == 50 && p.waiting.is_some()
    })
    .await;
    let waiting = now.waiting.unwrap();
    assert!(
        waiting.reason.starts_with("reconnect needed"),
        "{waiting:?}"
    );
    assert_eq!(progress(&app, number).await.counts.pending, 10);
    app.connect_to(ACME_TENANT_ID).await;
    let done = wait_settled(&app, number, false).await;
    assert_eq!(done.counts.posted, 60);
    assert_each_once(&app, &journals, &postings);
}

#[tokio::test]
async fn accept_without_a_connection_is_refused_and_stores_nothing() {
    let app = spawn_app().await;
    let postings = gl("GL-", 2);
    let key = srm_xero_shared::JournalKey::from_posting_ids(["GL-0-a", "GL-0-b", "GL-0-c"]);
    let (status, body) = accept(&app, &postings, &[key]).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    let (_, list) = app.get("/api/exports", &app.clerk()).await;
    assert_eq!(list, json!([]));
}
