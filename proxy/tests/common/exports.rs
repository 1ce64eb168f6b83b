//! Helpers for the export tests: a G/L of balanced postings, planning it as the component does,
//! Accept, and waiting for an export to settle (polling its progress, never a fixed delay).

use std::collections::HashMap;
use std::time::Duration;

use chrono::NaiveDate;
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use srm_xero_shared::api::{
    EXPORTED_LOOKUP_IDS, ExportedPostings, PIECE_POSTINGS, Progress, ReferenceSnapshot,
};
use srm_xero_shared::{JournalKey, MappingSettings, PlanRequest, PlannedJournal, Posting, plan};
use srm_xero_tests::demo::gl::GlConfig;
use srm_xero_tests::demo::org::{ACME_TENANT_ID, codes};
use srm_xero_tests::sim::{Fault, FaultKind, StoredJournal};

use super::TestApp;

/// The demo organisation's division options; "Turkey Creek" says `key ` before each journal's own key.
pub const DIVISIONS: [&str; 3] = ["Vancouver", "Calgary", "Turkey Creek"];

pub fn first_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2019, 7, 20).unwrap()
}

/// One posting, read through the feed's own JSON format.
pub fn posting(id: &str, date: NaiveDate, account: &str, division: &str, amount: i64) -> Posting {
    let (debit, credit) = if amount >= 0 {
        (amount, 0)
    } else {
        (0, -amount)
    };
    let text = json!({
        "id": id, "date": date, "account": account, "division": division,
        "account_description": format!("SRM {account}"),
        "debit": format!("{}.{:02}", debit / 100, debit % 100),
        "credit": format!("{}.{:02}", credit / 100, credit % 100),
        "source": "AR", "reference": format!("INV-{id}"), "memo": "",
    })
    .to_string();
    serde_json::from_str(&text).unwrap()
}

/// Postings making `journals` journals (one per date and division), two or three postings each,
/// ids prefixed with `prefix` so two G/Ls can overlap on purpose or not at all.
pub fn gl(prefix: &str, journals: usize) -> Vec<Posting> {
    gl_in(prefix, journals, &DIVISIONS)
}

/// [`gl`] over these divisions (each must be a tracking option in Xero: [`add_divisions`]).
pub fn gl_in(prefix: &str, journals: usize, divisions: &[&str]) -> Vec<Posting> {
    let mut out = Vec::new();
    let per_day = divisions.len();
    for n in 0..journals {
        let date = first_day() + chrono::Duration::days(i64::try_from(n / per_day).unwrap());
        let division = divisions[n % per_day];
        let cents = 10_000 + i64::try_from(n).unwrap() * 137;
        let part = cents / 3;
        out.push(posting(
            &format!("{prefix}{n}-a"),
            date,
            codes::AR_CLEARING,
            division,
            cents,
        ));
        out.push(posting(
            &format!("{prefix}{n}-b"),
            date,
            codes::RENTAL,
            division,
            -part,
        ));
        out.push(posting(
            &format!("{prefix}{n}-c"),
            date,
            codes::RENTAL,
            division,
            part - cents,
        ));
    }
    out
}

/// Adds options named `names` to the demo organisation's Division tracking category, so
/// divisions of those names plan without problems.
pub fn add_divisions(app: &TestApp, tenant: &str, names: &[&str]) {
    app.sim.update_org(tenant, |org| {
        let category = org
            .tracking
            .iter_mut()
            .find(|c| c.name == "Division")
            .expect("the demo organisation tracks divisions");
        for (n, name) in names.iter().enumerate() {
            category
                .options
                .push(srm_xero_tests::sim::model::TrackingOption {
                    id: format!("00000000-0000-4000-8000-{n:012}"),
                    name: (*name).to_owned(),
                    status: "ACTIVE".into(),
                });
        }
    });
}

/// `POST /api/exported` for these postings, in pieces of [`EXPORTED_LOOKUP_IDS`] as the
/// component asks: which are already in an export.
pub async fn exported(app: &TestApp, postings: &[Posting]) -> ExportedPostings {
    let mut all = ExportedPostings::default();
    for piece in postings.chunks(EXPORTED_LOOKUP_IDS) {
        let ids: Vec<&str> = piece.iter().map(|p| p.id.as_str()).collect();
        let (status, exported) = app
            .call(
                Method::POST,
                "/api/exported",
                &app.clerk(),
                Some(json!({"posting_ids": ids})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{exported}");
        let answer: ExportedPostings = serde_json::from_value(exported).unwrap();
        all.exported.extend(answer.exported);
        all.last_exported_date = answer.last_exported_date;
    }
    all
}

/// A close of `count` postings from the demo's G/L generator (`tests/src/demo/gl.rs`): the 30
/// days before the tests' start, after the demo organisation's lock date, three divisions, as
/// many rounds of documents as it takes (its deliberate problems make a few journals
/// unpostable, as in a real close). Divisions "1" and "2" must be tracking options in Xero
/// ([`add_divisions`]).
pub fn close_of(count: usize) -> Vec<Posting> {
    let today = super::start_time().date_naive();
    let days = 30;
    let per_round = 24 * 3 * days;
    let config = GlConfig {
        days: i64::try_from(days).unwrap(),
        volume: u32::try_from(count.div_ceil(per_round) + 1).unwrap(),
        ..GlConfig::demo(20_190_819, today)
    };
    let generated = srm_xero_tests::demo::gl::generate(&config);
    assert!(generated.len() >= count, "{} postings", generated.len());
    generated
        .iter()
        .take(count)
        .map(|p| serde_json::from_value(serde_json::to_value(p).unwrap()).unwrap())
        .collect()
}

/// Plans `postings` as the component does: the proxy's reference data, the default mapping and
/// the proxy's exported set.
pub async fn plan_like_the_component(app: &TestApp, postings: &[Posting]) -> Vec<PlannedJournal> {
    let (status, reference) = app.get("/api/reference", &app.clerk()).await;
    assert_eq!(status, StatusCode::OK, "{reference}");
    let reference: ReferenceSnapshot = serde_json::from_value(reference).unwrap();
    let exported: HashMap<String, u64> = exported(app, postings).await.exported;
    plan(&PlanRequest {
        postings,
        settings: &MappingSettings::default(),
        exported: &exported,
        from: first_day(),
        export_number: None,
        reference: &reference.reference,
    })
    .journals
}

/// `POST /api/drafts` from [`first_day`] as the clerk: the new draft's id.
pub async fn new_draft(app: &TestApp) -> String {
    let (status, body) = app
        .call(
            Method::POST,
            "/api/drafts",
            &app.clerk(),
            Some(json!({"from": first_day()})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["draft"].as_str().unwrap().to_owned()
}

/// `POST /api/drafts/{draft}/postings` with one piece.
pub async fn send_piece(app: &TestApp, draft: &str, piece: &[Posting]) -> (StatusCode, Value) {
    app.call(
        Method::POST,
        &format!("/api/drafts/{draft}/postings"),
        &app.clerk(),
        Some(json!({ "postings": piece })),
    )
    .await
}

/// Accept as the component does it: a draft, the postings in pieces of
/// [`PIECE_POSTINGS`], then the keys; answers the first refusal, or Accept's status and body.
pub async fn accept(
    app: &TestApp,
    postings: &[Posting],
    keys: &[JournalKey],
) -> (StatusCode, Value) {
    let draft = new_draft(app).await;
    for piece in postings.chunks(PIECE_POSTINGS) {
        let (status, body) = send_piece(app, &draft, piece).await;
        if status != StatusCode::OK {
            return (status, body);
        }
    }
    accept_draft(app, &draft, keys).await
}

/// `POST /api/drafts/{draft}/accept` with these keys, as the clerk.
pub async fn accept_draft(app: &TestApp, draft: &str, keys: &[JournalKey]) -> (StatusCode, Value) {
    app.call(
        Method::POST,
        &format!("/api/drafts/{draft}/accept"),
        &app.clerk(),
        Some(json!({ "journals": keys })),
    )
    .await
}

/// Plans and accepts every postable journal; answers the export number and the journals.
pub async fn export_all(app: &TestApp, postings: &[Posting]) -> (u64, Vec<PlannedJournal>) {
    let journals = plan_like_the_component(app, postings).await;
    assert!(
        journals.iter().all(PlannedJournal::is_postable),
        "{journals:?}"
    );
    let keys: Vec<JournalKey> = journals.iter().map(|j| j.key.clone()).collect();
    let (status, body) = accept(app, postings, &keys).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    (body["number"].as_u64().unwrap(), journals)
}

/// Like [`export_all`], with Xero holding the first PUT until `release_held`: answers once that
/// call is inside Xero.
pub async fn export_holding_first_call(
    app: &TestApp,
    postings: &[Posting],
) -> (u64, Vec<PlannedJournal>) {
    app.sim.inject(Fault::next(1, FaultKind::Hold).only("PUT"));
    let exported = export_all(app, postings).await;
    app.sim
        .wait_until(|s| s.in_flight(ACME_TENANT_ID) == 1)
        .await;
    exported
}

/// `POST /api/stream-tickets` as the clerk: a ticket for one event stream.
pub async fn stream_ticket(app: &TestApp) -> String {
    let (status, body) = app
        .call(Method::POST, "/api/stream-tickets", &app.clerk(), None)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["ticket"].as_str().unwrap().to_owned()
}

pub async fn progress(app: &TestApp, number: u64) -> Progress {
    let (status, body) = app
        .get(&format!("/api/exports/{number}/progress"), &app.clerk())
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_value(body).unwrap()
}

/// Polls the progress (without moving the clock) until `done` holds for it.
pub async fn wait_progress(
    app: &TestApp,
    number: u64,
    mut done: impl FnMut(&Progress) -> bool,
) -> Progress {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let now = progress(app, number).await;
        if done(&now) {
            return now;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "export #{number} never got there: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Polls the progress until nothing is pending or posting; with `advance`, moves the shared
/// clock 2 s each round so waits for Retry-After and backoff end without real waiting.
pub async fn wait_settled(app: &TestApp, number: u64, advance: bool) -> Progress {
    let step = if advance {
        Duration::from_secs(2)
    } else {
        Duration::ZERO
    };
    wait_settled_by(app, number, step).await
}

/// Like [`wait_settled`], moving the clock `step` each round (minutes of Xero's time in
/// seconds of the test's).
pub async fn wait_settled_by(app: &TestApp, number: u64, step: Duration) -> Progress {
    let deadline = std::time::Instant::now() + Duration::from_mins(1);
    loop {
        let now = progress(app, number).await;
        if now.counts.remaining() == 0 {
            return now;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "export #{number} never settled: {now:?}"
        );
        app.sim.clock().advance(step);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Like [`wait_settled`], but moves the clock only while no call is on its way (nothing is
/// `posting`), so a call is counted by Xero at the instant the proxy's pacer let it go.
pub async fn wait_settled_between_calls(app: &TestApp, number: u64) -> Progress {
    let deadline = std::time::Instant::now() + Duration::from_mins(1);
    loop {
        let now = progress(app, number).await;
        if now.counts.pending + now.counts.posting == 0 {
            return now;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "export #{number} never settled: {now:?}"
        );
        // Journals stay `posting` while a 429's Retry-After runs: move the clock then too.
        let idle = now.counts.posting == 0 || now.waiting.is_some();
        if idle && app.sim.in_flight(ACME_TENANT_ID) == 0 {
            app.sim.clock().advance(Duration::from_secs(2));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The simulator's journals of the demo tenant, by the key in their Narration.
pub fn in_xero(app: &TestApp) -> HashMap<JournalKey, Vec<StoredJournal>> {
    let mut out: HashMap<JournalKey, Vec<StoredJournal>> = HashMap::new();
    for journal in app.sim.journals() {
        assert_eq!(journal.tenant_id, ACME_TENANT_ID);
        let key = JournalKey::last_in(&journal.narration).expect("every journal carries its key");
        out.entry(key).or_default().push(journal);
    }
    out
}

/// Every planned journal is in Xero exactly once, its lines summing per account to its postings.
pub fn assert_each_once(app: &TestApp, journals: &[PlannedJournal], postings: &[Posting]) {
    let stored = in_xero(app);
    let by_id: HashMap<&str, &Posting> = postings.iter().map(|p| (p.id.as_str(), p)).collect();
    for journal in journals {
        let copies = stored.get(&journal.key).map_or(0, Vec::len);
        assert_eq!(
            copies, 1,
            "journal {} is in Xero {copies} times",
            journal.key
        );
        let mut expected: HashMap<String, Decimal> = HashMap::new();
        for id in &journal.postings {
            let p = by_id[id.as_str()];
            *expected.entry(p.account.clone()).or_default() += p.debit - p.credit;
        }
        expected.retain(|_, v| !v.is_zero());
        let mut actual: HashMap<String, Decimal> = HashMap::new();
        for line in &stored[&journal.key][0].lines {
            *actual.entry(line.account_code.clone()).or_default() += line.line_amount;
        }
        assert_eq!(actual, expected, "journal {}", journal.key);
    }
}

/// The PUT calls the simulator received.
pub fn puts(app: &TestApp) -> Vec<srm_xero_tests::sim::RecordedCall> {
    app.sim
        .calls()
        .into_iter()
        .filter(|c| c.method == "PUT" && c.path.starts_with("/api.xro/2.0/ManualJournals"))
        .collect()
}

/// The look-ups (`GET /ManualJournals…`) the simulator received.
pub fn lookups(app: &TestApp) -> Vec<srm_xero_tests::sim::RecordedCall> {
    app.sim
        .calls()
        .into_iter()
        .filter(|c| c.method == "GET" && c.path.starts_with("/api.xro/2.0/ManualJournals"))
        .collect()
}

/// The distinct Idempotency-Keys of the PUTs, in the order first used.
pub fn idempotency_keys(app: &TestApp) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for call in puts(app) {
        let key = call.header("idempotency-key").unwrap().to_owned();
        if !keys.contains(&key) {
            keys.push(key);
        }
    }
    keys
}

/// One journal's detail.
pub async fn journal_detail(
    app: &TestApp,
    number: u64,
    key: &JournalKey,
) -> srm_xero_shared::api::JournalDetail {
    let (status, body) = app
        .get(
            &format!("/api/exports/{number}/journals/{key}"),
            &app.clerk(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_value(body).unwrap()
}

/// Journals in one recorded PUT.
pub fn journals_in(call: &srm_xero_tests::sim::RecordedCall) -> usize {
    let body: Value = serde_json::from_str(&call.body).unwrap();
    body["ManualJournals"].as_array().unwrap().len()
}
