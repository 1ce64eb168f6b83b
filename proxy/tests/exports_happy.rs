//! Exports end to end against the simulator: Accept re-plans and stores, the worker posts every
//! journal once (matched by key, whatever the answer's order), and the export can be read back.

mod common;

use common::exports::{
    accept, assert_each_once, export_all, exported, gl, journals_in, plan_like_the_component, puts,
    wait_settled,
};
use common::{CLERK_NAME, simulator, spawn_with};
use reqwest::StatusCode;
use serde_json::json;
use srm_xero_shared::JournalKey;
use srm_xero_shared::api::{ExportDetail, ExportStatus, JournalDetail, JournalState};
use srm_xero_tests::demo::org::{ACME_TENANT_ID, codes};
use srm_xero_tests::sim::{ElementOrder, Settings};

/// Export #1 (synced from 20 Jul 2019, made on 20 Aug 2019) is found by its number, by either
/// day, and by ranges of days that hold one of them (inclusive, either end open).
async fn assert_export_one_is_found(app: &common::TestApp) {
    let (_, by_number) = app.get("/api/exports?number=1", &app.clerk()).await;
    assert_eq!(by_number.as_array().unwrap().len(), 1);
    let (_, by_date) = app.get("/api/exports?date=2019-08-20", &app.clerk()).await;
    assert_eq!(by_date[0]["number"], 1);
    let (_, none) = app.get("/api/exports?date=2019-01-01", &app.clerk()).await;
    assert_eq!(none, json!([]));
    for (range, found) in [
        ("from=2019-08-19&to=2019-08-20", 1),
        ("from=2019-07-01&to=2019-07-20", 1),
        ("from=2019-07-21&to=2019-08-19", 0),
        ("from=2019-08-20", 1),
        ("from=2019-08-21", 0),
        ("to=2019-07-20", 1),
        ("to=2019-07-19", 0),
    ] {
        let (status, list) = app
            .get(&format!("/api/exports?{range}"), &app.clerk())
            .await;
        assert_eq!(status, StatusCode::OK, "{range}: {list}");
        assert_eq!(list.as_array().unwrap().len(), found, "{range}: {list}");
    }
    let (status, refused) = app
        .get("/api/exports?from=2019-08-21&to=2019-08-20", &app.clerk())
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{refused}");
    assert!(
        refused["message"].as_str().unwrap().contains("is after"),
        "{refused}"
    );
}

#[tokio::test]
async fn every_journal_reaches_xero_once_with_the_sums_of_its_postings() {
    let app = spawn_with(simulator().settings(Settings {
        element_order: ElementOrder::Shuffled(7),
        auto_approve: true,
        ..Settings::default()
    }))
    .await;
    app.connect_to(ACME_TENANT_ID).await;
    let postings = gl("GL-", 120);
    let (number, journals) = export_all(&app, &postings).await;
    assert_eq!((number, journals.len()), (1, 120));

    let done = wait_settled(&app, number, false).await;
    assert_eq!(done.counts.posted, 120, "{done:?}");
    assert_eq!(done.status, ExportStatus::Exported);
    assert_each_once(&app, &journals, &postings);

    // Three calls of at most 50, each with its own Idempotency-Key and summarizeErrors=false.
    let calls = puts(&app);
    assert_eq!(calls.len(), 3);
    assert!(
        calls
            .iter()
            .all(|c| journals_in(c) <= 50 && c.path.contains("summarizeErrors=false"))
    );
    let mut keys: Vec<&str> = calls
        .iter()
        .map(|c| c.header("idempotency-key").unwrap())
        .collect();
    keys.dedup();
    assert_eq!(keys.len(), 3);

    // The export reads back with Xero's ids (matched by key, though the answers were shuffled).
    let (status, detail) = app.get("/api/exports/1", &app.clerk()).await;
    assert_eq!(status, StatusCode::OK);
    let detail: ExportDetail = serde_json::from_value(detail).unwrap();
    assert_eq!(detail.summary.created_by, CLERK_NAME);
    let stored = common::exports::in_xero(&app);
    for row in &detail.journals {
        assert_eq!(row.state, JournalState::Posted);
        assert_eq!(
            row.xero_id.as_deref(),
            Some(stored[&row.key][0].manual_journal_id.as_str())
        );
        assert!(
            row.narration.contains("export 1 · key"),
            "{}",
            row.narration
        );
    }
    let key = &journals[5].key;
    let (status, one) = app
        .get(&format!("/api/exports/1/journals/{key}"), &app.clerk())
        .await;
    assert_eq!(status, StatusCode::OK, "{one}");
    let one: JournalDetail = serde_json::from_value(one).unwrap();
    assert_eq!(one.postings.len(), 3);
    assert_eq!(one.journal.lines.len(), 2);
    let said: Vec<&str> = one.history.iter().map(|h| h.what.as_str()).collect();
    assert!(
        said[0].starts_with("accepted in export #1") && said[2].starts_with("posted to Xero"),
        "{said:?}"
    );

    // Found by number and by days; its postings count as exported.
    assert_export_one_is_found(&app).await;
    let exported = exported(&app, &postings).await;
    assert_eq!(exported.exported.len(), 360);
    assert_eq!(
        exported.last_exported_date,
        Some(postings.last().unwrap().date)
    );
    let (status, _) = app.get("/api/exports/2", &app.clerk()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = app
        .get("/api/exports/1/journals/not-a-key", &app.clerk())
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn accept_refuses_what_does_not_re_plan_and_postings_already_exported() {
    let app = spawn_with(simulator()).await;
    app.connect_to(ACME_TENANT_ID).await;
    let mut postings = gl("GL-", 6);
    // A journal with an SRM account Xero does not have: planned, but not postable.
    let date = common::exports::first_day() + chrono::Duration::days(20);
    postings.push(common::exports::posting(
        "BAD-1",
        date,
        codes::UNMAPPED,
        "Vancouver",
        500,
    ));
    postings.push(common::exports::posting(
        "BAD-2",
        date,
        codes::RENTAL,
        "Vancouver",
        -500,
    ));
    let journals = plan_like_the_component(&app, &postings).await;
    let bad = journals
        .iter()
        .find(|j| !j.is_postable())
        .unwrap()
        .key
        .clone();
    let good: Vec<JournalKey> = journals
        .iter()
        .filter(|j| j.is_postable())
        .map(|j| j.key.clone())
        .collect();

    let (status, body) = accept(&app, &postings, &[good[0].clone(), bad.clone()]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["journals"][0]["key"], bad.as_str());
    let invented = JournalKey::from_posting_ids(["nobody"]);
    let (status, body) = accept(&app, &postings, &[invented]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (_, list) = app.get("/api/exports", &app.clerk()).await;
    assert_eq!(list, json!([]), "nothing was stored");

    let (status, body) = accept(&app, &postings, &good).await;
    assert_eq!(
        (status, body["number"].as_u64()),
        (StatusCode::CREATED, Some(1))
    );
    // The same journals again: their postings are in export #1.
    let (status, body) = accept(&app, &postings, &good[..1]).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("export #1"),
        "{body}"
    );
}

#[tokio::test]
async fn two_overlapping_exports_at_once_put_each_posting_in_one_journal() {
    let app = spawn_with(simulator()).await;
    app.connect_to(ACME_TENANT_ID).await;
    let all = gl("GL-", 30);
    let first: Vec<_> = all[..60].to_vec();
    let second: Vec<_> = all[30..].to_vec();
    // Both planned before either is accepted, as two users' browsers would.
    let plan_a = plan_like_the_component(&app, &first).await;
    let plan_b = plan_like_the_component(&app, &second).await;
    let keys =
        |p: &[srm_xero_shared::PlannedJournal]| p.iter().map(|j| j.key.clone()).collect::<Vec<_>>();
    let (ka, kb) = (keys(&plan_a), keys(&plan_b));
    let ((sa, a), (sb, b)) = tokio::join!(accept(&app, &first, &ka), accept(&app, &second, &kb));
    let created: Vec<_> = [(sa, &a), (sb, &b)]
        .into_iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .collect();
    assert_eq!(created.len(), 1, "{a} {b}");
    let refused = if sa == StatusCode::CREATED { &b } else { &a };
    assert!(
        refused["message"].as_str().unwrap().contains("export #1"),
        "{refused}"
    );

    // The refused user re-plans: only the postings not yet exported remain.
    let rest = if sa == StatusCode::CREATED {
        &second
    } else {
        &first
    };
    let replanned = plan_like_the_component(&app, rest).await;
    assert_eq!(replanned.len(), 10);
    let (status, body) = accept(&app, rest, &keys(&replanned)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    wait_settled(&app, 1, false).await;
    wait_settled(&app, 2, false).await;

    let mut seen = std::collections::HashMap::new();
    for journal in app.sim.journals() {
        let key = JournalKey::last_in(&journal.narration).unwrap();
        *seen.entry(key).or_insert(0) += 1;
    }
    assert_eq!(seen.len(), 30);
    assert!(seen.values().all(|n| *n == 1));
    assert_eq!(exported(&app, &all).await.exported.len(), 90);
}

#[tokio::test]
async fn progress_streams_as_server_sent_events_opened_with_a_single_use_ticket() {
    let app = spawn_with(simulator()).await;
    app.connect_to(ACME_TENANT_ID).await;
    let postings = gl("GL-", 3);
    let (number, _) = export_all(&app, &postings).await;
    wait_settled(&app, number, false).await;
    // The caller token opens no stream, in the header or the query.
    let (status, _) = app
        .get(&format!("/api/exports/{number}/events"), &app.clerk())
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = app
        .get(
            &format!("/api/exports/{number}/events?token={}", app.clerk()),
            "",
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("stream ticket"),
        "{body}"
    );
    let ticket = common::exports::stream_ticket(&app).await;
    let mut response = app
        .http
        .get(app.url(&format!("/api/exports/{number}/events?ticket={ticket}")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let chunk = String::from_utf8(response.chunk().await.unwrap().unwrap().to_vec()).unwrap();
    assert!(chunk.starts_with("event: progress\ndata: {"), "{chunk}");
    assert!(chunk.contains("\"status\":\"exported\""), "{chunk}");
    // Other routes do not take the token from the query.
    let plain = app
        .http
        .get(app.url(&format!("/api/exports/{number}?token={}", app.clerk())))
        .send()
        .await
        .unwrap();
    assert_eq!(plain.status(), StatusCode::UNAUTHORIZED);
    let (_, doc) = app.get("/api/openapi.json", "").await;
    for path in [
        "/api/exports",
        "/api/drafts",
        "/api/drafts/{draft}/postings",
        "/api/drafts/{draft}/accept",
        "/api/exports/{n}/events",
        "/api/exports/{n}/retry",
        "/api/exported",
    ] {
        assert!(doc["paths"][path].is_object(), "{path}");
    }
}
