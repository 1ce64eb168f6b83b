//! Forming a journal's lines from its postings: map, group, net (or not), round, balance.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::feed::Posting;
use crate::mapping::{CodeSource, LineMode, MappingSettings};
use crate::money::Money;
use crate::problem::Problem;
use crate::xero::TrackingRef;

/// One line of a planned journal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PlannedLine {
    /// The Xero account code.
    pub account_code: String,
    /// Whether the code came from a rule or is SRM's own code.
    pub code_source: CodeSource,
    /// The SRM accounts folded into this line.
    pub srm_accounts: Vec<SrmAccount>,
    /// The line's description (names its SRM accounts).
    pub description: String,
    /// Debit positive, credit negative.
    pub amount: Money,
    /// Tracking, at most two.
    pub tracking: Vec<TrackingRef>,
    /// Tax type, when the mapping sets one for the account.
    pub tax_type: Option<String>,
    /// Whether this is the rounding line that absorbs a residue.
    pub rounding: bool,
}

/// An SRM account as it appears on a line.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SrmAccount {
    /// SRM's account number.
    pub account: String,
    /// Its division.
    pub division: Option<String>,
    /// SRM's description.
    pub description: String,
}

#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct LineKey {
    account_code: String,
    tracking: Vec<TrackingRef>,
    tax_type: Option<String>,
    /// In gross mode, debits (`Some(true)`) and credits apart.
    debit_side: Option<bool>,
}

#[derive(Default)]
struct Accumulator {
    sum: Decimal,
    code_source: Option<CodeSource>,
    srm_accounts: BTreeSet<SrmAccount>,
}

/// The tracking a posting's division and store map to.
pub(super) fn tracking_for(posting: &Posting, settings: &MappingSettings) -> Vec<TrackingRef> {
    let dimensions = [
        (&settings.tracking.division, &posting.division),
        (&settings.tracking.store, &posting.store),
    ];
    let mut tracking = dimensions
        .into_iter()
        .filter_map(|(map, value)| {
            let (map, value) = (map.as_ref()?, value.as_ref()?);
            Some(TrackingRef {
                name: map.category.clone(),
                option: map.option_for(value).to_owned(),
                ..TrackingRef::default()
            })
        })
        .collect::<Vec<_>>();
    // `collect` leaves room for four; a line keeps its tracking for the life of the plan.
    tracking.shrink_to_fit();
    tracking
}

/// The lines of one journal, and the problems found while forming them.
pub(super) fn form_lines(
    postings: &[&Posting],
    settings: &MappingSettings,
) -> (Vec<PlannedLine>, Vec<Problem>) {
    let mut groups: BTreeMap<LineKey, Accumulator> = BTreeMap::new();
    for posting in postings {
        let (code, source) = settings.xero_code(&posting.account, posting.division.as_deref());
        let amount = posting.signed_amount();
        let key = LineKey {
            account_code: code.to_owned(),
            tracking: tracking_for(posting, settings),
            tax_type: settings.tax_types.get(code).cloned(),
            debit_side: (settings.lines == LineMode::Gross).then(|| amount.is_sign_positive()),
        };
        let acc = groups.entry(key).or_default();
        acc.sum += amount;
        acc.code_source.get_or_insert(source);
        if !acc
            .srm_accounts
            .iter()
            .any(|a| a.account == posting.account && a.division == posting.division)
        {
            acc.srm_accounts.insert(SrmAccount {
                account: posting.account.clone(),
                division: posting.division.clone(),
                description: posting.account_description.clone(),
            });
        }
    }
    let mut problems = Vec::new();
    let mut lines = Vec::new();
    for (key, acc) in groups {
        let srm_accounts: Vec<SrmAccount> = acc.srm_accounts.into_iter().collect();
        let description = describe(&srm_accounts);
        let amount = match Money::try_from_decimal(acc.sum) {
            Ok(exact) => exact,
            Err(_) if settings.rounding.round_extra_decimals => Money::round(acc.sum),
            Err(_) => {
                problems.push(Problem::ExcessPrecision {
                    account: description.clone(),
                    amount: acc.sum.to_string(),
                });
                Money::round(acc.sum)
            }
        };
        if amount.is_zero() {
            continue;
        }
        lines.push(PlannedLine {
            account_code: key.account_code,
            code_source: acc.code_source.unwrap_or(CodeSource::SameCode),
            srm_accounts,
            description,
            amount,
            tracking: key.tracking,
            tax_type: key.tax_type,
            rounding: false,
        });
    }
    (lines, problems)
}

/// Balances the lines: a residue within tolerance goes to the rounding account on its own line;
/// anything else is a problem with both totals and the difference.
pub(super) fn balance(lines: &mut Vec<PlannedLine>, settings: &MappingSettings) -> Option<Problem> {
    let residue: Money = lines.iter().map(|l| l.amount).sum();
    if residue.is_zero() {
        return None;
    }
    let rounding = &settings.rounding;
    if let Some(account) = rounding
        .account
        .as_ref()
        .filter(|_| residue.abs().amount() <= rounding.tolerance)
    {
        lines.push(PlannedLine {
            account_code: account.clone(),
            code_source: CodeSource::Rule,
            srm_accounts: Vec::new(),
            description: format!("Rounding: SRM residue of {residue}"),
            amount: -residue,
            tracking: Vec::new(),
            tax_type: settings.tax_types.get(account).cloned(),
            rounding: true,
        });
        return None;
    }
    let debits: Money = lines
        .iter()
        .map(|l| l.amount)
        .filter(|a| a.is_positive())
        .sum();
    let credits = debits - residue;
    Some(Problem::Unbalanced {
        debits,
        credits,
        difference: residue,
    })
}

/// "SRM 4000 Rental Revenue", or "SRM 4000, 4010, …" when several SRM accounts share the line.
fn describe(accounts: &[SrmAccount]) -> String {
    const LISTED: usize = 6;
    match accounts {
        [one] if one.description.is_empty() => format!("SRM {}", one.account),
        [one] => format!("SRM {} {}", one.account, one.description),
        many => {
            let mut numbers: Vec<&str> = many.iter().map(|a| a.account.as_str()).collect();
            numbers.dedup();
            let shown = numbers
                .iter()
                .take(LISTED)
                .copied()
                .collect::<Vec<_>>()
                .join(", ");
            match numbers.len().checked_sub(LISTED) {
                Some(more) if more > 0 => format!("SRM {shown} and {more} more"),
                _ => format!("SRM {shown}"),
            }
        }
    }
}
