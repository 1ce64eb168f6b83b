//! Fixtures for the tests (native reducer tests and the browser component tests): a small Xero
//! organisation, a G/L feed with one journal that has a problem, and an export in every state.

use chrono::{NaiveDate, TimeZone, Utc};
use srm_xero_shared::api::{
    ConnectionState, ConnectionStatus, Counts, ExportDetail, ExportStatus, ExportSummary,
    ExportedPostings, HistoryEntry, JournalDetail, JournalRow, JournalState, MappingDocument,
    OrganisationRef, Progress, ReferenceSnapshot, VoidInfo,
};
use srm_xero_shared::feed::parse_page;
use srm_xero_shared::{JournalKey, MappingSettings, Money, Posting, ReferenceData};

/// The organisation's accounts: 4100 is archived, 1100 is the DEBTORS system account.
pub const REFERENCE_JSON: &str = r#"{
  "accounts": [
    {"Code": "1100", "Name": "Accounts Receivable", "Type": "CURRLIAB", "Class": "ASSET", "SystemAccount": "DEBTORS"},
    {"Code": "1200", "Name": "SRM A/R Clearing", "Type": "CURRENT", "Class": "ASSET"},
    {"Code": "4000", "Name": "Rental Revenue", "Type": "REVENUE", "Class": "REVENUE"},
    {"Code": "4100", "Name": "Rental Revenue (old)", "Type": "REVENUE", "Class": "REVENUE", "Status": "ARCHIVED"},
    {"Code": "4010", "Name": "Rental Revenue - Equipment", "Type": "REVENUE", "Class": "REVENUE"},
    {"Code": "860", "Name": "Rounding", "Type": "CURRLIAB", "Class": "LIABILITY", "SystemAccount": "ROUNDING"}
  ],
  "tax_rates": [
    {"Name": "No Tax", "TaxType": "NONE", "Status": "ACTIVE"}
  ],
  "tracking_categories": [
    {"Name": "Division", "Status": "ACTIVE", "Options": [{"Name": "1"}, {"Name": "2"}]}
  ],
  "organisation": {"Name": "Acme Equipment Rentals", "BaseCurrency": "CAD"}
}"#;

/// Three journals: 2019-08-19 division 1 (fine), 2019-08-19 division 2 (archived 4100), and
/// 2019-08-20 division 1 (fine); GL-6 is already exported in export 11.
pub const FEED_JSON: &str = r#"{
  "company": "Acme Equipment Rentals",
  "currency": "CAD",
  "postings": [
    {"id": "GL-1", "date": "2019-08-19", "account": "1200", "division": "1", "account_description": "A/R Clearing",
     "debit": "1250.00", "credit": "0", "source": "AR", "reference": "INV-1", "memo": "Contract 55812"},
    {"id": "GL-2", "date": "2019-08-19", "account": "4000", "division": "1", "account_description": "Rental Revenue",
     "debit": "0", "credit": "1250.00", "source": "AR", "reference": "INV-1", "memo": "Contract 55812"},
    {"id": "GL-3", "date": "2019-08-19", "account": "1200", "division": "2", "account_description": "A/R Clearing",
     "debit": "500.00", "credit": "0", "source": "AR", "reference": "INV-2", "memo": "Contract 55813"},
    {"id": "GL-4", "date": "2019-08-19", "account": "4100", "division": "2", "account_description": "Rental Revenue",
     "debit": "0", "credit": "500.00", "source": "AR", "reference": "INV-2", "memo": "Contract 55813"},
    {"id": "GL-5", "date": "2019-08-20", "account": "1200", "division": "1", "account_description": "A/R Clearing",
     "debit": "1000.50", "credit": "0", "source": "CR", "reference": "RCPT-9", "memo": "Receipt"},
    {"id": "GL-7", "date": "2019-08-20", "account": "4000", "division": "1", "account_description": "Rental Revenue",
     "debit": "0", "credit": "1000.50", "source": "CR", "reference": "RCPT-9", "memo": "Receipt"},
    {"id": "GL-6", "date": "2019-08-20", "account": "4000", "division": "1", "account_description": "Rental Revenue",
     "debit": "0", "credit": "75.00", "source": "GJ", "reference": "JE-3", "memo": "Already sent"}
  ],
  "next_cursor": null
}"#;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid date")
}

/// The reference data.
pub fn reference() -> ReferenceSnapshot {
    let reference: ReferenceData = serde_json::from_str(REFERENCE_JSON).expect("reference JSON");
    ReferenceSnapshot {
        reference,
        fetched_at: Utc.with_ymd_and_hms(2019, 8, 21, 9, 0, 0).unwrap(),
    }
}

/// The default mapping, version 3.
pub fn mapping() -> MappingDocument {
    MappingDocument {
        settings: MappingSettings::default(),
        version: 3,
        updated_by: Some("Dana".into()),
        updated_at: None,
    }
}

/// The feed's postings.
pub fn postings() -> Vec<Posting> {
    parse_page(FEED_JSON).expect("feed JSON").postings
}

/// GL-6 is in export 11; the last exported date is 2019-08-18.
pub fn exported() -> ExportedPostings {
    ExportedPostings {
        exported: [("GL-6".to_owned(), 11)].into_iter().collect(),
        last_exported_date: Some(date(2019, 8, 18)),
    }
}

/// A healthy connection.
pub fn connected() -> ConnectionStatus {
    ConnectionStatus {
        state: ConnectionState::Connected,
        organisation: Some(OrganisationRef {
            tenant_id: "t-1".into(),
            name: "Acme Equipment Rentals".into(),
        }),
        choices: Vec::new(),
        scopes: Vec::new(),
        last_refreshed_at: None,
        connected_by: Some("Dana".into()),
        message: None,
    }
}

fn row(n: u8, state: JournalState, total: i64) -> JournalRow {
    let key = JournalKey::from_posting_ids([format!("GL-{n}").as_str()]);
    JournalRow {
        narration: format!("SRM daily close 2019-08-1{n} · Division 1 · export 12 · key {key}"),
        key,
        date: date(2019, 8, 10 + u32::from(n)),
        group: "Division 1".into(),
        total: Money::from_cents(total),
        line_count: 2,
        state,
        xero_id: (state == JournalState::Posted).then(|| format!("mj-{n}")),
        xero_url: (state == JournalState::Posted)
            .then(|| format!("https://go.xero.com/Journal/View.aspx?invoiceID=mj-{n}")),
        messages: match state {
            JournalState::Failed => vec!["Account code '4100' has been archived.".into()],
            JournalState::NeedsAttention => vec![NEEDS_ATTENTION.into()],
            _ => Vec::new(),
        },
        voided: (state == JournalState::Voided).then(|| VoidInfo {
            by: "Dana".into(),
            at: Utc.with_ymd_and_hms(2019, 8, 21, 10, 0, 0).unwrap(),
            reason: "Keyed into Xero by hand".into(),
        }),
    }
}

/// The message of a journal that needs attention, as the proxy words it.
pub const NEEDS_ATTENTION: &str = "Xero gave no clear answer for this journal under 3 Idempotency-Keys, and it was not found in Xero afterwards. Check Xero's manual journals for the narration ending with its key: if it is there, mark this journal posted with its ManualJournalID; if it is not, void it here.";

/// Export 13: one posted, one that needs attention.
pub fn export_needing_attention() -> ExportDetail {
    let mut detail = export_detail();
    detail.summary.number = 13;
    detail.journals = vec![
        row(1, JournalState::Posted, 125_000),
        row(6, JournalState::NeedsAttention, 30_000),
    ];
    detail.summary.counts = Counts {
        posted: 1,
        needs_attention: 1,
        ..Counts::default()
    };
    detail
}

/// Export 12: two posted, one failed, one pending, one voided.
pub fn export_detail() -> ExportDetail {
    let journals = vec![
        row(1, JournalState::Posted, 125_000),
        row(2, JournalState::Posted, 100_050),
        row(3, JournalState::Failed, 50_000),
        row(4, JournalState::Pending, 7_500),
        row(5, JournalState::Voided, 2_000),
    ];
    ExportDetail {
        summary: ExportSummary {
            number: 12,
            from_date: date(2019, 8, 11),
            created_at: Utc.with_ymd_and_hms(2019, 8, 21, 9, 30, 0).unwrap(),
            created_by: "Dana".into(),
            status: ExportStatus::Open,
            counts: Counts {
                pending: 1,
                posting: 0,
                posted: 2,
                failed: 1,
                voided: 1,
                needs_attention: 0,
            },
            organisation: Some(OrganisationRef {
                tenant_id: "acme".into(),
                name: "Acme Equipment Rentals".into(),
            }),
        },
        journals,
        waiting: None,
    }
}

/// Past exports 9–12.
pub fn export_list() -> Vec<ExportSummary> {
    (9..=12)
        .map(|n| ExportSummary {
            number: n,
            from_date: date(2019, 8, u32::try_from(n).unwrap_or(1)),
            created_at: Utc
                .with_ymd_and_hms(2019, 8, u32::try_from(n).unwrap_or(1) + 1, 9, 0, 0)
                .unwrap(),
            created_by: "Dana".into(),
            status: if n == 12 {
                ExportStatus::Open
            } else {
                ExportStatus::Exported
            },
            counts: Counts {
                posted: 3,
                ..Counts::default()
            },
            organisation: None,
        })
        .collect()
}

/// A progress event for export 12.
pub fn progress(sequence: u64, posted: u32, pending: u32) -> Progress {
    Progress {
        number: 12,
        status: if pending == 0 {
            ExportStatus::Exported
        } else {
            ExportStatus::Open
        },
        counts: Counts {
            pending,
            posting: 0,
            posted,
            failed: 1,
            voided: 1,
            needs_attention: 0,
        },
        waiting: None,
        eta_seconds: Some(u64::from(pending) * 2),
        sequence,
    }
}

/// The detail of the first journal of export 12 (posted), planned from the fixture feed.
pub fn journal_detail() -> JournalDetail {
    let postings: Vec<Posting> = postings()
        .into_iter()
        .filter(|p| p.id == "GL-1" || p.id == "GL-2")
        .collect();
    let plan = srm_xero_shared::plan(&srm_xero_shared::PlanRequest {
        postings: &postings,
        settings: &MappingSettings::default(),
        exported: &std::collections::HashMap::new(),
        from: date(2019, 8, 1),
        export_number: Some(12),
        reference: &reference().reference,
    });
    let journal = plan.journals.into_iter().next().expect("one journal");
    let mut row = row(1, JournalState::Posted, 125_000);
    row.key = journal.key.clone();
    row.narration.clone_from(&journal.narration);
    JournalDetail {
        row,
        journal,
        postings,
        history: vec![
            HistoryEntry {
                at: Utc.with_ymd_and_hms(2019, 8, 21, 9, 30, 0).unwrap(),
                who: "Dana".into(),
                what: "Created in export 12".into(),
            },
            HistoryEntry {
                at: Utc.with_ymd_and_hms(2019, 8, 21, 9, 31, 0).unwrap(),
                who: "srm-xero".into(),
                what: "Posted to Xero".into(),
            },
        ],
    }
}
