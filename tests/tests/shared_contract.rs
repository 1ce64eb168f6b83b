//! The shared crate's Xero wire types against Xero's official OpenAPI spec: what we send validates
//! against the schemas, the spec's example journals read into our types without loss, and its
//! reference data answers into the fields planning uses, each holding what the example said.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use srm_xero_shared::feed::parse_page;
use srm_xero_shared::xero::dates::parse_any;
use srm_xero_shared::xero::reference::{
    Accounts, Organisations, ReferenceData, TaxRates, TrackingCategories,
};
use srm_xero_shared::xero::{ApiException, ManualJournals, ValidationError};
use srm_xero_shared::{MappingSettings, PlanRequest, PlannedJournal, plan};
use srm_xero_tests::openapi::{Spec, SpecFile, load_or_skip};

fn spec(test: &str) -> Option<Spec> {
    load_or_skip(SpecFile::Accounting, test)
}

/// A request made the way the product makes it: feed → plan → `ManualJournals`.
fn planned_request() -> ManualJournals {
    let feed = r#"{"company":"Acme","currency":"CAD","next_cursor":null,"postings":[
      {"id":"GL-1","date":"2019-08-19","account":"1200","division":"1","debit":"1250.00","credit":"0","source":"AR","reference":"INV-1"},
      {"id":"GL-2","date":"2019-08-19","account":"4000","division":"1","debit":"0","credit":"1000.10","source":"AR","reference":"INV-1"},
      {"id":"GL-3","date":"2019-08-19","account":"2200","division":"1","debit":"0","credit":"249.90","source":"AR","reference":"INV-1"},
      {"id":"GL-4","date":"2019-08-20","account":"1200","debit":"0.1","credit":"0","source":"CR"},
      {"id":"GL-5","date":"2019-08-20","account":"1100","debit":"0","credit":"0.1","source":"CR"}]}"#;
    let postings = parse_page(feed).unwrap().postings;
    let settings = MappingSettings {
        url_template: Some("https://srm.example/backoffice/daily-close/export/{export}".into()),
        tax_types: [("4000".to_owned(), "OUTPUT".to_owned())].into(),
        ..MappingSettings::default()
    };
    let plan = plan(&PlanRequest {
        postings: &postings,
        settings: &settings,
        exported: &HashMap::new(),
        from: NaiveDate::from_ymd_opt(2019, 8, 1).unwrap(),
        export_number: Some(12),
        reference: &ReferenceData::default(),
    });
    ManualJournals {
        manual_journals: plan.journals.iter().map(PlannedJournal::to_xero).collect(),
        ..ManualJournals::default()
    }
}

/// Serialises through text, as the wire does.
fn wire<T: Serialize>(value: &T) -> Value {
    serde_json::from_str(&serde_json::to_string(value).unwrap()).unwrap()
}

/// Everything in `original` is in `ours`: same keys and values (numbers by value, a Xero date in
/// either of Xero's forms), so a round trip through our types lost nothing.
fn assert_nothing_lost(original: &Value, ours: &Value, path: &str) {
    match (original, ours) {
        (Value::Object(a), Value::Object(b)) => {
            for (key, value) in a {
                let theirs = b
                    .get(key)
                    .unwrap_or_else(|| panic!("{path}/{key} was lost"));
                assert_nothing_lost(value, theirs, &format!("{path}/{key}"));
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "{path}: array length changed");
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                assert_nothing_lost(x, y, &format!("{path}/{i}"));
            }
        }
        (Value::Number(a), Value::Number(b)) => assert_eq!(a.as_f64(), b.as_f64(), "{path}"),
        (Value::String(a), Value::String(b)) if a != b => {
            let same_day =
                a.starts_with("/Date(") && parse_any(a).is_some() && parse_any(a) == parse_any(b);
            assert!(same_day, "{path}: {a:?} became {b:?}");
        }
        _ => assert_eq!(original, ours, "{path}"),
    }
}

/// Reads a spec example into `T`, whose every field holds what the example said: the types keep
/// only the fields planning uses and read past the rest.
fn read_kept<T: Serialize + DeserializeOwned>(example: &Value, what: &str) {
    let text = serde_json::to_string(example).unwrap();
    let ours: T =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what} example does not read: {e}"));
    assert_nothing_lost(&wire(&ours), example, what);
}

fn round_trip<T: Serialize + DeserializeOwned>(example: &Value, what: &str) {
    let text = serde_json::to_string(example).unwrap();
    let ours: T =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what} example does not read: {e}"));
    assert_nothing_lost(example, &wire(&ours), what);
}

#[test]
fn manual_journal_requests_validate_against_the_spec() {
    let Some(spec) = spec("manual_journal_requests_validate_against_the_spec") else {
        return;
    };
    let request = planned_request();
    assert_eq!(request.manual_journals.len(), 2);
    let body = wire(&request);
    spec.check("ManualJournals", &body).unwrap();
    // Amounts go as numbers with two decimals, exactly.
    let text = serde_json::to_string(&request).unwrap();
    assert!(text.contains(r#""LineAmount":-1000.10"#), "{text}");
    assert!(text.contains(r#""LineAmount":0.10"#), "{text}");
    assert!(text.contains(r#""Date":"2019-08-19""#), "{text}");
    assert!(text.contains(r#""Status":"POSTED""#) && text.contains(r#""LineAmountTypes":"NoTax""#));
    // And a wrong body really is refused, so the check can fail.
    let mut broken = body.clone();
    broken["ManualJournals"][0]["Status"] = json!("SENT");
    assert!(spec.check("ManualJournals", &broken).is_err());
}

#[test]
fn validation_answers_we_model_validate_against_the_error_schema() {
    let Some(spec) = spec("validation_answers_we_model_validate_against_the_error_schema") else {
        return;
    };
    let mut element = planned_request().manual_journals.remove(0);
    element.validation_errors = vec![ValidationError {
        message: "The total debits (100.00) must equal total credits (-10.00)".into(),
    }];
    let error = ApiException {
        error_number: 10,
        kind: "ValidationException".into(),
        message: "A validation exception occurred".into(),
        elements: vec![element],
    };
    spec.check("Error", &wire(&error)).unwrap();
    let back: ApiException = serde_json::from_str(&serde_json::to_string(&error).unwrap()).unwrap();
    assert_eq!(back, error);
}

#[test]
fn the_specs_manual_journal_answers_read_without_loss() {
    let Some(spec) = spec("the_specs_manual_journal_answers_read_without_loss") else {
        return;
    };
    for (path, method) in [
        ("/ManualJournals", "put"),
        ("/ManualJournals", "get"),
        ("/ManualJournals/{ManualJournalID}", "get"),
    ] {
        let example = spec.response_example(path, method, "200");
        spec.check("ManualJournals", &example).unwrap();
        round_trip::<ManualJournals>(&example, &format!("{method} {path}"));
    }
    let put = spec.response_example("/ManualJournals", "put", "200");
    let answer: ManualJournals = serde_json::from_str(&put.to_string()).unwrap();
    let journal = &answer.manual_journals[0];
    assert_eq!(
        journal.manual_journal_id.as_deref(),
        Some("d312dd5e-a53e-46d1-9d51-c569ef4570b7")
    );
    assert_eq!(journal.date, NaiveDate::from_ymd_opt(2019, 3, 14));
    assert_eq!(
        journal.journal_lines[1].line_amount.to_plain_string(),
        "-100.00"
    );
    assert_eq!(journal.warnings.len(), 1);
}

#[test]
fn the_specs_reference_data_answers_read_into_the_fields_planning_uses() {
    let Some(spec) = spec("the_specs_reference_data_answers_read_into_the_fields_planning_uses")
    else {
        return;
    };
    let accounts = spec.response_example("/Accounts", "get", "200");
    read_kept::<Accounts>(&accounts, "Accounts");
    read_kept::<TaxRates>(
        &spec.response_example("/TaxRates", "get", "200"),
        "TaxRates",
    );
    read_kept::<TrackingCategories>(
        &spec.response_example("/TrackingCategories", "get", "200"),
        "TrackingCategories",
    );
    let organisation = spec.response_example("/Organisation", "get", "200");
    read_kept::<Organisations>(&organisation, "Organisation");
    let org: Organisations = serde_json::from_value(organisation).unwrap();
    assert_eq!(
        org.organisations[0].period_lock_date,
        NaiveDate::from_ymd_opt(2018, 12, 31)
    );
    let accounts: Accounts = serde_json::from_value(accounts).unwrap();
    assert_eq!(accounts.accounts[1].code.as_deref(), Some("200"));
    assert_eq!(accounts.accounts[0].account_type.as_deref(), Some("BANK"));
}
