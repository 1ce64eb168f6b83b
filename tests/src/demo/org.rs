//! The demo organisations: "Acme Equipment Rentals" (CAD), shaped like a rental company's Xero
//! file, and a second organisation so that tenant selection is real. Account codes are SRM's, so
//! SRM's account number equals the Xero code by default.

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use rust_decimal::Decimal;

use crate::rng::SplitMix64;
use crate::sim::model::{Account, Organisation, TaxRate, TrackingCategory, TrackingOption};

/// The main demo organisation's tenant id (fixed, so tests and the demo can name it).
pub const ACME_TENANT_ID: &str = "8f6c2a1e-4b7d-4c3a-9e21-5d0a7b3c1f01";
/// The second organisation's tenant id.
pub const ACME_TEST_TENANT_ID: &str = "2b9d4e7f-1a3c-4e5b-8d6f-0c2e4a6b8d02";
/// The main demo organisation's name.
pub const ACME_NAME: &str = "Acme Equipment Rentals";
/// The second organisation's name.
pub const ACME_TEST_NAME: &str = "Acme Equipment Rentals (Test)";
/// The period lock date is this many days before the organisation's "today".
pub const LOCK_DAYS_BACK: i64 = 45;
/// The tracking category that carries SRM's division.
pub const DIVISION_CATEGORY: &str = "Division";
/// SRM division code → the "Division" tracking option named for it.
/// The third is named, and says `key `: a narration must never be read by its first `key `.
pub const DIVISIONS: [(&str, &str); 3] = [
    ("1", "Vancouver"),
    ("2", "Calgary"),
    ("Turkey Creek", "Turkey Creek"),
];

/// Well-known account codes of the demo chart.
pub mod codes {
    pub const BANK: &str = "1000";
    pub const CASH_CLEARING: &str = "1050";
    pub const DEBTORS: &str = "1100";
    pub const AR_CLEARING: &str = "1200";
    pub const INVENTORY: &str = "1300";
    pub const CREDITORS: &str = "2000";
    pub const AP_CLEARING: &str = "2100";
    pub const SALES_TAX: &str = "2200";
    pub const RETAINED_EARNINGS: &str = "3100";
    pub const RENTAL: &str = "4000";
    pub const SALES: &str = "4100";
    pub const DAMAGE_WAIVER: &str = "4200";
    pub const DELIVERY: &str = "4300";
    pub const FUEL: &str = "4400";
    pub const ENVIRONMENTAL: &str = "4500";
    /// ARCHIVED in Xero.
    pub const ARCHIVED_RENTAL: &str = "4950";
    /// Exists in SRM only: no Xero account has this code.
    pub const UNMAPPED: &str = "4999";
    pub const COST_OF_SALES: &str = "5000";
    pub const SHRINKAGE: &str = "5100";
    pub const REPAIRS: &str = "6000";
    pub const FUEL_EXPENSE: &str = "6100";
    pub const ROUNDING: &str = "8600";
}

/// (code, name, type, status, default tax type, system account)
const CHART: [(&str, &str, &str, &str, &str, &str); 21] = [
    (
        "1000",
        "Operating Bank Account",
        "BANK",
        "ACTIVE",
        "NONE",
        "",
    ),
    ("1050", "Cash Clearing", "CURRENT", "ACTIVE", "NONE", ""),
    (
        "1100",
        "Accounts Receivable",
        "CURRENT",
        "ACTIVE",
        "NONE",
        "DEBTORS",
    ),
    ("1200", "A/R Clearing", "CURRENT", "ACTIVE", "NONE", ""),
    ("1300", "Inventory", "INVENTORY", "ACTIVE", "NONE", ""),
    (
        "2000",
        "Accounts Payable",
        "CURRLIAB",
        "ACTIVE",
        "NONE",
        "CREDITORS",
    ),
    ("2100", "A/P Clearing", "CURRLIAB", "ACTIVE", "NONE", ""),
    (
        "2200",
        "Sales Tax Payable",
        "CURRLIAB",
        "ACTIVE",
        "NONE",
        "",
    ),
    (
        "3100",
        "Retained Earnings",
        "EQUITY",
        "ACTIVE",
        "NONE",
        "RETAINEDEARNINGS",
    ),
    ("4000", "Rental Revenue", "REVENUE", "ACTIVE", "OUTPUT", ""),
    ("4100", "Sales Revenue", "SALES", "ACTIVE", "OUTPUT", ""),
    (
        "4200",
        "Damage Waiver Revenue",
        "REVENUE",
        "ACTIVE",
        "OUTPUT",
        "",
    ),
    (
        "4300",
        "Delivery & Pickup Revenue",
        "REVENUE",
        "ACTIVE",
        "OUTPUT",
        "",
    ),
    ("4400", "Fuel Revenue", "REVENUE", "ACTIVE", "OUTPUT", ""),
    (
        "4500",
        "Environmental Fees",
        "REVENUE",
        "ACTIVE",
        "OUTPUT",
        "",
    ),
    (
        "4950",
        "Rental Revenue - Old Fleet",
        "REVENUE",
        "ARCHIVED",
        "OUTPUT",
        "",
    ),
    (
        "5000",
        "Cost of Sales",
        "DIRECTCOSTS",
        "ACTIVE",
        "INPUT",
        "",
    ),
    (
        "5100",
        "Inventory Shrinkage",
        "DIRECTCOSTS",
        "ACTIVE",
        "NONE",
        "",
    ),
    (
        "6000",
        "Repairs & Maintenance",
        "EXPENSE",
        "ACTIVE",
        "INPUT",
        "",
    ),
    ("6100", "Fuel Expense", "EXPENSE", "ACTIVE", "INPUT", ""),
    ("8600", "Rounding", "CURRLIAB", "ACTIVE", "NONE", "ROUNDING"),
];

/// (tax type, name, percent, assets, equity, expenses, liabilities, revenue, status)
const TAX_RATES: [(&str, &str, i64, [bool; 5], &str); 6] = [
    (
        "NONE",
        "No Tax",
        0,
        [true, true, true, true, true],
        "ACTIVE",
    ),
    (
        "OUTPUT",
        "GST on Sales",
        5,
        [true, false, false, true, true],
        "ACTIVE",
    ),
    (
        "INPUT",
        "GST on Purchases",
        5,
        [true, false, true, true, false],
        "ACTIVE",
    ),
    (
        "EXEMPTOUTPUT",
        "GST Exempt Sales",
        0,
        [false, false, false, false, true],
        "ACTIVE",
    ),
    (
        "ZERORATEDINPUT",
        "Zero Rated Purchases",
        0,
        [true, false, true, false, false],
        "ACTIVE",
    ),
    (
        "OUTPUT2",
        "PST on Sales (old)",
        7,
        [false, false, false, false, true],
        "DELETED",
    ),
];

/// Both demo organisations, as of `now` (the simulator clock's instant at start-up).
pub fn demo_organisations(now: DateTime<Utc>) -> Vec<Organisation> {
    vec![
        organisation(ACME_TENANT_ID, ACME_NAME, "!Acme1", 11, now),
        organisation(ACME_TEST_TENANT_ID, ACME_TEST_NAME, "!Acme2", 22, now),
    ]
}

/// The period lock date the demo organisations get when "today" is `today`.
pub fn demo_lock_date(today: NaiveDate) -> NaiveDate {
    today - Duration::days(LOCK_DAYS_BACK)
}

fn organisation(
    tenant_id: &str,
    name: &str,
    short_code: &str,
    seed: u64,
    now: DateTime<Utc>,
) -> Organisation {
    let mut rng = SplitMix64::new(seed);
    let created = now - Duration::days(400);
    let accounts = CHART
        .iter()
        .map(|&(code, account_name, kind, status, tax, system)| Account {
            account_id: rng.uuid(),
            code: code.into(),
            name: account_name.into(),
            account_type: kind.into(),
            status: status.into(),
            tax_type: tax.into(),
            system_account: system.into(),
            updated: created,
        })
        .collect();
    let tax_rates = TAX_RATES
        .iter()
        .map(|&(tax_type, rate_name, percent, flags, status)| TaxRate {
            tax_type: tax_type.into(),
            name: rate_name.into(),
            status: status.into(),
            rate: Decimal::from(percent),
            assets: flags[0],
            equity: flags[1],
            expenses: flags[2],
            liabilities: flags[3],
            revenue: flags[4],
        })
        .collect();
    let division = TrackingCategory {
        id: rng.uuid(),
        name: DIVISION_CATEGORY.into(),
        status: "ACTIVE".into(),
        options: DIVISIONS
            .iter()
            .map(|(_, option)| TrackingOption {
                id: rng.uuid(),
                name: (*option).into(),
                status: "ACTIVE".into(),
            })
            .collect(),
    };
    let today = now.date_naive();
    Organisation {
        tenant_id: tenant_id.into(),
        organisation_id: rng.uuid(),
        name: name.into(),
        short_code: short_code.into(),
        base_currency: "CAD".into(),
        country_code: "CA".into(),
        period_lock_date: Some(demo_lock_date(today)),
        end_of_year_lock_date: NaiveDate::from_ymd_opt(today.year() - 2, 12, 31),
        financial_year_end_day: 31,
        financial_year_end_month: 12,
        created,
        modified: created,
        accounts,
        tax_rates,
        tracking: vec![division],
    }
}
