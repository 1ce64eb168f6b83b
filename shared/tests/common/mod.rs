//! Fixtures shared by the shared crate's tests, and the macro that runs a test both natively and
//! in headless Chromium (wasm32).
#![allow(dead_code)]

use std::str::FromStr;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use srm_xero_shared::Posting;
use srm_xero_shared::feed::Source;
use srm_xero_shared::xero::reference::{
    Account, Organisation, ReferenceData, TaxRate, TrackingCategory, TrackingOption,
};

/// Declares tests that run natively (`#[test]`) and in the browser (`wasm_bindgen_test`).
#[macro_export]
macro_rules! both_targets {
    ($( $(#[$meta:meta])* fn $name:ident() $body:block )*) => {
        $(
            $(#[$meta])*
            #[cfg_attr(not(target_arch = "wasm32"), test)]
            #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
            fn $name() $body
        )*
    };
}

pub fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

pub fn dec(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

/// A posting; `amount` positive is a debit, negative a credit.
pub fn posting(
    id: &str,
    date: &str,
    account: &str,
    division: Option<&str>,
    amount: &str,
) -> Posting {
    let amount = dec(amount);
    Posting {
        id: id.to_owned(),
        date: day(date),
        account: account.to_owned(),
        division: division.map(str::to_owned),
        account_description: format!("Account {account}"),
        debit: if amount.is_sign_positive() {
            amount
        } else {
            Decimal::ZERO
        },
        credit: if amount.is_sign_negative() {
            -amount
        } else {
            Decimal::ZERO
        },
        source: Source::Ar,
        reference: format!("INV-{id}"),
        store: None,
        memo: String::new(),
    }
}

fn account(code: &str, name: &str, kind: &str, class: &str) -> Account {
    Account {
        code: Some(code.to_owned()),
        name: name.to_owned(),
        account_type: Some(kind.to_owned()),
        class: Some(class.to_owned()),
        status: Some("ACTIVE".to_owned()),
        ..Account::default()
    }
}

fn tax(tax_type: &str, revenue: bool, expenses: bool, liabilities: bool) -> TaxRate {
    TaxRate {
        name: tax_type.to_owned(),
        tax_type: tax_type.to_owned(),
        status: Some("ACTIVE".to_owned()),
        can_apply_to_revenue: Some(revenue),
        can_apply_to_expenses: Some(expenses),
        can_apply_to_liabilities: Some(liabilities),
        can_apply_to_assets: Some(expenses),
        can_apply_to_equity: Some(false),
    }
}

/// A small rental company's Xero: clearing accounts, revenue, an archived account, system
/// accounts, a bank account, a Division tracking category and a lock date of 2019-07-31.
pub fn reference() -> ReferenceData {
    let mut archived = account("4900", "Old Revenue", "REVENUE", "REVENUE");
    archived.status = Some("ARCHIVED".to_owned());
    let mut debtors = account("610", "Accounts Receivable", "CURRENT", "ASSET");
    debtors.system_account = Some("DEBTORS".to_owned());
    let mut rounding = account("860", "Rounding", "CURRENT", "EXPENSE");
    rounding.system_account = Some("ROUNDING".to_owned());
    let option = |name: &str, status: &str| TrackingOption {
        name: name.to_owned(),
        status: Some(status.to_owned()),
        ..TrackingOption::default()
    };
    ReferenceData {
        accounts: vec![
            account("1200", "A/R Clearing", "CURRENT", "ASSET"),
            account("2200", "Sales Tax Payable", "CURRLIAB", "LIABILITY"),
            account("4000", "Rental Revenue", "REVENUE", "REVENUE"),
            account("4100", "Damage Waiver", "REVENUE", "REVENUE"),
            account("5000", "Cost of Sales", "DIRECTCOSTS", "EXPENSE"),
            account("090", "Operating Bank", "BANK", "ASSET"),
            archived,
            debtors,
            rounding,
        ],
        tax_rates: vec![
            tax("NONE", true, true, true),
            tax("OUTPUT", true, false, true),
            tax("INPUT", false, true, true),
        ],
        tracking_categories: vec![TrackingCategory {
            name: "Division".to_owned(),
            status: Some("ACTIVE".to_owned()),
            options: vec![
                option("1", "ACTIVE"),
                option("2", "ACTIVE"),
                option("3", "ARCHIVED"),
            ],
            ..TrackingCategory::default()
        }],
        organisation: Organisation {
            name: "Acme Equipment Rentals".to_owned(),
            base_currency: Some("CAD".to_owned()),
            period_lock_date: Some(day("2019-07-31")),
            ..Organisation::default()
        },
    }
}

/// `count` postings (a multiple of four is exact) for the planning benchmark: balanced A/R
/// invoices of four postings (clearing, rental, damage waiver, sales tax) over 60 days from
/// 2019-08-01 in divisions 1 and 2. Planned by date and division against [`reference`], they make
/// 120 postable journals of about 830 postings each.
pub fn big_gl(count: usize) -> Vec<Posting> {
    let first = day("2019-08-01");
    let mut out = Vec::with_capacity(count);
    for n in 0..count.div_ceil(4) {
        let date = first + chrono::Days::new(u64::try_from(n % 60).unwrap());
        let date = date.format("%Y-%m-%d").to_string();
        let division = Some(if n / 60 % 2 == 0 { "1" } else { "2" });
        let cents = 10_000 + i64::try_from(n % 9_000).unwrap() * 7;
        let (rental, waiver) = (cents * 8 / 10, cents / 10);
        let tax = cents - rental - waiver;
        let money = |c: i64| format!("{}.{:02}", c / 100, c.abs() % 100);
        for (suffix, account, amount) in [
            ("a", "1200", money(cents)),
            ("b", "4000", money(-rental)),
            ("c", "4100", money(-waiver)),
            ("d", "2200", money(-tax)),
        ] {
            if out.len() < count {
                out.push(posting(
                    &format!("P{n}-{suffix}"),
                    &date,
                    account,
                    division,
                    &amount,
                ));
            }
        }
    }
    out
}
