//! Lean mirrors of a few proxy answers, for the browser's bundle size.
//!
//! `shared`'s reference types keep every field Xero sends in flattened `other` maps (so the proxy
//! loses nothing on a round trip); the browser needs only the typed fields, and deserializing the
//! flattened maps costs serde's buffering and `serde_json::Value`. A journal's detail and an
//! `ApiError` carry typed `Problem`s, whose deserializer alone is ~28 KB of wasm; the page shows a
//! journal's problems from its own plan, so here they are counted, not read. These mirrors read the
//! same JSON, skip the rest, and convert into `shared`'s types.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Deserialize;
use serde::de::IgnoredAny;
use srm_xero_shared::api::{HistoryEntry, JournalDetail, JournalRow, ReferenceSnapshot};
use srm_xero_shared::mapping::PostAs;
use srm_xero_shared::xero::reference::{
    Account, Organisation, ReferenceData, TaxRate, TrackingCategory, TrackingOption,
};
use srm_xero_shared::{JournalKey, PlannedJournal, PlannedLine, Posting};

/// `GET /api/reference`, read leanly.
#[derive(Deserialize)]
pub struct Snapshot {
    reference: Reference,
    fetched_at: DateTime<Utc>,
}

#[derive(Deserialize)]
struct Reference {
    #[serde(default)]
    accounts: Vec<LeanAccount>,
    #[serde(default)]
    tax_rates: Vec<LeanTaxRate>,
    #[serde(default)]
    tracking_categories: Vec<LeanCategory>,
    #[serde(default)]
    organisation: LeanOrganisation,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct LeanAccount {
    #[serde(rename = "AccountID", default)]
    account_id: Option<String>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(rename = "Type", default)]
    account_type: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    class: Option<String>,
    #[serde(default)]
    tax_type: Option<String>,
    #[serde(default)]
    system_account: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
#[allow(clippy::struct_field_names)]
struct LeanTaxRate {
    #[serde(default)]
    name: String,
    #[serde(default)]
    tax_type: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    can_apply_to_assets: Option<bool>,
    #[serde(default)]
    can_apply_to_equity: Option<bool>,
    #[serde(default)]
    can_apply_to_expenses: Option<bool>,
    #[serde(default)]
    can_apply_to_liabilities: Option<bool>,
    #[serde(default)]
    can_apply_to_revenue: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct LeanCategory {
    #[serde(rename = "TrackingCategoryID", default)]
    tracking_category_id: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    options: Vec<LeanOption>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct LeanOption {
    #[serde(rename = "TrackingOptionID", default)]
    tracking_option_id: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    status: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "PascalCase")]
struct LeanOrganisation {
    #[serde(rename = "OrganisationID", default)]
    organisation_id: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    base_currency: Option<String>,
    #[serde(default)]
    country_code: Option<String>,
    #[serde(default, with = "srm_xero_shared::xero::dates::ms_option")]
    period_lock_date: Option<NaiveDate>,
    #[serde(default, with = "srm_xero_shared::xero::dates::ms_option")]
    end_of_year_lock_date: Option<NaiveDate>,
}

impl From<Snapshot> for ReferenceSnapshot {
    fn from(lean: Snapshot) -> ReferenceSnapshot {
        let r = lean.reference;
        let o = r.organisation;
        ReferenceSnapshot {
            fetched_at: lean.fetched_at,
            reference: ReferenceData {
                accounts: r
                    .accounts
                    .into_iter()
                    .map(|a| Account {
                        account_id: a.account_id,
                        code: a.code,
                        name: a.name,
                        account_type: a.account_type,
                        status: a.status,
                        class: a.class,
                        tax_type: a.tax_type,
                        system_account: a.system_account,
                        ..Account::default()
                    })
                    .collect(),
                tax_rates: r
                    .tax_rates
                    .into_iter()
                    .map(|t| TaxRate {
                        name: t.name,
                        tax_type: t.tax_type,
                        status: t.status,
                        can_apply_to_assets: t.can_apply_to_assets,
                        can_apply_to_equity: t.can_apply_to_equity,
                        can_apply_to_expenses: t.can_apply_to_expenses,
                        can_apply_to_liabilities: t.can_apply_to_liabilities,
                        can_apply_to_revenue: t.can_apply_to_revenue,
                        ..TaxRate::default()
                    })
                    .collect(),
                tracking_categories: r
                    .tracking_categories
                    .into_iter()
                    .map(|c| TrackingCategory {
                        tracking_category_id: c.tracking_category_id,
                        name: c.name,
                        status: c.status,
                        options: c
                            .options
                            .into_iter()
                            .map(|o| TrackingOption {
                                tracking_option_id: o.tracking_option_id,
                                name: o.name,
                                status: o.status,
                                ..TrackingOption::default()
                            })
                            .collect(),
                        ..TrackingCategory::default()
                    })
                    .collect(),
                organisation: Organisation {
                    organisation_id: o.organisation_id,
                    name: o.name,
                    base_currency: o.base_currency,
                    country_code: o.country_code,
                    period_lock_date: o.period_lock_date,
                    end_of_year_lock_date: o.end_of_year_lock_date,
                    ..Organisation::default()
                },
            },
        }
    }
}

/// An `ApiError`, with its per-journal problems counted.
#[derive(Deserialize)]
pub struct ApiError {
    /// The machine-readable code.
    #[serde(default)]
    pub error: String,
    /// The sentence for people.
    #[serde(default)]
    pub message: String,
    /// Refused journals.
    #[serde(default)]
    pub journals: Vec<JournalProblems>,
}

/// One refused journal, its problems counted.
#[derive(Deserialize)]
pub struct JournalProblems {
    /// The journal key.
    pub key: String,
    /// Its problems (not read).
    #[serde(default)]
    pub problems: Vec<IgnoredAny>,
}

/// `GET /api/exports/{n}/journals/{key}`, its plan's problems skipped.
#[derive(Deserialize)]
pub struct Detail {
    row: JournalRow,
    journal: Journal,
    postings: Vec<Posting>,
    #[serde(default)]
    history: Vec<HistoryEntry>,
}

#[derive(Deserialize)]
struct Journal {
    key: JournalKey,
    date: NaiveDate,
    group: String,
    narration: String,
    #[serde(default)]
    url: Option<String>,
    status: PostAs,
    lines: Vec<PlannedLine>,
    postings: Vec<String>,
}

impl From<Detail> for JournalDetail {
    fn from(lean: Detail) -> JournalDetail {
        let j = lean.journal;
        JournalDetail {
            row: lean.row,
            journal: PlannedJournal {
                key: j.key,
                date: j.date,
                group: j.group,
                narration: j.narration,
                url: j.url,
                status: j.status,
                lines: j.lines,
                postings: j.postings,
                problems: Vec::new(),
            },
            postings: lean.postings,
            history: lean.history,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;

    #[test]
    fn the_lean_read_keeps_every_field_planning_uses() {
        let mut full = fixtures::reference();
        full.reference.organisation.period_lock_date = NaiveDate::from_ymd_opt(2019, 6, 30);
        full.reference.accounts[0]
            .other
            .insert("ReportingCode".into(), serde_json::json!("ASS"));
        let json = serde_json::to_string(&full).unwrap();
        let lean: Snapshot = serde_json::from_str(&json).unwrap();
        let read = ReferenceSnapshot::from(lean);
        let mut expected = full;
        expected.reference.accounts[0].other.clear();
        assert_eq!(read, expected);
    }

    #[test]
    fn a_journal_detail_reads_without_its_problems() {
        let mut detail = fixtures::journal_detail();
        detail.journal.problems = vec![srm_xero_shared::Problem::NetsToZero];
        let json = serde_json::to_string(&detail).unwrap();
        let read = JournalDetail::from(serde_json::from_str::<Detail>(&json).unwrap());
        detail.journal.problems.clear();
        assert_eq!(read, detail);
    }
}
