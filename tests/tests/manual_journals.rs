//! ManualJournals through the simulator: creation and defaults, summarizeErrors both ways (and the
//! reported save-anyway quirk), element order, where/page/by-id reads, and each answer validated
//! against the official schemas.

mod common;

use common::{balanced, body_json, errors_of, start, start_with, wrap};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use srm_xero_tests::demo::org::ACME_TENANT_ID;
use srm_xero_tests::openapi::{self, SpecFile};
use srm_xero_tests::sim::{ElementOrder, Settings, Simulator};

fn spec(test: &str) -> Option<openapi::Spec> {
    openapi::load_or_skip(SpecFile::Accounting, test)
}

#[tokio::test]
async fn a_balanced_journal_is_stored_and_answered_in_xeros_shape() {
    let t = start().await;
    let answer = t
        .put_journals(&wrap(vec![balanced("SRM key k1", "2019-08-19")]), false)
        .await;
    assert_eq!(answer.status(), StatusCode::OK);
    let text = answer.text().await.unwrap();
    assert!(
        text.contains("\"LineAmount\":125,") || text.contains("\"LineAmount\":125}"),
        "amount kept exactly: {text}"
    );
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(body["Status"], "OK");
    assert!(body["DateTimeUTC"].as_str().unwrap().starts_with("/Date("));
    let element = &body["ManualJournals"][0];
    assert_eq!(element["StatusAttributeString"], "OK");
    assert_eq!(element["Date"], "/Date(1566172800000+0000)/");
    assert_eq!(element["Status"], "POSTED");
    assert_eq!(
        element["JournalLines"][0]["Tracking"][0]["Option"],
        "Vancouver"
    );
    let stored = t.sim.journals();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        element["ManualJournalID"],
        stored[0].manual_journal_id.as_str()
    );
    if let Some(spec) = spec("PUT ManualJournals 200") {
        spec.check("ManualJournals", &body).unwrap();
    }
}

#[tokio::test]
async fn omitted_status_type_and_date_default_to_draft_notax_and_today() {
    let t = start().await;
    let journal = json!({"Narration": "defaults", "JournalLines": [
        {"LineAmount": 10, "AccountCode": "1200"}, {"LineAmount": -10, "AccountCode": "4000"}]});
    let body = body_json(t.put_journals(&wrap(vec![journal]), false).await).await;
    let element = &body["ManualJournals"][0];
    assert_eq!(element["Status"], "DRAFT");
    assert_eq!(element["LineAmountTypes"], "NoTax");
    assert_eq!(
        element["Date"], "/Date(1566259200000+0000)/",
        "today is 2019-08-20"
    );
}

#[tokio::test]
async fn with_summarize_errors_false_each_element_carries_its_own_verdict() {
    let t = start().await;
    let mut bad = balanced("bad", "2019-08-19");
    bad["JournalLines"][0]["LineAmount"] = json!(100);
    let answer = t
        .put_journals(&wrap(vec![balanced("good", "2019-08-19"), bad]), false)
        .await;
    assert_eq!(answer.status(), StatusCode::OK);
    let body = body_json(answer).await;
    assert_eq!(body["ManualJournals"][0]["StatusAttributeString"], "OK");
    assert_eq!(body["ManualJournals"][1]["StatusAttributeString"], "ERROR");
    assert_eq!(
        errors_of(&body["ManualJournals"][1]),
        ["The total debits (100.00) must equal total credits (-125.00)"]
    );
    assert_eq!(t.sim.journals().len(), 1);
    if let Some(spec) = spec("PUT ManualJournals mixed 200") {
        spec.check("ManualJournals", &body).unwrap();
    }
}

#[tokio::test]
async fn a_summarised_call_with_one_bad_journal_is_a_400_validation_exception_saving_nothing() {
    let t = start().await;
    let mut bad = balanced("bad", "2019-08-19");
    bad["JournalLines"] = json!([{"LineAmount": 5, "AccountCode": "1200"}]);
    let answer = t
        .put_journals(&wrap(vec![balanced("good", "2019-08-19"), bad]), true)
        .await;
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    let body = body_json(answer).await;
    assert_eq!(body["ErrorNumber"], 10);
    assert_eq!(body["Type"], "ValidationException");
    assert_eq!(body["Message"], "A validation exception occurred");
    assert_eq!(body["Elements"][0]["Narration"], "bad");
    assert_eq!(t.sim.journals().len(), 0);
    if let Some(spec) = spec("PUT ManualJournals 400") {
        spec.check("Error", &body).unwrap();
        spec.check_array_of("ManualJournal", &body["Elements"])
            .unwrap();
    }
}

#[tokio::test]
async fn behind_a_setting_a_summarised_400_still_saves_the_valid_journals() {
    let settings = Settings {
        save_valid_in_failed_batch: true,
        ..Settings::default()
    };
    let t = start_with(Simulator::new().settings(settings)).await;
    let mut bad = balanced("bad", "2019-08-19");
    bad["JournalLines"][1]["LineAmount"] = json!(-1);
    let answer = t
        .put_journals(&wrap(vec![balanced("good", "2019-08-19"), bad]), true)
        .await;
    assert_eq!(answer.status(), StatusCode::BAD_REQUEST);
    let body = body_json(answer).await;
    assert!(
        body["Elements"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e.get("ManualJournalID").is_none())
    );
    let stored: Vec<String> = t.sim.journals().into_iter().map(|j| j.narration).collect();
    assert_eq!(stored, ["good"]);
}

#[tokio::test]
async fn answers_can_be_reversed_or_shuffled_so_clients_must_match_by_narration() {
    for order in [ElementOrder::Reversed, ElementOrder::Shuffled(3)] {
        let settings = Settings {
            element_order: order,
            ..Settings::default()
        };
        let t = start_with(Simulator::new().settings(settings)).await;
        let sent: Vec<Value> = (0..6)
            .map(|i| balanced(&format!("key {i}"), "2019-08-19"))
            .collect();
        let body = body_json(t.put_journals(&wrap(sent), false).await).await;
        let got: Vec<&str> = body["ManualJournals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["Narration"].as_str().unwrap())
            .collect();
        assert_ne!(
            got,
            ["key 0", "key 1", "key 2", "key 3", "key 4", "key 5"],
            "{order:?}"
        );
        let mut sorted = got.clone();
        sorted.sort_unstable();
        assert_eq!(
            sorted,
            ["key 0", "key 1", "key 2", "key 3", "key 4", "key 5"]
        );
    }
}

#[tokio::test]
async fn journals_are_found_by_narration_equality_or_contains_and_by_id() {
    let t = start().await;
    let sent = vec![
        balanced("SRM daily close · key abc123", "2019-08-19"),
        balanced("SRM daily close · key def456", "2019-08-19"),
    ];
    t.put_journals(&wrap(sent), false).await;
    let exact = body_json(t.get("/ManualJournals?where=Narration%3D%3D%22SRM%20daily%20close%20%C2%B7%20key%20abc123%22").await).await;
    assert_eq!(exact["ManualJournals"].as_array().unwrap().len(), 1);
    assert_eq!(
        exact["ManualJournals"][0]["JournalLines"],
        json!([]),
        "a list GET without page has no lines"
    );
    let contains = body_json(
        t.get("/ManualJournals?where=Narration.Contains(%22def456%22)&page=1")
            .await,
    )
    .await;
    let found = &contains["ManualJournals"][0];
    assert_eq!(found["Narration"], "SRM daily close · key def456");
    assert_eq!(
        found["JournalLines"].as_array().unwrap().len(),
        2,
        "a paged GET has lines"
    );
    let id = found["ManualJournalID"].as_str().unwrap();
    let one = body_json(t.get(&format!("/ManualJournals/{id}")).await).await;
    assert_eq!(one["ManualJournals"][0]["ManualJournalID"], id);
    if let Some(spec) = spec("GET ManualJournals") {
        for body in [&exact, &contains, &one] {
            spec.check("ManualJournals", body).unwrap();
        }
    }
}

#[tokio::test]
async fn a_where_of_ors_finds_a_whole_batch_in_one_call_and_a_bad_one_is_a_400() {
    let t = start().await;
    let sent: Vec<Value> = ["key aaa", "key bbb", "key ccc"]
        .iter()
        .map(|n| balanced(&format!("SRM · {n}"), "2019-08-19"))
        .collect();
    t.put_journals(&wrap(sent), false).await;
    let query = |clause: &str| {
        let mut url = reqwest::Url::parse("http://x/ManualJournals").unwrap();
        url.query_pairs_mut()
            .append_pair("where", clause)
            .append_pair("page", "1");
        format!("/ManualJournals?{}", url.query().unwrap())
    };
    let narrations = |v: &Value| {
        let mut all: Vec<String> = v["ManualJournals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["Narration"].as_str().unwrap().to_owned())
            .collect();
        all.sort();
        all
    };
    let both = body_json(
        t.get(&query(
            r#"Narration.Contains("key aaa") OR Narration.Contains("key ccc")"#,
        ))
        .await,
    )
    .await;
    assert_eq!(narrations(&both), ["SRM · key aaa", "SRM · key ccc"]);
    let grouped = body_json(
        t.get(&query(
            r#"(Narration.Contains("key a") || Narration.EndsWith("bbb")) AND Status=="POSTED""#,
        ))
        .await,
    )
    .await;
    assert_eq!(narrations(&grouped), ["SRM · key aaa", "SRM · key bbb"]);
    let bad = t.get(&query(r#"Reference=="x""#)).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    assert_eq!(body_json(bad).await["Type"], "QueryParseException");
}

#[tokio::test]
async fn pages_hold_one_hundred_journals() {
    let t = start().await;
    for batch in 0..3 {
        let sent: Vec<Value> = (0..50)
            .map(|i| balanced(&format!("b{batch} j{i}"), "2019-08-19"))
            .collect();
        assert_eq!(
            t.put_journals(&wrap(sent), false).await.status(),
            StatusCode::OK
        );
    }
    let count = |v: &Value| v["ManualJournals"].as_array().unwrap().len();
    assert_eq!(
        count(&body_json(t.get("/ManualJournals?page=1").await).await),
        100
    );
    let second = body_json(t.get("/ManualJournals?page=2").await).await;
    assert_eq!(count(&second), 50);
    assert_eq!(second["pagination"]["itemCount"], 150);
    assert_eq!(
        count(&body_json(t.get("/ManualJournals?page=3").await).await),
        0
    );
}

#[tokio::test]
async fn an_unknown_journal_id_is_a_plain_text_404() {
    let t = start().await;
    let answer = t
        .get("/ManualJournals/00000000-0000-4000-8000-000000000000")
        .await;
    assert_eq!(answer.status(), StatusCode::NOT_FOUND);
    assert!(
        common::header(&answer, "content-type")
            .unwrap()
            .starts_with("text/plain")
    );
}

#[tokio::test]
async fn reference_data_validates_against_the_schemas_and_honours_if_modified_since() {
    let t = start().await;
    let mut bodies = Vec::new();
    for (path, schema) in [
        ("/Accounts", "Accounts"),
        ("/TaxRates", "TaxRates"),
        ("/TrackingCategories", "TrackingCategories"),
        ("/Organisation", "Organisations"),
    ] {
        let answer = t.get(path).await;
        assert_eq!(answer.status(), StatusCode::OK, "{path}");
        bodies.push((schema, body_json(answer).await));
    }
    let org = &bodies[3].1["Organisations"][0];
    assert_eq!(org["Name"], "Acme Equipment Rentals");
    assert_eq!(org["BaseCurrency"], "CAD");
    assert_eq!(
        org["PeriodLockDate"], "/Date(1562371200000+0000)/",
        "45 days before 2019-08-20"
    );
    if let Some(spec) = spec("reference data") {
        for (schema, body) in &bodies {
            spec.check(schema, body).unwrap();
        }
    }
    let later = "Tue, 20 Aug 2019 09:00:00 GMT";
    let unchanged = t
        .api(Method::GET, "/Organisation")
        .header("If-Modified-Since", later)
        .send()
        .await
        .unwrap();
    assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED);
    let accounts = body_json(
        t.api(Method::GET, "/Accounts")
            .header("If-Modified-Since", later)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(accounts["Accounts"], json!([]));
    t.sim.clock().advance(std::time::Duration::from_mins(10));
    t.sim.update_org(ACME_TENANT_ID, |o| {
        o.period_lock_date = None;
    });
    let changed = t
        .api(Method::GET, "/Organisation")
        .header("If-Modified-Since", later)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), StatusCode::OK);
    assert!(
        body_json(changed).await["Organisations"][0]
            .get("PeriodLockDate")
            .is_none()
    );
}

/// The list's `where` with `page=1`, form-encoded.
fn where_page(clause: &str) -> String {
    let mut url = reqwest::Url::parse("http://x/ManualJournals").unwrap();
    url.query_pairs_mut()
        .append_pair("where", clause)
        .append_pair("page", "1");
    format!("/ManualJournals?{}", url.query().unwrap())
}

fn ids_of(list: &Value) -> Vec<String> {
    let mut ids: Vec<String> = list["ManualJournals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["ManualJournalID"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn what_a_person_changes_in_xero_is_found_by_if_modified_since_and_a_date_range() {
    let t = start().await;
    let mut draft = balanced("SRM · key ddd", "2019-08-18");
    draft["Status"] = json!("DRAFT");
    let sent = vec![
        balanced("SRM · key aaa", "2019-08-19"),
        balanced("SRM · key bbb", "2019-08-19"),
        draft,
        balanced("SRM · key ccc", "2019-07-31"),
    ];
    t.put_journals(&wrap(sent), false).await;
    let stored = t.sim.journals();
    let id = |n: usize| stored[n].manual_journal_id.clone();
    let posted_at = t.sim.clock().now();
    t.sim.clock().advance(std::time::Duration::from_mins(10));

    // Xero's screens: void a posted journal, delete a draft, edit amounts (still balanced).
    assert!(
        t.sim.delete_journal(ACME_TENANT_ID, &id(0)).is_err(),
        "posted: void it"
    );
    t.sim.void_journal(ACME_TENANT_ID, &id(0)).unwrap();
    t.sim.delete_journal(ACME_TENANT_ID, &id(2)).unwrap();
    let edit = srm_xero_tests::sim::JournalEdit::of(&stored[1])
        .grown_by(rust_decimal::Decimal::new(2_500, 2));
    t.sim.edit_journal(ACME_TENANT_ID, &id(1), &edit).unwrap();
    let mut lopsided = srm_xero_tests::sim::JournalEdit::of(&stored[3]);
    lopsided.lines[0].line_amount += rust_decimal::Decimal::ONE;
    assert!(
        t.sim
            .edit_journal(ACME_TENANT_ID, &id(3), &lopsided)
            .is_err()
    );

    // Changed since the posting: exactly the three a person touched, with their new state.
    let since = posted_at.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    let changed: Value = body_json(
        t.api(Method::GET, "/ManualJournals?page=1")
            .header("If-Modified-Since", &since)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let mut expected = vec![id(0), id(1), id(2)];
    expected.sort();
    assert_eq!(ids_of(&changed), expected);
    let by_id = |list: &Value, want: &str| {
        list["ManualJournals"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["ManualJournalID"] == want)
            .cloned()
            .unwrap()
    };
    assert_eq!(by_id(&changed, &id(0))["Status"], "VOIDED");
    assert_eq!(by_id(&changed, &id(2))["Status"], "DELETED");
    assert_eq!(
        by_id(&changed, &id(1))["JournalLines"][0]["LineAmount"],
        json!(150.0)
    );

    // A range of days, in Xero's DateTime form; deleted journals listed or not (unconfirmed).
    let august = where_page("Date >= DateTime(2019,08,01) AND Date <= DateTime(2019,08,31)");
    let mut in_august = vec![id(0), id(1), id(2)];
    in_august.sort();
    assert_eq!(ids_of(&body_json(t.get(&august).await).await), in_august);
    t.sim.update_settings(|s| s.list_deleted = false);
    let mut kept = vec![id(0), id(1)];
    kept.sort();
    assert_eq!(ids_of(&body_json(t.get(&august).await).await), kept);
    let two = where_page(&format!(
        r#"ManualJournalID==Guid("{}") OR ManualJournalID==Guid("{}")"#,
        id(3).to_uppercase(),
        id(1)
    ));
    let mut both = vec![id(1), id(3)];
    both.sort();
    assert_eq!(ids_of(&body_json(t.get(&two).await).await), both);
    if let Some(spec) = spec("GET ManualJournals changed") {
        spec.check("ManualJournals", &changed).unwrap();
    }
}
