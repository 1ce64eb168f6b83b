//! Exactly once, whatever the text says and whatever the network does: divisions that say
//! `key `, answers echoed with extra text in any order, an element that could be two journals,
//! a connection closed while Xero is still saving the call, and a journal no key can confirm —
//! parked as needs attention, then marked posted with the id found in Xero, or voided.

mod common;

use common::exports::{
    add_divisions, assert_each_once, export_all, gl, gl_in, idempotency_keys, in_xero,
    journal_detail, lookups, progress, puts, wait_settled, wait_settled_by,
};
use common::{TestApp, simulator, spawn_app, spawn_with};
use reqwest::{Method, StatusCode};
use serde_json::json;
use srm_xero_shared::JournalKey;
use srm_xero_shared::api::{ExportStatus, JournalState};
use srm_xero_tests::demo::org::ACME_TENANT_ID;
use srm_xero_tests::sim::{ElementOrder, Fault, FaultKind, NarrationEcho, Settings, Simulator};

const KEY_DIVISIONS: [&str; 3] = ["Whiskey Bay", "key accounts", "Hockey"];

/// The simulator answering with each narration followed by extra text, elements in `order`.
fn echoing(order: ElementOrder) -> Simulator {
    simulator().settings(Settings {
        narration_echo: NarrationEcho::Suffixed(" (imported)".into()),
        element_order: order,
        auto_approve: true,
        ..Settings::default()
    })
}

#[tokio::test]
async fn divisions_that_say_key_and_answers_echoed_with_extra_text_in_any_order_post_once() {
    for order in [ElementOrder::Reversed, ElementOrder::Shuffled(20_190_819)] {
        let app = spawn_with(echoing(order)).await;
        app.connect_to(ACME_TENANT_ID).await;
        add_divisions(&app, ACME_TENANT_ID, &KEY_DIVISIONS);
        let postings = gl_in("GL-", 30, &KEY_DIVISIONS);
        let (number, journals) = export_all(&app, &postings).await;
        let done = wait_settled(&app, number, false).await;
        assert_eq!(done.counts.posted, 30, "{order:?}: {done:?}");
        assert_each_once(&app, &journals, &postings);
        assert_eq!(puts(&app).len(), 1, "{order:?}: paired, never sent again");
        assert!(
            lookups(&app).is_empty(),
            "{order:?}: nothing needed looking up"
        );
        // Each journal got the ManualJournalID Xero saved it under.
        let stored = in_xero(&app);
        let detail = journal_detail(&app, number, &journals[0].key).await;
        assert_eq!(
            detail.row.xero_id.as_deref(),
            Some(stored[&journals[0].key][0].manual_journal_id.as_str())
        );
    }
}

#[tokio::test]
async fn an_element_that_could_be_two_journals_is_looked_up_not_sent_again() {
    let app = spawn_with(echoing(ElementOrder::Reversed)).await;
    app.connect_to(ACME_TENANT_ID).await;
    // The second journal's division holds the first journal's marker: echoed with extra text,
    // its element carries both journals' markers.
    let first = gl("GL-", 1);
    let first_key = JournalKey::from_posting_ids(first.iter().map(|p| p.id.as_str()));
    let tricky = format!("Depot {}", first_key.marker());
    add_divisions(&app, ACME_TENANT_ID, &[&tricky]);
    let mut postings = first;
    postings.extend(gl_in("GX-", 1, &[&tricky]));
    let (number, journals) = export_all(&app, &postings).await;
    let done = wait_settled(&app, number, true).await;
    assert_eq!(done.counts.posted, 2, "{done:?}");
    assert_each_once(&app, &journals, &postings);
    assert_eq!(puts(&app).len(), 1, "never sent again blindly");
    assert_eq!(lookups(&app).len(), 1, "the unclear journal looked up once");
    let unclear = journals.iter().find(|j| j.group.contains("Depot")).unwrap();
    let history = journal_detail(&app, number, &unclear.key).await.history;
    assert!(
        history
            .iter()
            .any(|h| h.what.contains("is unclear about this journal")
                && h.what.contains("could be any of 2 journals")),
        "{history:?}"
    );
    assert!(
        history
            .iter()
            .any(|h| h.what.starts_with("found in Xero by its key")),
        "{history:?}"
    );
}

#[tokio::test]
async fn a_connection_closed_while_xero_is_still_saving_posts_each_journal_once() {
    let app = spawn_app().await;
    app.connect_to(ACME_TENANT_ID).await;
    app.sim
        .inject(Fault::next(1, FaultKind::DropThenSave { after_ms: 5_000 }).only("PUT"));
    let postings = gl("GL-", 9);
    let (number, journals) = export_all(&app, &postings).await;
    let done = wait_settled(&app, number, true).await;
    assert_eq!(done.counts.posted, 9);
    assert_each_once(&app, &journals, &postings);
    assert_eq!(app.sim.journals().len(), 9);
    assert_eq!(
        idempotency_keys(&app).len(),
        1,
        "one key: the same call again"
    );
    assert!(lookups(&app).is_empty());
    // While Xero was still saving, the same key found the call running (409), then answered.
    let statuses: Vec<Option<u16>> = puts(&app).iter().map(|c| c.status).collect();
    assert_eq!(
        statuses.first(),
        Some(&None),
        "the first send had no answer"
    );
    assert_eq!(statuses.last(), Some(&Some(200)));
    assert!(statuses.contains(&Some(409)), "{statuses:?}");
}

/// Resolves `key` with `id`.
async fn resolve(
    app: &TestApp,
    number: u64,
    key: &JournalKey,
    id: &str,
) -> (StatusCode, serde_json::Value) {
    app.call(
        Method::POST,
        &format!("/api/exports/{number}/journals/{key}/resolve"),
        &app.clerk(),
        Some(json!({"manual_journal_id": id})),
    )
    .await
}

/// Saves `narration` in Xero as an accountant might have found it there; answers its id.
async fn saved_in_xero(app: &TestApp, narration: &str) -> String {
    let token = app
        .sim
        .issue_tokens("accounting.manualjournals", &[ACME_TENANT_ID])
        .access_token;
    let body = json!({"ManualJournals": [{
        "Narration": narration, "Date": "2019-07-20", "Status": "POSTED",
        "JournalLines": [
            {"LineAmount": 10, "AccountCode": "1200", "Tracking": [{"Name": "Division", "Option": "Vancouver"}]},
            {"LineAmount": -10, "AccountCode": "4000"}]}]});
    let answer: serde_json::Value = app
        .http
        .put(format!(
            "{}/ManualJournals?summarizeErrors=false",
            app.sim.urls().accounting
        ))
        .bearer_auth(token)
        .header("xero-tenant-id", ACME_TENANT_ID)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["ManualJournals"][0]["ManualJournalID"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn a_journal_no_key_can_confirm_waits_for_a_person_who_marks_it_posted_or_voids_it() {
    let app = spawn_app().await;
    app.connect_to(ACME_TENANT_ID).await;
    app.sim.inject(
        Fault::every(
            1,
            FaultKind::Status {
                status: 503,
                retry_after: None,
            },
        )
        .only("PUT"),
    );
    let postings = gl("GL-", 3);
    let (number, journals) = export_all(&app, &postings).await;
    let done = wait_settled_by(&app, number, std::time::Duration::from_secs(5)).await;
    assert_eq!(done.counts.needs_attention, 3, "{done:?}");
    assert_eq!((done.status, done.waiting), (ExportStatus::Open, None));
    assert_eq!(idempotency_keys(&app).len(), 3, "three keys, then a person");
    assert_eq!(lookups(&app).len(), 3, "each key's call looked up once");
    // Nothing is sent again, however long Xero's clock runs.
    let sent = puts(&app).len();
    for _ in 0..20 {
        app.sim.clock().advance(std::time::Duration::from_mins(1));
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(puts(&app).len(), sent);
    let detail = journal_detail(&app, number, &journals[0].key).await;
    assert_eq!(detail.row.state, JournalState::NeedsAttention);
    let message = &detail.row.messages[0];
    assert!(
        message.contains("mark this journal posted with its ManualJournalID")
            && message.contains(&journals[0].key.marker()),
        "{message}"
    );
    let sends = detail
        .history
        .iter()
        .filter(|h| h.what.starts_with("sent to Xero"))
        .count();
    assert_eq!(sends, 3, "{:?}", detail.history);
    assert!(
        detail
            .history
            .last()
            .unwrap()
            .what
            .starts_with("needs attention")
    );

    mark_posted_or_void(&app, number, &journals).await;
}

/// The way out: the first journal found in Xero is marked posted with its id (checked there),
/// the others voided.
async fn mark_posted_or_void(
    app: &TestApp,
    number: u64,
    journals: &[srm_xero_shared::PlannedJournal],
) {
    // The accountant finds the first journal in Xero after all (Xero recovered meanwhile).
    app.sim.clear_faults();
    let found = saved_in_xero(app, &journals[0].narration).await;
    let other = saved_in_xero(app, "a hand-made journal · key 0123456789abcdef0123").await;
    let (status, body) = resolve(app, number, &journals[0].key, "not an id!").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let (status, body) = resolve(
        app,
        number,
        &journals[0].key,
        "6f1c2d3e-0000-4000-8000-000000000000",
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Xero has no manual journal"),
        "{body}"
    );
    let (status, body) = resolve(app, number, &journals[0].key, &other).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("it is not journal"),
        "{body}"
    );
    let (status, body) = resolve(app, number, &journals[0].key, &found).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["row"]["state"], "posted");
    assert_eq!(body["row"]["xero_id"], found.as_str());
    let (status, _) = resolve(app, number, &journals[0].key, &found).await;
    assert_eq!(status, StatusCode::CONFLICT, "only once");
    // The others were not in Xero: voided, their postings free to export again.
    for journal in &journals[1..] {
        let (status, body) = app
            .call(
                Method::POST,
                &format!("/api/exports/{number}/journals/{}/void", journal.key),
                &app.clerk(),
                Some(json!({"reason": "not in Xero: will export again"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let end = progress(app, number).await;
    assert_eq!(
        (end.counts.posted, end.counts.voided, end.status),
        (1, 2, ExportStatus::Exported)
    );
    let history = journal_detail(app, number, &journals[0].key).await.history;
    let last = history.last().unwrap();
    assert_eq!(last.who, common::CLERK_NAME);
    assert!(
        last.what
            .starts_with(&format!("marked posted with ManualJournalID {found}")),
        "{last:?}"
    );
}
