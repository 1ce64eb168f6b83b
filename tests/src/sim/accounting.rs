//! Reference data: `GET /Accounts`, `/TaxRates`, `/TrackingCategories`, `/Organisation`, each
//! honouring `If-Modified-Since` (Accounts returns only accounts changed since; the others answer
//! 304 when nothing changed).

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::gate::{self, Need};
use super::model::Organisation;
use super::state::Shared;
use super::wire::{self, json_answer, modified_since, ms_date, ms_day};

#[derive(Debug, Clone, Copy)]
enum Resource {
    Accounts,
    TaxRates,
    TrackingCategories,
    Organisation,
}

async fn serve(sim: Arc<Shared>, headers: HeaderMap, resource: Resource) -> Response {
    let admitted = match gate::admit(&sim, &headers, &Method::GET, Need::SettingsRead).await {
        Ok(a) => a,
        Err(refused) => return refused,
    };
    let since = modified_since(&headers);
    let now = sim.clock.now();
    let answer = {
        let mut state = sim.lock();
        let id = state.rng.uuid();
        let org = state.org(&admitted.tenant).cloned();
        match org {
            None => wire::not_found(),
            Some(org) => render(&org, resource, since, &id, now),
        }
    };
    admitted.finish(answer)
}

fn render(
    org: &Organisation,
    resource: Resource,
    since: Option<DateTime<Utc>>,
    id: &str,
    now: DateTime<Utc>,
) -> Response {
    let unchanged = since.is_some_and(|s| org.modified <= s);
    let (key, items): (&str, Vec<Value>) = match resource {
        Resource::Accounts => (
            "Accounts",
            org.accounts
                .iter()
                .filter(|a| since.is_none_or(|s| a.updated > s))
                .map(|a| account_json(a, &org.base_currency))
                .collect(),
        ),
        _ if unchanged => return StatusCode::NOT_MODIFIED.into_response(),
        Resource::TaxRates => ("TaxRates", org.tax_rates.iter().map(tax_json).collect()),
        Resource::TrackingCategories => (
            "TrackingCategories",
            org.tracking.iter().map(tracking_json).collect(),
        ),
        Resource::Organisation => ("Organisations", vec![organisation_json(org)]),
    };
    let body = wire::envelope(id, now, key, &Value::from(items).to_string());
    json_answer(StatusCode::OK, body)
}

fn account_json(a: &super::model::Account, currency: &str) -> Value {
    let class = match a.class() {
        super::model::AccountClass::Asset => "ASSET",
        super::model::AccountClass::Equity => "EQUITY",
        super::model::AccountClass::Expense => "EXPENSE",
        super::model::AccountClass::Liability => "LIABILITY",
        super::model::AccountClass::Revenue => "REVENUE",
    };
    let mut v = json!({
        "AccountID": a.account_id,
        "Code": a.code,
        "Name": a.name,
        "Status": a.status,
        "Type": a.account_type,
        "TaxType": a.tax_type,
        "Class": class,
        "SystemAccount": a.system_account,
        "EnablePaymentsToAccount": false,
        "ShowInExpenseClaims": false,
        "ReportingCode": "",
        "HasAttachments": false,
        "UpdatedDateUTC": ms_date(a.updated),
        "AddToWatchlist": false,
    });
    if a.account_type == "BANK" {
        v["BankAccountNumber"] = json!("0011234567");
        v["BankAccountType"] = json!("BANK");
        v["CurrencyCode"] = json!(currency);
    }
    v
}

fn tax_json(t: &super::model::TaxRate) -> Value {
    // The rate is a display number; parsing its exact decimal text keeps f64 out of our code.
    let rate: Value = serde_json::from_str(&t.rate.to_string()).unwrap_or(json!(0));
    json!({
        "Name": t.name,
        "TaxType": t.tax_type,
        "Status": t.status,
        "ReportTaxType": if t.tax_type == "NONE" { "NONE" } else { "OUTPUT" },
        "CanApplyToAssets": t.assets,
        "CanApplyToEquity": t.equity,
        "CanApplyToExpenses": t.expenses,
        "CanApplyToLiabilities": t.liabilities,
        "CanApplyToRevenue": t.revenue,
        "DisplayTaxRate": rate,
        "EffectiveRate": rate,
        "TaxComponents": [{"Name": t.name, "Rate": rate, "IsCompound": false, "IsNonRecoverable": false}],
    })
}

fn tracking_json(c: &super::model::TrackingCategory) -> Value {
    json!({
        "TrackingCategoryID": c.id,
        "Name": c.name,
        "Status": c.status,
        "Options": c.options.iter().map(|o| json!({
            "TrackingOptionID": o.id,
            "Name": o.name,
            "Status": o.status,
        })).collect::<Vec<_>>(),
    })
}

fn organisation_json(o: &Organisation) -> Value {
    let mut v = json!({
        "OrganisationID": o.organisation_id,
        "APIKey": "",
        "Name": o.name,
        "LegalName": o.name,
        "PaysTax": true,
        "Version": "GLOBAL",
        "OrganisationType": "COMPANY",
        "BaseCurrency": o.base_currency,
        "CountryCode": o.country_code,
        "IsDemoCompany": false,
        "OrganisationStatus": "ACTIVE",
        "FinancialYearEndDay": o.financial_year_end_day,
        "FinancialYearEndMonth": o.financial_year_end_month,
        "SalesTaxBasis": "ACCRUALS",
        "SalesTaxPeriod": "QUARTERLY1",
        "DefaultSalesTax": "Tax Exclusive",
        "DefaultPurchasesTax": "Tax Exclusive",
        "CreatedDateUTC": ms_date(o.created),
        "OrganisationEntityType": "COMPANY",
        "Timezone": "PACIFICSTANDARDTIME",
        "ShortCode": o.short_code,
        "Class": "STANDARD",
        "Edition": "BUSINESS",
        "LineOfBusiness": "Equipment rental",
        "Addresses": [],
        "Phones": [],
        "ExternalLinks": [],
        "PaymentTerms": {},
    });
    // Xero sends the lock dates only when they are set.
    if let Some(d) = o.period_lock_date {
        v["PeriodLockDate"] = json!(ms_day(d));
    }
    if let Some(d) = o.end_of_year_lock_date {
        v["EndOfYearLockDate"] = json!(ms_day(d));
    }
    v
}

pub async fn accounts(State(sim): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    serve(sim, headers, Resource::Accounts).await
}

pub async fn tax_rates(State(sim): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    serve(sim, headers, Resource::TaxRates).await
}

pub async fn tracking_categories(State(sim): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    serve(sim, headers, Resource::TrackingCategories).await
}

pub async fn organisation(State(sim): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    serve(sim, headers, Resource::Organisation).await
}
