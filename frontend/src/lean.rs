//! Lean reads of a few proxy answers, for the browser's bundle size.
//!
//! `shared`'s reference types keep every field Xero sends in flattened `other` maps (so the proxy
//! loses nothing on a round trip); the browser needs only the typed fields, so these reads take
//! those and leave the maps empty. A journal's detail and an `ApiError` carry typed `Problem`s; the
//! page shows a journal's problems from its own plan, so here they are counted, not read.

use srm_xero_shared::PlannedJournal;
use srm_xero_shared::api::{JournalDetail, ReferenceSnapshot};
use srm_xero_shared::json::{Json, JsonError, Read};
use srm_xero_shared::xero::dates::parse_any;
use srm_xero_shared::xero::reference::{
    Account, Organisation, ReferenceData, TaxRate, TrackingCategory, TrackingOption,
};

const WRONG: JsonError = JsonError::Field("");

/// `GET /api/reference`, its `other` maps left empty.
pub struct Snapshot(pub ReferenceSnapshot);

impl Read for Snapshot {
    fn read(value: &Json) -> Result<Snapshot, JsonError> {
        let r = value.get("reference");
        if !matches!(r, Json::Obj(_)) {
            return Err(JsonError::Field("reference"));
        }
        let o = r.get("organisation");
        Ok(Snapshot(ReferenceSnapshot {
            fetched_at: value.field("fetched_at")?,
            reference: ReferenceData {
                accounts: list(r, "accounts", account)?,
                tax_rates: list(r, "tax_rates", tax_rate)?,
                tracking_categories: list(r, "tracking_categories", category)?,
                organisation: if matches!(o, Json::Null) {
                    Organisation::default()
                } else {
                    organisation(o)?
                },
            },
        }))
    }
}

/// A defaulted list field, each item read by `item`.
fn list<T>(
    value: &Json,
    key: &'static str,
    item: fn(&Json) -> Result<T, JsonError>,
) -> Result<Vec<T>, JsonError> {
    match value.get(key) {
        Json::Null => Ok(Vec::new()),
        Json::Arr(items) => items.iter().map(item).collect(),
        _ => Err(JsonError::Field(key)),
    }
}

/// A string field that may be absent (Xero's structs are `#[serde(default)]`).
fn text(value: &Json, key: &'static str) -> Result<String, JsonError> {
    value
        .field::<Option<String>>(key)
        .map(Option::unwrap_or_default)
}

fn account(a: &Json) -> Result<Account, JsonError> {
    Ok(Account {
        account_id: a.field("AccountID")?,
        code: a.field("Code")?,
        name: text(a, "Name")?,
        account_type: a.field("Type")?,
        status: a.field("Status")?,
        class: a.field("Class")?,
        tax_type: a.field("TaxType")?,
        system_account: a.field("SystemAccount")?,
        ..Account::default()
    })
}

fn tax_rate(t: &Json) -> Result<TaxRate, JsonError> {
    Ok(TaxRate {
        name: text(t, "Name")?,
        tax_type: text(t, "TaxType")?,
        status: t.field("Status")?,
        can_apply_to_assets: t.field("CanApplyToAssets")?,
        can_apply_to_equity: t.field("CanApplyToEquity")?,
        can_apply_to_expenses: t.field("CanApplyToExpenses")?,
        can_apply_to_liabilities: t.field("CanApplyToLiabilities")?,
        can_apply_to_revenue: t.field("CanApplyToRevenue")?,
        ..TaxRate::default()
    })
}

fn category(c: &Json) -> Result<TrackingCategory, JsonError> {
    Ok(TrackingCategory {
        tracking_category_id: c.field("TrackingCategoryID")?,
        name: text(c, "Name")?,
        status: c.field("Status")?,
        options: list(c, "Options", option)?,
        ..TrackingCategory::default()
    })
}

fn option(o: &Json) -> Result<TrackingOption, JsonError> {
    Ok(TrackingOption {
        tracking_option_id: o.field("TrackingOptionID")?,
        name: text(o, "Name")?,
        status: o.field("Status")?,
        ..TrackingOption::default()
    })
}

fn organisation(o: &Json) -> Result<Organisation, JsonError> {
    Ok(Organisation {
        organisation_id: o.field("OrganisationID")?,
        name: text(o, "Name")?,
        base_currency: o.field("BaseCurrency")?,
        country_code: o.field("CountryCode")?,
        period_lock_date: xero_date(o, "PeriodLockDate")?,
        end_of_year_lock_date: xero_date(o, "EndOfYearLockDate")?,
        ..Organisation::default()
    })
}

/// A date in any form Xero writes one (`xero::dates::ms_option`).
fn xero_date(value: &Json, key: &'static str) -> Result<Option<chrono::NaiveDate>, JsonError> {
    value
        .field::<Option<String>>(key)?
        .map(|t| parse_any(&t).ok_or(JsonError::Field(key)))
        .transpose()
}

/// An `ApiError`, with its per-journal problems counted.
pub struct ApiError {
    /// The machine-readable code.
    pub error: String,
    /// The sentence for people.
    pub message: String,
    /// Refused journals: each key with its number of problems.
    pub journals: Vec<(String, usize)>,
}

impl Read for ApiError {
    fn read(value: &Json) -> Result<ApiError, JsonError> {
        let journals = match value.get("journals") {
            Json::Null => Vec::new(),
            Json::Arr(items) => items
                .iter()
                .map(|j| {
                    let problems = match j.get("problems") {
                        Json::Null => 0,
                        Json::Arr(p) => p.len(),
                        _ => return Err(WRONG),
                    };
                    Ok((j.field("key")?, problems))
                })
                .collect::<Result<_, _>>()?,
            _ => return Err(WRONG),
        };
        Ok(ApiError {
            error: text(value, "error")?,
            message: text(value, "message")?,
            journals,
        })
    }
}

/// `GET /api/exports/{n}/journals/{key}`, its plan's problems skipped.
pub struct Detail(pub JournalDetail);

impl Read for Detail {
    fn read(value: &Json) -> Result<Detail, JsonError> {
        let j = value.get("journal");
        if !matches!(j, Json::Obj(_)) {
            return Err(JsonError::Field("journal"));
        }
        Ok(Detail(JournalDetail {
            row: value.field("row")?,
            journal: PlannedJournal {
                key: j.field("key")?,
                date: j.field("date")?,
                group: j.field("group")?,
                narration: j.field("narration")?,
                url: j.field("url")?,
                status: j.field("status")?,
                lines: j.field("lines")?,
                postings: j.field("postings")?,
                problems: Vec::new(),
            },
            postings: value.field("postings")?,
            history: value.field_or_default("history")?,
        }))
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

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
        let read = srm_xero_shared::json::from_str::<Snapshot>(&json)
            .unwrap()
            .0;
        let mut expected = full;
        expected.reference.accounts[0].other.clear();
        assert_eq!(read, expected);
    }

    #[test]
    fn a_journal_detail_reads_without_its_problems() {
        let mut detail = fixtures::journal_detail();
        detail.journal.problems = vec![srm_xero_shared::Problem::NetsToZero];
        let json = serde_json::to_string(&detail).unwrap();
        let read = srm_xero_shared::json::from_str::<Detail>(&json).unwrap().0;
        detail.journal.problems.clear();
        assert_eq!(read, detail);
    }

    /// Every answer the page reads, written by serde as the proxy writes it, reads back equal.
    #[test]
    fn every_answer_reads_back_as_serde_wrote_it() {
        use srm_xero_shared::api::{ConnectionMessage, ConnectionState, MappingHistoryEntry};
        use srm_xero_shared::json::from_str;

        fn same<T>(value: &T)
        where
            T: serde::Serialize + Read + PartialEq + std::fmt::Debug,
        {
            let json = serde_json::to_string(value).unwrap();
            assert_eq!(&from_str::<T>(&json).unwrap(), value, "{json}");
        }
        same(&fixtures::mapping());
        same(&fixtures::exported());
        same(&fixtures::connected());
        same(&fixtures::export_detail());
        same(&fixtures::export_list());
        same(&fixtures::progress(3, 1, 2));
        same(&fixtures::postings());
        same(&fixtures::journal_detail().row);
        same(&fixtures::journal_detail().journal.lines);
        let mut mapping = fixtures::mapping();
        mapping.settings.cutoff_date = NaiveDate::from_ymd_opt(2019, 1, 31);
        mapping.settings.url_template = Some("https://srm.example/{key}".into());
        mapping.settings.rounding.account = Some("860".into());
        mapping
            .settings
            .tax_types
            .insert("200".into(), "OUTPUT".into());
        same(&mapping);
        same(&MappingHistoryEntry {
            version: 2,
            settings: mapping.settings,
            changed_by: "Ann".into(),
            changed_at: fixtures::journal_detail().history[0].at,
        });
        same(&ConnectionMessage {
            kind: "srm-xero-connection".into(),
            ok: true,
            state: Some(ConnectionState::ChoosingOrganisation),
            message: "Choose".into(),
        });
        // Settings written before a field existed read with that field's default.
        let settings: srm_xero_shared::MappingSettings = from_str("{}").unwrap();
        assert_eq!(settings, srm_xero_shared::MappingSettings::default());
    }

    /// Every request body the page sends is the JSON serde writes (the proxy reads it with serde).
    #[test]
    fn every_request_is_written_as_serde_writes_it() {
        use srm_xero_shared::api::{
            ChooseOrganisation, ExportedLookup, MappingChange, NewExport, ResolveRequest,
            RetryRequest, VoidRequest,
        };
        use srm_xero_shared::json::{Write, to_string};
        use srm_xero_shared::mapping::{AccountRule, DimensionMap};

        fn same<T: serde::Serialize + Write>(value: &T) {
            let ours: serde_json::Value = serde_json::from_str(&to_string(value)).unwrap();
            assert_eq!(ours, serde_json::to_value(value).unwrap());
        }
        let mut settings = fixtures::mapping().settings;
        same(&MappingChange {
            settings: settings.clone(),
            version: 3,
        });
        settings.cutoff_date = NaiveDate::from_ymd_opt(2019, 1, 31);
        settings.url_template = Some("https://srm.example/{key}?\"x\"\n".into());
        settings.rounding.account = Some("860".into());
        settings.tax_types.insert("200".into(), "OUTPUT".into());
        settings.accounts.push(AccountRule {
            srm_account: "4000".into(),
            division: Some("2".into()),
            xero_code: "200".into(),
        });
        settings.tracking.store = Some(DimensionMap {
            category: "Store".into(),
            options: [("001".to_owned(), "Main".to_owned())].into(),
        });
        settings.tracking.division = None;
        same(&MappingChange {
            settings,
            version: 4,
        });
        let detail = fixtures::journal_detail();
        let journals = vec![detail.journal.key.clone()];
        same(&NewExport {
            from: NaiveDate::from_ymd_opt(2019, 8, 19).unwrap(),
            postings: fixtures::postings(),
            journals: journals.clone(),
        });
        same(&RetryRequest {
            postings: detail.postings,
            journals,
        });
        same(&ExportedLookup {
            posting_ids: vec!["a".into(), "b\tc".into()],
        });
        same(&VoidRequest {
            reason: "duplicate".into(),
        });
        same(&ResolveRequest {
            manual_journal_id: "6f1c2d3e-0000-4000-8000-000000000000".into(),
        });
        same(&ChooseOrganisation {
            tenant_id: "t-1".into(),
        });
    }
}
