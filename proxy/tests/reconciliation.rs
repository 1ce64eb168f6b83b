//! Reconciliation against the simulator: after posting every cell agrees; after a person voids
//! one journal in Xero and edits another's amount (and moves a third to another day), the report
//! names exactly those journals with the right differences — read from Xero in bulk, not one
//! call per journal.

mod common;

use chrono::NaiveDate;
use common::exports::{export_all, first_day, gl, in_xero, lookups, wait_settled};
use common::{TestApp, spawn_app};
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use srm_xero_shared::api::{Change, Reconciliation};
use srm_xero_shared::{JournalKey, Money};
use srm_xero_tests::demo::org::{ACME_TENANT_ID, codes};
use srm_xero_tests::sim::JournalEdit;

fn day(n: i64) -> NaiveDate {
    first_day() + chrono::Duration::days(n)
}

async fn reconcile(app: &TestApp, from: NaiveDate, to: NaiveDate) -> Reconciliation {
    let (status, body) = app
        .get(
            &format!("/api/reconciliation?from={from}&to={to}"),
            &app.clerk(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_value(body).unwrap()
}

/// Nine journals over three days, posted.
async fn posted_app() -> (TestApp, Vec<srm_xero_shared::PlannedJournal>) {
    let app = spawn_app().await;
    app.connect_to(ACME_TENANT_ID).await;
    let (number, journals) = export_all(&app, &gl("GL-", 9)).await;
    assert_eq!(wait_settled(&app, number, false).await.counts.posted, 9);
    (app, journals)
}

/// The ManualJournalID Xero gave the journal `key`.
fn id_of(app: &TestApp, key: &JournalKey) -> String {
    in_xero(app)[key][0].manual_journal_id.clone()
}

/// A person voids `voided` in Xero and adds 25.00 to both sides of `edited`; answers their ids.
fn void_one_and_grow_another(
    app: &TestApp,
    voided: &srm_xero_shared::PlannedJournal,
    edited: &srm_xero_shared::PlannedJournal,
) -> (String, String) {
    let voided_id = id_of(app, &voided.key);
    let edited_id = id_of(app, &edited.key);
    app.sim.void_journal(ACME_TENANT_ID, &voided_id).unwrap();
    let stored = app.sim.journal(&edited_id).unwrap();
    app.sim
        .edit_journal(
            ACME_TENANT_ID,
            &edited_id,
            &JournalEdit::of(&stored).grown_by(Decimal::new(2_500, 2)),
        )
        .unwrap();
    (voided_id, edited_id)
}

#[tokio::test]
async fn after_posting_srm_and_xero_agree_to_the_cent_in_one_read() {
    let (app, journals) = posted_app().await;
    let reads_before = lookups(&app).len();
    let report = reconcile(&app, day(0), day(2)).await;
    assert_eq!(report.journals, 9);
    assert!(report.differences.is_empty(), "{:?}", report.differences);
    assert!(report.changes.is_empty());
    // Two lines a journal, each its own cell (account and division, per day).
    assert_eq!(report.rows.len(), 18);
    assert!(
        report
            .rows
            .iter()
            .all(|r| r.srm == r.xero && r.difference.is_zero())
    );
    let debits: Money = report
        .rows
        .iter()
        .map(|r| r.srm)
        .filter(|m| m.is_positive())
        .sum();
    let planned: Money = journals
        .iter()
        .map(srm_xero_shared::PlannedJournal::debits)
        .sum();
    assert_eq!(debits, planned);
    // One page of Xero's journals for the three days: not one call per journal.
    let reads = &lookups(&app)[reads_before..];
    assert_eq!(reads.len(), 1, "{reads:?}");
    assert!(
        reads[0]
            .path
            .contains("Date+%3E%3D+DateTime%282019%2C07%2C20%29"),
        "{}",
        reads[0].path
    );
    // A range that holds none of them compares nothing and reads nothing.
    let empty = reconcile(&app, day(10), day(12)).await;
    assert_eq!((empty.journals, empty.rows.len()), (0, 0));
    assert_eq!(lookups(&app).len(), reads_before + 1);
}

#[tokio::test]
async fn a_journal_voided_and_one_edited_in_xero_are_exactly_the_differences() {
    let (app, journals) = posted_app().await;
    let (voided, edited, moved) = (&journals[0], &journals[4], &journals[8]);
    app.sim.clock().advance(std::time::Duration::from_mins(5));
    let (voided_id, edited_id) = void_one_and_grow_another(&app, voided, edited);

    let report = reconcile(&app, day(0), day(2)).await;
    let changed: Vec<(&JournalKey, Change)> =
        report.changes.iter().map(|c| (&c.key, c.change)).collect();
    assert_eq!(
        changed,
        [(&voided.key, Change::Voided), (&edited.key, Change::Edited)]
    );
    assert_eq!(report.differences.len(), 2, "{:?}", report.differences);
    let gone = &report.differences[0];
    assert_eq!(gone.journals[0].manual_journal_id, voided_id);
    assert_eq!(gone.journals[0].export, 1);
    assert!(gone.journals[0].xero_url.ends_with(&voided_id));
    let debit = voided.debits();
    let amounts: Vec<(&str, Money, Money, Money)> = gone
        .rows
        .iter()
        .map(|r| (r.account_code.as_str(), r.srm, r.xero, r.difference))
        .collect();
    assert_eq!(
        amounts,
        [
            (codes::AR_CLEARING, debit, Money::ZERO, -debit),
            (codes::RENTAL, -debit, Money::ZERO, debit),
        ]
    );
    let grown = &report.differences[1];
    assert_eq!(grown.journals[0].manual_journal_id, edited_id);
    let differences: Vec<(&str, Money)> = grown
        .rows
        .iter()
        .map(|r| (r.account_code.as_str(), r.difference))
        .collect();
    assert_eq!(
        differences,
        [
            (codes::AR_CLEARING, Money::from_cents(2_500)),
            (codes::RENTAL, Money::from_cents(-2_500)),
        ]
    );
    assert!(
        report.changes[1].detail.contains("its debits are"),
        "{}",
        report.changes[1].detail
    );
    // Every other cell still agrees.
    let off = report
        .rows
        .iter()
        .filter(|r| !r.difference.is_zero())
        .count();
    assert_eq!(off, 4);

    // A journal moved to another day leaves the days read: found by its id, changed since it
    // was posted (If-Modified-Since), one call for all such journals.
    let moved_id = id_of(&app, &moved.key);
    let stored = app.sim.journal(&moved_id).unwrap();
    let mut later = JournalEdit::of(&stored);
    later.date = day(20);
    app.sim
        .edit_journal(ACME_TENANT_ID, &moved_id, &later)
        .unwrap();
    let reads_before = lookups(&app).len();
    let report = reconcile(&app, day(0), day(2)).await;
    let reads = &lookups(&app)[reads_before..];
    assert_eq!(reads.len(), 2, "{reads:?}");
    assert!(
        reads[1].path.contains("ManualJournalID"),
        "{}",
        reads[1].path
    );
    assert!(reads[1].header("if-modified-since").is_some());
    let change = report.changes.iter().find(|c| c.key == moved.key).unwrap();
    assert_eq!(change.change, Change::Edited);
    assert!(
        change.detail.contains(&format!("its date is {}", day(20))),
        "{}",
        change.detail
    );
    assert_eq!(report.differences.len(), 3);
}

#[tokio::test]
async fn a_bad_range_or_no_connection_is_a_clear_refusal() {
    let app = spawn_app().await;
    for (query, status, says) in [
        (
            "from=2019-08-02&to=2019-08-01",
            StatusCode::UNPROCESSABLE_ENTITY,
            "after",
        ),
        ("from=2019-08-01", StatusCode::BAD_REQUEST, "to"),
        (
            "from=yesterday&to=2019-08-02",
            StatusCode::BAD_REQUEST,
            "from",
        ),
        (
            "from=2018-01-01&to=2019-08-01",
            StatusCode::UNPROCESSABLE_ENTITY,
            "366 days",
        ),
        (
            "from=2019-08-01&to=2019-08-02",
            StatusCode::CONFLICT,
            "not connected",
        ),
    ] {
        let (got, body) = app
            .get(&format!("/api/reconciliation?{query}"), &app.clerk())
            .await;
        assert_eq!(got, status, "{query}: {body}");
        assert!(
            body["message"].as_str().unwrap().contains(says),
            "{query}: {body}"
        );
    }
}

#[tokio::test]
async fn a_journal_voided_in_xero_is_re_posted_once_and_both_histories_say_so() {
    let (app, journals) = posted_app().await;
    let (voided, edited) = (&journals[0], &journals[4]);
    let (_, edited_id) = void_one_and_grow_another(&app, voided, edited);
    let repost = |key: &JournalKey| format!("/api/exports/1/journals/{key}/repost");

    // An edited journal still stands in Xero: void it there first.
    let (status, body) = app
        .call(Method::POST, &repost(&edited.key), &app.clerk(), None)
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("void it in Xero first"),
        "{body}"
    );

    let (status, body) = app
        .call(Method::POST, &repost(&voided.key), &app.clerk(), None)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["number"], 2);
    assert_eq!(wait_settled(&app, 2, false).await.counts.posted, 1);
    // Twice is refused: the old journal is voided here now.
    let (status, _) = app
        .call(Method::POST, &repost(&voided.key), &app.clerk(), None)
        .await;
    assert_eq!(status, StatusCode::CONFLICT);

    // In Xero: the voided copy and one standing copy, with the same lines.
    let copies = &in_xero(&app)[&voided.key];
    let statuses: Vec<&str> = copies.iter().map(|j| j.status.as_str()).collect();
    assert_eq!(statuses, ["VOIDED", "POSTED"]);
    assert_eq!(copies[0].lines, copies[1].lines);
    let old = common::exports::journal_detail(&app, 1, &voided.key).await;
    assert_eq!(old.row.state, srm_xero_shared::api::JournalState::Voided);
    assert!(
        old.history
            .last()
            .unwrap()
            .what
            .contains("re-posted in export #2"),
        "{:?}",
        old.history
    );
    let new = common::exports::journal_detail(&app, 2, &voided.key).await;
    assert!(
        new.history.iter().any(|h| h.what.starts_with(&format!(
            "re-post of journal {} of export #1, voided in Xero",
            voided.key
        ))),
        "{:?}",
        new.history
    );
    // Reconciled again: only the edited journal differs.
    let report = reconcile(&app, day(0), day(2)).await;
    assert_eq!(report.differences.len(), 1, "{:?}", report.differences);
    assert_eq!(
        report.differences[0].journals[0].manual_journal_id,
        edited_id
    );
}
