//! Every type of the proxy's API (`shared::api`) against the JSON on the wire, both ways: the
//! document reads as the value, and the value writes as the document. The component and the proxy
//! use these same declarations, so this is the whole contract between them.

mod common;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use std::fmt::Debug;

use chrono::{DateTime, Utc};
use common::{day, dec};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use srm_xero_shared::api::{
    ApiError, ChooseOrganisation, ConnectStart, ConnectionMessage, ConnectionState,
    ConnectionStatus, Counts, DraftAccept, DraftCreated, DraftPiece, DraftReceived, ExportCreated,
    ExportDetail, ExportSearch, ExportStatus, ExportSummary, ExportedLookup, ExportedPostings,
    HistoryEntry, JournalDetail, JournalProblems, JournalRow, JournalState, MappingChange,
    MappingDocument, MappingHistoryEntry, NewDraft, OrganisationRef, Progress, ReferenceSnapshot,
    ResolveRequest, RetryRequest, StreamTicket, VoidInfo, VoidRequest, Waiting,
};
use srm_xero_shared::feed::Source;
use srm_xero_shared::mapping::{
    AccountRule, CodeSource, DimensionMap, Grouping, LineMode, PostAs, RoundingSettings,
    TrackingSettings,
};
use srm_xero_shared::xero::TrackingRef;
use srm_xero_shared::xero::reference::{
    Account, Organisation, ReferenceData, TaxRate, TrackingCategory, TrackingOption,
};
use srm_xero_shared::{
    JournalKey, MappingSettings, Money, PlannedJournal, PlannedLine, Posting, Problem,
};

/// `text` reads as `value`, and `value` writes as `text` (compared as JSON values, so spacing and
/// key order do not matter).
fn wire<T>(text: &str, value: &T)
where
    T: Serialize + DeserializeOwned + PartialEq + Debug,
{
    let read: T = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(&read, value, "reading {text}");
    let written: Value = serde_json::to_value(value).unwrap();
    let document: Value = serde_json::from_str(text).unwrap();
    assert_eq!(written, document, "writing {value:?}");
}

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn key() -> JournalKey {
    JournalKey::from_posting_ids(["GL-1", "GL-2"])
}

const POSTING: &str = r#"{"id": "GL-1", "date": "2019-08-19", "account": "1200", "division": "1",
    "account_description": "A/R Clearing", "debit": "1250.00", "credit": "0", "source": "AR",
    "reference": "INV-1", "memo": "Contract 55812 🚜"}"#;

fn posting() -> Posting {
    Posting {
        id: "GL-1".into(),
        date: day("2019-08-19"),
        account: "1200".into(),
        division: Some("1".into()),
        account_description: "A/R Clearing".into(),
        debit: dec("1250.00"),
        credit: dec("0"),
        source: Source::Ar,
        reference: "INV-1".into(),
        store: None,
        memo: "Contract 55812 🚜".into(),
    }
}

fn settings_text() -> String {
    r#"{"accounts": [{"srm_account": "4100", "division": "2", "xero_code": "4000"}],
        "tracking": {"division": {"category": "Division", "options": {"1": "North ½"}}, "store": null},
        "tax_types": {"4000": "OUTPUT"},
        "rounding": {"account": "860", "tolerance": "0.05", "round_extra_decimals": true},
        "status": "DRAFT", "grouping": "date_store", "lines": "gross",
        "cutoff_date": "2019-01-31",
        "narration_template": "SRM {date} · {group} · key {key}",
        "url_template": "https://srm.example/{export}/{key}"}"#
        .to_owned()
}

fn settings() -> MappingSettings {
    MappingSettings {
        accounts: vec![AccountRule {
            srm_account: "4100".into(),
            division: Some("2".into()),
            xero_code: "4000".into(),
        }],
        tracking: TrackingSettings {
            division: Some(DimensionMap {
                category: "Division".into(),
                options: [("1".to_owned(), "North ½".to_owned())].into(),
            }),
            store: None,
        },
        tax_types: [("4000".to_owned(), "OUTPUT".to_owned())].into(),
        rounding: RoundingSettings {
            account: Some("860".into()),
            tolerance: dec("0.05"),
            round_extra_decimals: true,
        },
        status: PostAs::Draft,
        grouping: Grouping::DateStore,
        lines: LineMode::Gross,
        cutoff_date: Some(day("2019-01-31")),
        narration_template: "SRM {date} · {group} · key {key}".into(),
        url_template: Some("https://srm.example/{export}/{key}".into()),
    }
}

fn row_text() -> String {
    format!(
        r#"{{"key": "{}", "date": "2019-08-19", "group": "Division 1",
            "narration": "SRM daily close 2019-08-19 · Division 1 · key {}", "total": 1250.00,
            "line_count": 2, "state": "voided", "xero_id": null, "xero_url": null,
            "messages": ["Account code '4100' has been archived."],
            "voided": {{"by": "Dana", "at": "2019-08-21T10:00:00Z", "reason": "Keyed by hand"}}}}"#,
        key(),
        key()
    )
}

fn row() -> JournalRow {
    JournalRow {
        key: key(),
        date: day("2019-08-19"),
        group: "Division 1".into(),
        narration: format!("SRM daily close 2019-08-19 · Division 1 · key {}", key()),
        total: Money::from_cents(125_000),
        line_count: 2,
        state: JournalState::Voided,
        xero_id: None,
        xero_url: None,
        messages: vec!["Account code '4100' has been archived.".into()],
        voided: Some(VoidInfo {
            by: "Dana".into(),
            at: at("2019-08-21T10:00:00Z"),
            reason: "Keyed by hand".into(),
        }),
    }
}

fn summary_text() -> &'static str {
    r#"{"number": 12, "from_date": "2019-08-11", "created_at": "2019-08-21T09:30:00Z",
        "created_by": "Dana", "status": "open",
        "counts": {"pending": 1, "posting": 0, "posted": 2, "failed": 1, "voided": 1,
                   "needs_attention": 1},
        "organisation": {"tenant_id": "t-1", "name": "Harbour Rentals Ltd"}}"#
}

fn summary() -> ExportSummary {
    ExportSummary {
        number: 12,
        from_date: day("2019-08-11"),
        created_at: at("2019-08-21T09:30:00Z"),
        created_by: "Dana".into(),
        status: ExportStatus::Open,
        counts: Counts {
            pending: 1,
            posting: 0,
            posted: 2,
            failed: 1,
            voided: 1,
            needs_attention: 1,
        },
        organisation: Some(OrganisationRef {
            tenant_id: "t-1".into(),
            name: "Harbour Rentals Ltd".into(),
        }),
    }
}

both_targets! {
    fn errors_read_and_write_with_their_journal_problems() {
        wire(
            &format!(
                r#"{{"error": "invalid", "message": "journals refused", "journals": [{{"key": "{}",
                    "problems": [{{"too_few_lines": {{"lines": 1}}}}, "nets_to_zero"]}}]}}"#,
                key()
            ),
            &ApiError {
                error: "invalid".into(),
                message: "journals refused".into(),
                journals: vec![JournalProblems {
                    key: key(),
                    problems: vec![Problem::TooFewLines { lines: 1 }, Problem::NetsToZero],
                }],
            },
        );
        wire(
            r#"{"error": "not_found", "message": "no export 9"}"#,
            &ApiError {
                error: "not_found".into(),
                message: "no export 9".into(),
                journals: Vec::new(),
            },
        );
    }

    fn the_connection_and_its_messages() {
        wire(
            r#"{"state": "choosing_organisation", "organisation": null,
                "choices": [{"tenant_id": "t-1", "name": "Acme"}, {"tenant_id": "t-2", "name": "Harbour"}],
                "scopes": ["offline_access"], "last_refreshed_at": "2019-08-21T09:00:00Z",
                "connected_by": "Dana", "message": null}"#,
            &ConnectionStatus {
                state: ConnectionState::ChoosingOrganisation,
                organisation: None,
                choices: vec![
                    OrganisationRef { tenant_id: "t-1".into(), name: "Acme".into() },
                    OrganisationRef { tenant_id: "t-2".into(), name: "Harbour".into() },
                ],
                scopes: vec!["offline_access".into()],
                last_refreshed_at: Some(at("2019-08-21T09:00:00Z")),
                connected_by: Some("Dana".into()),
                message: None,
            },
        );
        wire(
            r#"{"authorize_url": "https://login.xero.com/authorize?state=s"}"#,
            &ConnectStart { authorize_url: "https://login.xero.com/authorize?state=s".into() },
        );
        wire(r#"{"tenant_id": "t-2"}"#, &ChooseOrganisation { tenant_id: "t-2".into() });
        wire(
            r#"{"type": "srm-xero-connection", "ok": true, "state": "connected", "message": "Connected"}"#,
            &ConnectionMessage {
                kind: "srm-xero-connection".into(),
                ok: true,
                state: Some(ConnectionState::Connected),
                message: "Connected".into(),
            },
        );
    }

    fn reference_data_reads_the_fields_planning_uses() {
        let account = Account {
            code: Some("4100".into()),
            name: "Rental Revenue (old)".into(),
            account_type: Some("REVENUE".into()),
            status: Some("ARCHIVED".into()),
            class: Some("REVENUE".into()),
            ..Account::default()
        };
        wire(
            r#"{"reference": {
                  "accounts": [{"Code": "4100", "Name": "Rental Revenue (old)", "Type": "REVENUE",
                                "Status": "ARCHIVED", "Class": "REVENUE"}],
                  "tax_rates": [{"Name": "No Tax", "TaxType": "NONE", "Status": "ACTIVE", "CanApplyToRevenue": true}],
                  "tracking_categories": [{"Name": "Division", "Status": "ACTIVE",
                                           "Options": [{"Name": "1", "Status": "ACTIVE"}]}],
                  "organisation": {"Name": "Acme", "BaseCurrency": "CAD",
                                   "PeriodLockDate": "/Date(1564531200000+0000)/"}},
                "fetched_at": "2019-08-21T09:00:00Z"}"#,
            &ReferenceSnapshot {
                reference: ReferenceData {
                    accounts: vec![account],
                    tax_rates: vec![TaxRate {
                        name: "No Tax".into(),
                        tax_type: "NONE".into(),
                        status: Some("ACTIVE".into()),
                        can_apply_to_revenue: Some(true),
                        ..TaxRate::default()
                    }],
                    tracking_categories: vec![TrackingCategory {
                        name: "Division".into(),
                        status: Some("ACTIVE".into()),
                        options: vec![TrackingOption {
                            name: "1".into(),
                            status: Some("ACTIVE".into()),
                            ..TrackingOption::default()
                        }],
                        ..TrackingCategory::default()
                    }],
                    organisation: Organisation {
                        name: "Acme".into(),
                        base_currency: Some("CAD".into()),
                        period_lock_date: Some(day("2019-07-31")),
                        ..Organisation::default()
                    },
                },
                fetched_at: at("2019-08-21T09:00:00Z"),
            },
        );
        // Xero's other fields (and ones it adds later) are read past, not refused.
        let xero: Account = serde_json::from_str(
            r#"{"Code": "4100", "Name": "Rental Revenue (old)", "ReportingCode": "REV",
                "EnablePaymentsToAccount": false, "UpdatedDateUTC": "/Date(1564531200000+0000)/"}"#,
        )
        .unwrap();
        assert_eq!(xero.code.as_deref(), Some("4100"));
        assert_eq!(xero.name, "Rental Revenue (old)");
    }

    fn the_mapping_its_changes_and_its_history() {
        wire(
            &format!(
                r#"{{"settings": {}, "version": 4, "updated_by": "Lee", "updated_at": "2019-08-20T08:00:00Z"}}"#,
                settings_text()
            ),
            &MappingDocument {
                settings: settings(),
                version: 4,
                updated_by: Some("Lee".into()),
                updated_at: Some(at("2019-08-20T08:00:00Z")),
            },
        );
        wire(
            &format!(r#"{{"settings": {}, "version": 3}}"#, settings_text()),
            &MappingChange { settings: settings(), version: 3 },
        );
        wire(
            &format!(
                r#"{{"version": 4, "settings": {}, "changed_by": "Lee", "changed_at": "2019-08-20T08:00:00Z"}}"#,
                settings_text()
            ),
            &MappingHistoryEntry {
                version: 4,
                settings: settings(),
                changed_by: "Lee".into(),
                changed_at: at("2019-08-20T08:00:00Z"),
            },
        );
        // Settings saved before a field existed read with that field's default; an unknown field
        // is refused.
        let empty: MappingSettings = serde_json::from_str("{}").unwrap();
        assert_eq!(empty, MappingSettings::default());
        assert!(serde_json::from_str::<MappingSettings>(r#"{"colour": "blue"}"#).is_err());
    }

    fn accept_and_what_is_already_exported() {
        wire(
            r#"{"posting_ids": ["GL-1", "GL-2"]}"#,
            &ExportedLookup { posting_ids: vec!["GL-1".into(), "GL-2".into()] },
        );
        wire(
            r#"{"exported": {"GL-6": 11}, "last_exported_date": "2019-08-18"}"#,
            &ExportedPostings {
                exported: [("GL-6".to_owned(), 11)].into_iter().collect(),
                last_exported_date: Some(day("2019-08-18")),
            },
        );
        wire(r#"{"from": "2019-08-19"}"#, &NewDraft { from: day("2019-08-19") });
        wire(
            r#"{"draft": "d_7f3a", "piece_postings": 5000, "max_postings": 1000000,
                "expires_at": "2019-08-21T11:30:00Z"}"#,
            &DraftCreated {
                draft: "d_7f3a".into(),
                piece_postings: 5000,
                max_postings: 1_000_000,
                expires_at: at("2019-08-21T11:30:00Z"),
            },
        );
        wire(&format!(r#"{{"postings": [{POSTING}]}}"#), &DraftPiece { postings: vec![posting()] });
        wire(r#"{"received": 100000}"#, &DraftReceived { received: 100_000 });
        wire(&format!(r#"{{"journals": ["{}"]}}"#, key()), &DraftAccept { journals: vec![key()] });
        wire(r#"{"number": 12}"#, &ExportCreated { number: 12 });
        wire(&format!(r#"{{"journals": ["{}"]}}"#, key()), &RetryRequest { journals: vec![key()] });
        wire(r#"{"reason": "Keyed by hand"}"#, &VoidRequest { reason: "Keyed by hand".into() });
        wire(
            r#"{"manual_journal_id": "6f1c2d3e-0000-4000-8000-000000000000"}"#,
            &ResolveRequest { manual_journal_id: "6f1c2d3e-0000-4000-8000-000000000000".into() },
        );
    }

    fn exports_their_lists_and_their_progress() {
        wire(r#"{"number": 3}"#, &ExportSearch { number: Some(3), ..ExportSearch::default() });
        wire(
            r#"{"from": "2019-08-10", "to": "2019-08-11"}"#,
            &ExportSearch {
                from: Some(day("2019-08-10")),
                to: Some(day("2019-08-11")),
                ..ExportSearch::default()
            },
        );
        wire(summary_text(), &summary());
        wire(
            r#"{"number": 12, "status": "open",
                "counts": {"pending": 3, "posting": 2, "posted": 40, "failed": 0, "voided": 0,
                           "needs_attention": 0},
                "waiting": {"reason": "Xero's rate limit (minute)", "until": "2019-08-21T09:31:00Z"},
                "eta_seconds": 38, "sequence": 7, "complete": false}"#,
            &Progress {
                number: 12,
                status: ExportStatus::Open,
                counts: Counts {
                    pending: 3,
                    posting: 2,
                    posted: 40,
                    failed: 0,
                    voided: 0,
                    needs_attention: 0,
                },
                waiting: Some(Waiting {
                    reason: "Xero's rate limit (minute)".into(),
                    until: Some(at("2019-08-21T09:31:00Z")),
                }),
                eta_seconds: Some(38),
                sequence: 7,
                changes: Vec::new(),
                complete: false,
            },
        );
        wire(
            &format!(
                r#"{{"number": 12, "status": "open",
                    "counts": {{"pending": 0, "posting": 0, "posted": 1, "failed": 0, "voided": 0,
                               "needs_attention": 0}},
                    "waiting": null, "eta_seconds": 0, "sequence": 9, "complete": true,
                    "changes": [{}]}}"#,
                row_text()
            ),
            &Progress {
                number: 12,
                status: ExportStatus::Open,
                counts: Counts { posted: 1, ..Counts::default() },
                waiting: None,
                eta_seconds: Some(0),
                sequence: 9,
                changes: vec![row()],
                complete: true,
            },
        );
        wire(
            &format!(
                r#"{{"summary": {}, "journals": [{}], "waiting": null, "sequence": 8}}"#,
                summary_text(),
                row_text()
            ),
            &ExportDetail { summary: summary(), journals: vec![row()], waiting: None, sequence: 8 },
        );
        wire(
            r#"{"ticket": "st_5f2c", "expires_at": "2019-08-21T09:31:00Z"}"#,
            &StreamTicket { ticket: "st_5f2c".into(), expires_at: at("2019-08-21T09:31:00Z") },
        );
    }

    fn a_journal_with_its_lines_postings_and_history() {
        let journal = format!(
            r#"{{"key": "{}", "date": "2019-08-19", "group": "Division 1", "narration": "SRM · key {}",
                "url": null, "status": "POSTED",
                "lines": [{{"account_code": "1200", "code_source": "same_code",
                            "srm_accounts": [{{"account": "1200", "division": "1", "description": "A/R Clearing"}}],
                            "description": "1200 A/R Clearing", "amount": 1250.00,
                            "tracking": [{{"Name": "Division", "Option": "1"}}], "tax_type": null, "rounding": false}}],
                "postings": ["GL-1", "GL-2"],
                "problems": [{{"inactive_account": {{"code": "4100", "name": "Old", "status": "ARCHIVED"}}}}]}}"#,
            key(),
            key()
        );
        let planned = PlannedJournal {
            key: key(),
            date: day("2019-08-19"),
            group: "Division 1".into(),
            narration: format!("SRM · key {}", key()),
            url: None,
            status: PostAs::Posted,
            lines: vec![PlannedLine {
                account_code: "1200".into(),
                code_source: CodeSource::SameCode,
                srm_accounts: vec![srm_xero_shared::plan::SrmAccount {
                    account: "1200".into(),
                    division: Some("1".into()),
                    description: "A/R Clearing".into(),
                }],
                description: "1200 A/R Clearing".into(),
                amount: Money::from_cents(125_000),
                tracking: vec![TrackingRef {
                    name: "Division".into(),
                    option: "1".into(),
                    ..TrackingRef::default()
                }],
                tax_type: None,
                rounding: false,
            }],
            postings: vec!["GL-1".into(), "GL-2".into()],
            problems: vec![Problem::InactiveAccount {
                code: "4100".into(),
                name: "Old".into(),
                status: "ARCHIVED".into(),
            }],
        };
        wire(
            &format!(
                r#"{{"row": {}, "journal": {journal}, "postings": [{POSTING}],
                    "history": [{{"at": "2019-08-21T09:30:00Z", "who": "Dana", "what": "Created in export 12"}}]}}"#,
                row_text()
            ),
            &JournalDetail {
                row: row(),
                journal: planned,
                postings: vec![posting()],
                history: vec![HistoryEntry {
                    at: at("2019-08-21T09:30:00Z"),
                    who: "Dana".into(),
                    what: "Created in export 12".into(),
                }],
            },
        );
    }

    fn every_state_is_written_by_its_one_name() {
        for state in JournalState::ALL {
            wire(&format!("\"{state}\""), state);
        }
        for status in ExportStatus::ALL {
            wire(&format!("\"{status}\""), status);
        }
        for state in ConnectionState::ALL {
            wire(&format!("\"{state}\""), state);
        }
        for grouping in Grouping::ALL {
            wire(&format!("\"{grouping}\""), grouping);
        }
        for lines in LineMode::ALL {
            wire(&format!("\"{lines}\""), lines);
        }
        for status in PostAs::ALL {
            wire(&format!("\"{status}\""), status);
        }
    }
}

/// Free text (names, reasons, narrations, memos) of arbitrary Unicode survives the trip both ways.
#[cfg(not(target_arch = "wasm32"))]
mod free_text {
    use proptest::prelude::*;

    use super::*;

    fn round_trip<T>(value: &T) -> Result<(), TestCaseError>
    where
        T: Serialize + DeserializeOwned + PartialEq + Debug,
    {
        let text = serde_json::to_string(value).unwrap();
        let read: T = serde_json::from_str(&text).unwrap();
        prop_assert_eq!(&read, value);
        prop_assert_eq!(serde_json::to_string(&read).unwrap(), text);
        Ok(())
    }

    proptest! {
        #[test]
        fn free_text_survives_every_api_type(
            name in any::<String>(),
            reason in any::<String>(),
            narration in any::<String>(),
            template in any::<String>(),
            option in any::<String>(),
        ) {
            let mut detail =
                ExportDetail { summary: summary(), journals: vec![row()], waiting: None, sequence: 3 };
            detail.summary.created_by.clone_from(&name);
            detail.journals[0].group.clone_from(&name);
            detail.journals[0].narration.clone_from(&narration);
            detail.journals[0].messages = vec![reason.clone(), narration.clone()];
            round_trip(&detail)?;
            round_trip(&VoidRequest { reason: reason.clone() })?;
            round_trip(&ResolveRequest { manual_journal_id: reason.clone() })?;
            round_trip(&ConnectionMessage {
                kind: name.clone(),
                ok: false,
                state: None,
                message: reason.clone(),
            })?;
            round_trip(&ApiError { error: name.clone(), message: reason.clone(), journals: Vec::new() })?;
            let mut mapping = settings();
            mapping.narration_template.clone_from(&template);
            mapping.url_template = Some(template.clone());
            mapping.tracking.division = Some(DimensionMap {
                category: name.clone(),
                options: [(name.clone(), option.clone())].into(),
            });
            round_trip(&MappingChange { settings: mapping, version: 1 })?;
            round_trip(&Progress {
                number: 1,
                status: ExportStatus::Open,
                counts: Counts::default(),
                waiting: Some(Waiting { reason: reason.clone(), until: None }),
                eta_seconds: None,
                sequence: 1,
                changes: vec![JournalRow {
                    state: JournalState::Failed,
                    group: name.clone(),
                    messages: vec![reason.clone(), name.clone()],
                    voided: Some(VoidInfo { by: name.clone(), at: at("2019-08-21T09:31:00Z"), reason }),
                    ..row()
                }],
                complete: true,
            })?;
        }
    }
}
