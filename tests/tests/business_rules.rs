//! Each Xero business rule the simulator enforces, with the message it answers.

mod common;

use common::{balanced, body_json, errors_of, start, start_with, warnings_of, wrap};
use serde_json::{Value, json};
use srm_xero_tests::sim::{Settings, Simulator, ThirdDecimal};

async fn verdict(t: &common::TestSim, journal: Value) -> Value {
    let body = body_json(t.put_journals(&wrap(vec![journal]), false).await).await;
    body["ManualJournals"][0].clone()
}

fn lines(lines: Value) -> Value {
    let mut j = balanced("rule", "2019-08-19");
    j["JournalLines"] = lines;
    j
}

#[tokio::test]
async fn a_journal_needs_at_least_two_lines() {
    let t = start().await;
    let v = verdict(&t, lines(json!([{"LineAmount": 0, "AccountCode": "1200"}]))).await;
    assert_eq!(
        errors_of(&v),
        [
            "The manualJournalLines element must contain at least two individual manualJournalLine sub-elements"
        ]
    );
}

#[tokio::test]
async fn debits_must_equal_credits() {
    let t = start().await;
    let v = verdict(&t, lines(json!([{"LineAmount": 100, "AccountCode": "1200"}, {"LineAmount": -10, "AccountCode": "4000"}]))).await;
    assert_eq!(
        errors_of(&v),
        ["The total debits (100.00) must equal total credits (-10.00)"]
    );
}

#[tokio::test]
async fn an_unknown_account_is_dropped_with_a_warning_which_can_unbalance_the_journal() {
    let t = start().await;
    let v = verdict(&t, lines(json!([{"LineAmount": 10, "AccountCode": "1200"}, {"LineAmount": -10, "AccountCode": "476"}]))).await;
    assert_eq!(
        warnings_of(&v),
        ["Account code '476' has been removed as it does not match a recognised account."]
    );
    assert!(
        errors_of(&v)
            .iter()
            .any(|e| e.starts_with("The manualJournalLines element"))
    );
    assert_eq!(v["StatusAttributeString"], "ERROR");

    let three = lines(
        json!([{"LineAmount": 10, "AccountCode": "1200"}, {"LineAmount": -10, "AccountCode": "4000"}, {"LineAmount": 0, "AccountCode": "476"}]),
    );
    let v = verdict(&t, three).await;
    assert_eq!(v["StatusAttributeString"], "WARNING");
    assert_eq!(v["JournalLines"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn archived_and_refusing_system_accounts_cannot_take_lines_but_rounding_can() {
    let t = start().await;
    for code in ["4950", "1100", "2000", "3100"] {
        let v = verdict(&t, lines(json!([{"LineAmount": 10, "AccountCode": "1200"}, {"LineAmount": -10, "AccountCode": code}]))).await;
        assert_eq!(v["StatusAttributeString"], "ERROR", "{code}");
        assert!(
            errors_of(&v)[0].contains(&format!("'{code}'")),
            "{code}: {v}"
        );
    }
    let v = verdict(&t, lines(json!([{"LineAmount": 0.01, "AccountCode": "1200"}, {"LineAmount": -0.01, "AccountCode": "8600"}]))).await;
    assert_eq!(v["StatusAttributeString"], "OK");
}

#[tokio::test]
async fn bank_accounts_are_refused_only_behind_the_unconfirmed_setting() {
    let bank = lines(
        json!([{"LineAmount": 10, "AccountCode": "1000"}, {"LineAmount": -10, "AccountCode": "1200"}]),
    );
    assert_eq!(
        verdict(&start().await, bank.clone()).await["StatusAttributeString"],
        "OK"
    );
    let strict = start_with(Simulator::new().settings(Settings {
        refuse_bank_accounts: true,
        ..Settings::default()
    }))
    .await;
    assert_eq!(
        verdict(&strict, bank).await["StatusAttributeString"],
        "ERROR"
    );
}

#[tokio::test]
async fn a_tax_type_must_fit_the_account() {
    let t = start().await;
    let v = verdict(&t, lines(json!([{"LineAmount": 10, "AccountCode": "1200"}, {"LineAmount": -10, "AccountCode": "4000", "TaxType": "INPUT"}]))).await;
    assert_eq!(
        errors_of(&v),
        ["The TaxType code 'INPUT' cannot be used with account code '4000'."]
    );
}

#[tokio::test]
async fn tracking_must_name_an_existing_category_and_option_and_at_most_two() {
    let t = start().await;
    let with = |tracking: Value| {
        lines(
            json!([{"LineAmount": 10, "AccountCode": "1200", "Tracking": tracking}, {"LineAmount": -10, "AccountCode": "4000"}]),
        )
    };
    let v = verdict(&t, with(json!([{"Name": "Division", "Option": "Toronto"}]))).await;
    assert_eq!(
        errors_of(&v),
        ["The tracking option 'Toronto' does not exist in tracking category 'Division'."]
    );
    let v = verdict(&t, with(json!([{"Name": "Region", "Option": "West"}]))).await;
    assert_eq!(
        errors_of(&v),
        ["The tracking category 'Region' does not exist."]
    );
    let three = json!([{"Name": "Division", "Option": "Calgary"}, {"Name": "Division", "Option": "Calgary"}, {"Name": "Division", "Option": "Calgary"}]);
    assert!(
        errors_of(&verdict(&t, with(three)).await)
            .contains(&"A line may have at most 2 tracking categories.".to_owned())
    );
    // Reported: a Name without an Option silently loses its tracking.
    let v = verdict(&t, with(json!([{"Name": "Division"}]))).await;
    assert_eq!(v["StatusAttributeString"], "OK");
    assert_eq!(v["JournalLines"][0]["Tracking"], json!([]));
}

#[tokio::test]
async fn posted_journals_inside_the_lock_dates_are_refused_but_drafts_are_saved() {
    let t = start().await;
    let v = verdict(&t, balanced("locked", "2019-07-06")).await;
    assert_eq!(
        errors_of(&v),
        ["The document date cannot be before the period lock date, currently set at 06-Jul-2019"]
    );
    assert_eq!(
        verdict(&t, balanced("open", "2019-07-07")).await["StatusAttributeString"],
        "OK"
    );
    let v = verdict(&t, balanced("year end", "2017-06-30")).await;
    assert_eq!(
        errors_of(&v),
        [
            "The document date cannot be before the end of year lock date, currently set at 31-Dec-2017"
        ]
    );
    let mut draft = balanced("draft", "2019-07-01");
    draft["Status"] = json!("DRAFT");
    assert_eq!(verdict(&t, draft).await["StatusAttributeString"], "OK");
}

#[tokio::test]
async fn a_third_decimal_is_refused_or_rounded_as_set() {
    let body = r#"{"ManualJournals":[{"Narration":"cents","Date":"2019-08-19","Status":"POSTED","JournalLines":[
        {"LineAmount":10.005,"AccountCode":"1200"},{"LineAmount":-10.005,"AccountCode":"4000"}]}]}"#;
    let send = |t: &common::TestSim| {
        t.api(
            reqwest::Method::PUT,
            "/ManualJournals?summarizeErrors=false",
        )
        .header("content-type", "application/json")
        .body(body)
        .send()
    };
    let t = start().await;
    let v = body_json(send(&t).await.unwrap()).await;
    assert_eq!(
        errors_of(&v["ManualJournals"][0])[0],
        "LineAmount 10.005 has more than two decimal places."
    );
    let lenient = start_with(Simulator::new().settings(Settings {
        third_decimal: ThirdDecimal::Round,
        ..Settings::default()
    }))
    .await;
    let v = body_json(send(&lenient).await.unwrap()).await;
    assert_eq!(v["ManualJournals"][0]["StatusAttributeString"], "OK");
    assert_eq!(
        lenient.sim.journals()[0].lines[0].line_amount.to_string(),
        "10.01"
    );
}

#[tokio::test]
async fn amounts_are_read_exactly_from_the_json_text() {
    let t = start().await;
    let body = r#"{"ManualJournals":[{"Narration":"exact","Date":"2019-08-19","Status":"POSTED","JournalLines":[
        {"LineAmount":0.10,"AccountCode":"1200"},{"LineAmount":0.20,"AccountCode":"1200"},{"LineAmount":-0.30,"AccountCode":"4000"}]}]}"#;
    let answer = t
        .api(
            reqwest::Method::PUT,
            "/ManualJournals?summarizeErrors=false",
        )
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        body_json(answer).await["ManualJournals"][0]["StatusAttributeString"],
        "OK",
        "0.1 + 0.2 == 0.3 in decimals"
    );
}

#[tokio::test]
async fn narration_and_description_limits_are_settings() {
    let settings = Settings {
        max_narration: Some(10),
        max_description: Some(5),
        ..Settings::default()
    };
    let t = start_with(Simulator::new().settings(settings)).await;
    let v = verdict(&t, balanced("a narration longer than ten", "2019-08-19")).await;
    let errors = errors_of(&v);
    assert!(
        errors.contains(&"Narration must not exceed 10 characters.".to_owned()),
        "{errors:?}"
    );
    assert!(
        errors.contains(&"Description must not exceed 5 characters.".to_owned()),
        "{errors:?}"
    );
}
