//! The mapping's account table: every SRM account (and division) seen in the feed or the rules →
//! a Xero account from the live chart, with suggestions, archived and system accounts flagged, and
//! each Xero account's tax type.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use srm_xero_shared::api::ReferenceSnapshot;
use srm_xero_shared::validate::REFUSED_SYSTEM_ACCOUNTS;
use srm_xero_shared::xero::reference::{Account, ReferenceData};
use srm_xero_shared::{MappingSettings, Posting};
use yew::prelude::*;

use super::draft::Edit;
use crate::components::{Shared, value_of};

/// One SRM account (and division) to map.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct MapRow {
    /// SRM's account number.
    pub account: String,
    /// The division, when the feed has one.
    pub division: Option<String>,
    /// SRM's description.
    pub description: String,
}

/// Every SRM account (and division) in the postings or the rules, sorted, each once with the
/// first description seen.
pub fn srm_rows(postings: &[Posting], settings: &MappingSettings) -> Vec<MapRow> {
    let mut rows = BTreeMap::new();
    let from_postings = postings.iter().map(|p| {
        (
            p.account.clone(),
            p.division.clone(),
            p.account_description.clone(),
        )
    });
    let from_rules = settings
        .accounts
        .iter()
        .map(|r| (r.srm_account.clone(), r.division.clone(), String::new()));
    for (account, division, description) in from_postings.chain(from_rules) {
        rows.entry((account, division)).or_insert(description);
    }
    rows.into_iter()
        .map(|((account, division), description)| MapRow {
            account,
            division,
            description,
        })
        .collect()
}

/// Why an account is a poor choice, if it is.
pub fn account_flag(account: &Account) -> Option<String> {
    if account.status() != "ACTIVE" {
        return Some(account.status().to_lowercase());
    }
    if let Some(system) = account
        .system_account
        .as_deref()
        .filter(|s| REFUSED_SYSTEM_ACCOUNTS.contains(s))
    {
        return Some(format!(
            "system account {system}: not allowed in manual journals"
        ));
    }
    (account.account_type.as_deref() == Some("BANK"))
        .then(|| "bank account: Xero may refuse it".to_owned())
}

fn usable(account: &Account) -> bool {
    account_flag(account).is_none()
}

fn words(text: &str) -> BTreeSet<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() > 2)
        .map(str::to_lowercase)
        .collect()
}

/// Suggested Xero accounts for an SRM account: the same code first, then similar names.
pub fn suggestions<'a>(row: &MapRow, reference: &'a ReferenceData) -> Vec<&'a Account> {
    let mut out: Vec<&Account> = reference
        .accounts
        .iter()
        .filter(|a| a.code.as_deref() == Some(row.account.as_str()) && usable(a))
        .collect();
    let wanted = words(&row.description);
    if !wanted.is_empty() {
        let mut scored: Vec<(usize, &Account)> = reference
            .accounts
            .iter()
            .filter(|a| usable(a) && a.code.is_some() && !out.contains(a))
            .map(|a| (words(&a.name).intersection(&wanted).count(), a))
            .filter(|(score, _)| *score > 0)
            .collect();
        scored.sort_by(by_score_then_code);
        out.extend(scored.into_iter().take(2).map(|(_, a)| a));
    }
    out
}

/// Higher scores first, then code order. Both account lists sort with this one function, so the
/// bundle carries one copy of the sort for them.
fn by_score_then_code(a: &(usize, &Account), b: &(usize, &Account)) -> std::cmp::Ordering {
    b.0.cmp(&a.0).then_with(|| a.1.code.cmp(&b.1.code))
}

/// What is wrong with the Xero account a row maps to, if anything.
pub fn row_problem(
    row: &MapRow,
    settings: &MappingSettings,
    reference: &ReferenceData,
) -> Option<String> {
    let (code, _) = settings.xero_code(&row.account, row.division.as_deref());
    let found = reference.accounts.iter().find(|a| {
        a.code
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case(code))
    });
    match found {
        None => Some(format!("Xero has no account {code}: choose one.")),
        Some(account) => account_flag(account)
            .map(|flag| format!("{code} {} is {flag}: choose another.", account.name)),
    }
}

/// `<option>`s of every Xero account with a code, in code order, flagged where unusable.
pub fn account_options(reference: &ReferenceData, selected: &str) -> Html {
    let mut codes: Vec<(usize, &Account)> = reference
        .accounts
        .iter()
        .filter(|a| a.code.is_some())
        .map(|a| (0, a))
        .collect();
    codes.sort_by(by_score_then_code);
    codes
        .into_iter()
        .map(|(_, a)| {
            let code = a.code.clone().unwrap_or_default();
            let flag = account_flag(a).map(|f| format!(" ({f})")).unwrap_or_default();
            html! { <option value={code.clone()} selected={code == selected}>{ format!("{code} — {}{flag}", a.name) }</option> }
        })
        .collect()
}

/// `<option>`s of the active tax rates, and none.
fn tax_options(reference: &ReferenceData, selected: &str) -> Html {
    html! {
        <>
            <option value="" selected={selected.is_empty()}>{ "None (no tax)" }</option>
            { for reference.tax_rates.iter().filter(|t| t.status.as_deref().is_none_or(|s| s == "ACTIVE")).map(|t| html! {
                <option value={t.tax_type.clone()} selected={t.tax_type == selected}>{ format!("{} — {}", t.tax_type, t.name) }</option>
            }) }
        </>
    }
}

/// Props of [`AccountTable`].
#[derive(Properties, PartialEq)]
pub struct AccountTableProps {
    /// The draft settings.
    pub settings: Rc<MappingSettings>,
    /// Xero's reference data.
    pub reference: Shared<ReferenceSnapshot>,
    /// The postings read (their accounts are the rows).
    pub postings: Shared<Vec<Posting>>,
    /// A field changed.
    pub on_edit: Callback<Edit>,
}

/// The account table, one row per SRM account and division.
#[component]
pub fn AccountTable(props: &AccountTableProps) -> Html {
    let settings = &*props.settings;
    let reference = &props.reference.reference;
    let rows = srm_rows(&props.postings, settings);
    let table_rows = rows.iter().map(|row| {
        let (code, _) = settings.xero_code(&row.account, row.division.as_deref());
        let code = code.to_owned();
        let has_rule = settings
            .accounts
            .iter()
            .any(|r| r.srm_account == row.account && r.division == row.division);
        let problem = row_problem(row, settings, reference);
        let on_account = {
            let row = row.clone();
            props.on_edit.reform(move |e: Event| {
                Edit::Rule(row.clone(), Some(value_of(&e)).filter(|v| !v.is_empty()))
            })
        };
        let on_tax = {
            let code = code.clone();
            props.on_edit.reform(move |e: Event| {
                Edit::TaxType(code.clone(), Some(value_of(&e)).filter(|v| !v.is_empty()))
            })
        };
        let tax = settings.tax_types.get(&code).cloned().unwrap_or_default();
        let hints = suggestions(row, reference)
            .into_iter()
            .filter(|a| a.code.as_deref() != Some(code.as_str()))
            .map(|a| {
                let a_code = a.code.clone().unwrap_or_default();
                let label = format!("{a_code} {}", a.name);
                let row = row.clone();
                let use_it = props
                    .on_edit
                    .reform(move |_: MouseEvent| Edit::Rule(row.clone(), Some(a_code.clone())));
                html! { <button type="button" class="link suggestion" onclick={use_it}>{ format!("Use {label}") }</button> }
            })
            .collect::<Html>();
        let name = format!("map-{}-{}", row.account, row.division.clone().unwrap_or_default());
        html! {
            <tr data-account={row.account.clone()} data-division={row.division.clone().unwrap_or_default()}>
                <td>{ &row.account }</td>
                <td>{ row.division.clone().unwrap_or_default() }</td>
                <td>{ &row.description }</td>
                <td>
                    <select name={name} aria-label={format!("Xero account for SRM {}", row.account)} onchange={on_account}>
                        <option value="" selected={!has_rule}>{ format!("Same code ({})", row.account) }</option>
                        { account_options(reference, if has_rule { code.as_str() } else { "" }) }
                    </select>
                    if let Some(p) = problem { <div class="inline-error" role="note">{ p }</div> }
                    <div class="hints">{ hints }</div>
                </td>
                <td>
                    <select aria-label={format!("Tax type for Xero account {code}")} onchange={on_tax}>{ tax_options(reference, &tax) }</select>
                </td>
            </tr>
        }
    }).collect::<Html>();
    html! {
        <>
            if rows.is_empty() {
                <p class="muted">{ "Preview first: the SRM accounts in the feed are listed here to map." }</p>
            }
            <div class="table-wrap">
            <table class="map">
                <thead><tr><th>{ "SRM account" }</th><th>{ "Division" }</th><th>{ "Description" }</th><th>{ "Xero account" }</th><th>{ "Tax type" }</th></tr></thead>
                <tbody>{ table_rows }</tbody>
            </table>
            </div>
        </>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::components::mapping::draft::set_rule;
    use crate::fixtures;

    #[test]
    fn rows_come_from_the_feed_and_suggestions_skip_archived_accounts() {
        let settings = MappingSettings::default();
        let rows = srm_rows(&fixtures::postings(), &settings);
        let keys: Vec<(&str, Option<&str>)> = rows
            .iter()
            .map(|r| (r.account.as_str(), r.division.as_deref()))
            .collect();
        assert_eq!(
            keys,
            vec![
                ("1200", Some("1")),
                ("1200", Some("2")),
                ("4000", Some("1")),
                ("4100", Some("2"))
            ]
        );
        let reference = fixtures::reference().reference;
        let archived = &rows[3];
        assert_eq!(
            row_problem(archived, &settings, &reference).as_deref(),
            Some("4100 Rental Revenue (old) is archived: choose another.")
        );
        let suggested: Vec<&str> = suggestions(archived, &reference)
            .iter()
            .filter_map(|a| a.code.as_deref())
            .collect();
        assert_eq!(suggested, vec!["4000", "4010"]);
        let debtors = reference
            .accounts
            .iter()
            .find(|a| a.code.as_deref() == Some("1100"))
            .unwrap();
        assert!(
            account_flag(debtors)
                .unwrap()
                .contains("system account DEBTORS")
        );
    }

    #[test]
    fn a_rule_is_set_and_removed_for_exactly_one_account_and_division() {
        let mut settings = MappingSettings::default();
        let row = MapRow {
            account: "4100".into(),
            division: Some("2".into()),
            description: String::new(),
        };
        set_rule(&mut settings, &row, Some("4000".into()));
        set_rule(&mut settings, &row, Some("4010".into()));
        assert_eq!(settings.accounts.len(), 1);
        assert_eq!(settings.xero_code("4100", Some("2")).0, "4010");
        assert_eq!(settings.xero_code("4100", Some("1")).0, "4100");
        assert_eq!(
            row_problem(&row, &settings, &fixtures::reference().reference),
            None
        );
        set_rule(&mut settings, &row, None);
        assert_eq!(settings.accounts, Vec::new());
    }
}
