//! The mapping screen (admins): every SRM account seen in the feed → a Xero account from the live
//! chart (with suggestions, archived and system accounts flagged), divisions → tracking options,
//! tax types, rounding, POSTED or DRAFT, grouping, lines, cut-off and narration; checked inline with
//! shared's checks, saved with the version it was edited from.

use std::collections::BTreeSet;
use std::rc::Rc;

use rust_decimal::Decimal;
use srm_xero_shared::api::{MappingDocument, MappingHistoryEntry, ReferenceSnapshot};
use srm_xero_shared::mapping::{AccountRule, DimensionMap, Grouping, LineMode, PostAs};
use srm_xero_shared::sort::{sort, sort_by};
use srm_xero_shared::validate::REFUSED_SYSTEM_ACCOUNTS;
use srm_xero_shared::xero::dates::parse_iso_date;
use srm_xero_shared::xero::reference::{Account, ReferenceData};
use srm_xero_shared::{MappingSettings, Posting};
use yew::prelude::*;

use super::modal::use_focus_return;
use super::{Notice, checked_of, value_of};
use crate::format;

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

/// Every SRM account (and division) in the postings or the rules, sorted.
pub fn srm_rows(postings: &[Posting], settings: &MappingSettings) -> Vec<MapRow> {
    let mut seen = BTreeSet::new();
    let mut rows = Vec::new();
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
        if seen.insert((account.clone(), division.clone())) {
            rows.push(MapRow {
                account,
                division,
                description,
            });
        }
    }
    sort(&mut rows);
    rows
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
    set_of(
        text.split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.len() > 2)
            .map(str::to_lowercase),
    )
}

/// A set built by inserting: `collect()` into a `BTreeSet` sorts first, and each sort is code in
/// the bundle (see `srm_xero_shared::sort`).
fn set_of<T: Ord>(items: impl Iterator<Item = T>) -> BTreeSet<T> {
    let mut set = BTreeSet::new();
    for item in items {
        set.insert(item);
    }
    set
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
        sort_by(&mut scored, &|a, b| {
            b.0.cmp(&a.0).then_with(|| a.1.code.cmp(&b.1.code))
        });
        out.extend(scored.into_iter().take(2).map(|(_, a)| a));
    }
    out
}

/// Sets (or with `None` removes) the rule for exactly this SRM account and division.
pub fn set_rule(settings: &mut MappingSettings, row: &MapRow, code: Option<String>) {
    settings
        .accounts
        .retain(|r| !(r.srm_account == row.account && r.division == row.division));
    if let Some(xero_code) = code.filter(|c| !c.trim().is_empty()) {
        settings.accounts.push(AccountRule {
            srm_account: row.account.clone(),
            division: row.division.clone(),
            xero_code,
        });
    }
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

/// A change to the draft settings from a field's value.
type Edit = Rc<dyn Fn(&mut MappingSettings, String)>;

/// Props of [`MappingScreen`].
#[derive(Properties, PartialEq)]
pub struct MappingProps {
    /// The mapping as saved.
    pub mapping: MappingDocument,
    /// Xero's reference data.
    pub reference: super::Shared<ReferenceSnapshot>,
    /// The postings read (their accounts are the rows).
    pub postings: super::Shared<Vec<Posting>>,
    /// Who changed the mapping when, newest first, once read.
    #[prop_or_default]
    pub history: Option<super::Shared<Vec<MappingHistoryEntry>>>,
    /// Saving.
    pub saving: bool,
    /// A failure to show.
    pub notice: Option<AttrValue>,
    /// Save these settings.
    pub on_save: Callback<MappingSettings>,
    /// Back to the preview.
    pub on_close: Callback<()>,
    /// Read Xero's chart again.
    pub on_refresh: Callback<()>,
    /// Dismiss the notice.
    pub on_dismiss: Callback<()>,
}

/// The mapping screen.
#[component]
pub fn MappingScreen(props: &MappingProps) -> Html {
    // Opened from the "Mapping" button: focus starts at the title and goes back to that button.
    let node = use_node_ref();
    use_focus_return(
        node.clone(),
        AttrValue::Static("h3.mapping-title"),
        AttrValue::Static("button[name='mapping']"),
    );
    let draft = use_state(|| props.mapping.settings.clone());
    let tolerance_text = use_state(|| props.mapping.settings.rounding.tolerance.to_string());
    {
        // A saved (or reloaded) mapping replaces the draft.
        let draft = draft.clone();
        let tolerance_text = tolerance_text.clone();
        use_effect_with(props.mapping.clone(), move |mapping| {
            draft.set(mapping.settings.clone());
            tolerance_text.set(mapping.settings.rounding.tolerance.to_string());
        });
    }
    let reference = &props.reference.reference;
    let settings = (*draft).clone();
    let edit = |change: Edit| {
        let draft = draft.clone();
        Callback::from(move |e: Event| {
            let mut next = (*draft).clone();
            change(&mut next, value_of(&e));
            draft.set(next);
        })
    };
    let tolerance: Result<Decimal, String> = Decimal::from_str_exact(tolerance_text.trim())
        .map_err(|_| {
            format!(
                "\"{}\" is not an amount: type e.g. 0.05.",
                tolerance_text.trim()
            )
        });
    let mut errors: Vec<String> = settings.check().iter().map(ToString::to_string).collect();
    if let Err(e) = &tolerance {
        errors.push(e.clone());
    }
    let rows = srm_rows(&props.postings, &settings);
    let mut codes: Vec<&Account> = reference
        .accounts
        .iter()
        .filter(|a| a.code.is_some())
        .collect();
    sort_by(&mut codes, &|a, b| a.code.cmp(&b.code));
    let account_options = |selected: &str| -> Html {
        codes.iter().map(|a| {
            let code = a.code.clone().unwrap_or_default();
            let flag = account_flag(a).map(|f| format!(" ({f})")).unwrap_or_default();
            html! { <option value={code.clone()} selected={code == selected}>{ format!("{code} — {}{flag}", a.name) }</option> }
        }).collect::<Html>()
    };
    let tax_options = |selected: &str| -> Html {
        html! {
            <>
                <option value="" selected={selected.is_empty()}>{ "None (no tax)" }</option>
                { for reference.tax_rates.iter().filter(|t| t.status.as_deref().is_none_or(|s| s == "ACTIVE")).map(|t| html! {
                    <option value={t.tax_type.clone()} selected={t.tax_type == selected}>{ format!("{} — {}", t.tax_type, t.name) }</option>
                }) }
            </>
        }
    };
    let table_rows = rows.iter().map(|row| {
        let (code, _) = settings.xero_code(&row.account, row.division.as_deref());
        let code = code.to_owned();
        let has_rule = settings
            .accounts
            .iter()
            .any(|r| r.srm_account == row.account && r.division == row.division);
        let problem = row_problem(row, &settings, reference);
        let on_account = {
            let row = row.clone();
            edit(Rc::new(move |s, v| set_rule(s, &row, Some(v).filter(|v| !v.is_empty()))))
        };
        let on_tax = {
            let code = code.clone();
            edit(Rc::new(move |s, v| {
                if v.is_empty() {
                    s.tax_types.remove(&code);
                } else {
                    s.tax_types.insert(code.clone(), v);
                }
            }))
        };
        let tax = settings.tax_types.get(&code).cloned().unwrap_or_default();
        let hints = suggestions(row, reference)
            .into_iter()
            .filter(|a| a.code.as_deref() != Some(code.as_str()))
            .map(|a| {
                let a_code = a.code.clone().unwrap_or_default();
                let label = format!("{a_code} {}", a.name);
                let draft = draft.clone();
                let row = row.clone();
                let use_it = Callback::from(move |_: MouseEvent| {
                    let mut next = (*draft).clone();
                    set_rule(&mut next, &row, Some(a_code.clone()));
                    draft.set(next);
                });
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
                        { account_options(if has_rule { code.as_str() } else { "" }) }
                    </select>
                    if let Some(p) = problem { <div class="inline-error" role="note">{ p }</div> }
                    <div class="hints">{ hints }</div>
                </td>
                <td>
                    <select aria-label={format!("Tax type for Xero account {code}")} onchange={on_tax}>{ tax_options(&tax) }</select>
                </td>
            </tr>
        }
    }).collect::<Html>();

    let divisions = set_of(props.postings.iter().filter_map(|p| p.division.clone()));
    let stores = set_of(props.postings.iter().filter_map(|p| p.store.clone()));
    let (division_select, division_rows) =
        dimension_editor(Dim::Division, &divisions, &settings, reference, &draft);
    let (store_select, store_rows) =
        dimension_editor(Dim::Store, &stores, &settings, reference, &draft);

    let rounding_account = settings.rounding.account.clone().unwrap_or_default();
    let on_rounding_account = edit(Rc::new(|s, v| {
        s.rounding.account = (!v.is_empty()).then_some(v);
    }));
    let on_tolerance = {
        let tolerance_text = tolerance_text.clone();
        let draft = draft.clone();
        Callback::from(move |e: InputEvent| {
            let text = value_of(&e);
            if let Ok(value) = Decimal::from_str_exact(text.trim()) {
                let mut next = (*draft).clone();
                next.rounding.tolerance = value;
                draft.set(next);
            }
            tolerance_text.set(text);
        })
    };
    let on_round_extra = {
        let draft = draft.clone();
        Callback::from(move |e: Event| {
            let mut next = (*draft).clone();
            next.rounding.round_extra_decimals = checked_of(&e);
            draft.set(next);
        })
    };
    let on_status = edit(Rc::new(|s, v| {
        s.status = if v == "DRAFT" {
            PostAs::Draft
        } else {
            PostAs::Posted
        }
    }));
    let on_grouping = edit(Rc::new(|s, v| {
        s.grouping = match v.as_str() {
            "date" => Grouping::Date,
            "date_store" => Grouping::DateStore,
            "date_source" => Grouping::DateSource,
            _ => Grouping::DateDivision,
        };
    }));
    let on_lines = edit(Rc::new(|s, v| {
        s.lines = if v == "gross" {
            LineMode::Gross
        } else {
            LineMode::Net
        }
    }));
    let on_cutoff = edit(Rc::new(|s, v| {
        s.cutoff_date = parse_iso_date(&v);
    }));
    let on_narration = {
        let draft = draft.clone();
        Callback::from(move |e: InputEvent| {
            let mut next = (*draft).clone();
            next.narration_template = value_of(&e);
            draft.set(next);
        })
    };
    let grouping = match settings.grouping {
        Grouping::Date => "date",
        Grouping::DateDivision => "date_division",
        Grouping::DateStore => "date_store",
        Grouping::DateSource => "date_source",
    };
    let changed = settings != props.mapping.settings;
    let can_save = errors.is_empty() && changed && !props.saving;
    let save = {
        let draft = draft.clone();
        let on_save = props.on_save.clone();
        Callback::from(move |_: MouseEvent| on_save.emit((*draft).clone()))
    };
    let close = props.on_close.reform(|_: MouseEvent| ());
    // Esc goes back like the button, but never throws away unsaved changes.
    let onkeydown = {
        let on_close = props.on_close.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Escape" && !changed {
                e.prevent_default();
                on_close.emit(());
            }
        })
    };
    let refresh = props.on_refresh.reform(|_: MouseEvent| ());
    let revert = {
        let draft = draft.clone();
        let saved = props.mapping.settings.clone();
        Callback::from(move |_: MouseEvent| draft.set(saved.clone()))
    };
    html! {
        <section class="panel mapping" aria-label="Mapping" ref={node} {onkeydown}>
            <div class="row">
                <h3 class="mapping-title" tabindex="-1">{ "Mapping" }</h3>
                <span class="muted">{ format!("version {}{}", props.mapping.version,
                    props.mapping.updated_by.as_ref().map(|w| format!(", last changed by {w}")).unwrap_or_default()) }</span>
                <span class="spacer"></span>
                <button type="button" class="secondary" onclick={refresh}>{ "Read Xero's chart again" }</button>
                <button type="button" class="secondary" name="close-mapping" onclick={close}>{ "Back to the preview" }</button>
            </div>
            <Notice text={props.notice.clone()} on_dismiss={props.on_dismiss.clone()} />
            if rows.is_empty() {
                <p class="muted">{ "Preview first: the SRM accounts in the feed are listed here to map." }</p>
            }
            <div class="table-wrap">
            <table class="map">
                <thead><tr><th>{ "SRM account" }</th><th>{ "Division" }</th><th>{ "Description" }</th><th>{ "Xero account" }</th><th>{ "Tax type" }</th></tr></thead>
                <tbody>{ table_rows }</tbody>
            </table>
            </div>
            <h4>{ "Tracking" }</h4>
            <div class="fields">
                <label class="field"><span>{ "Divisions go to tracking category" }</span>{ division_select }</label>
                <label class="field"><span>{ "Stores go to tracking category" }</span>{ store_select }</label>
            </div>
            <div class="table-wrap"><table class="map narrow"><tbody>{ division_rows }{ store_rows }</tbody></table></div>
            <h4>{ "Journals" }</h4>
            <div class="fields">
                <label class="field"><span>{ "Rounding account" }</span>
                    <select name="rounding-account" onchange={on_rounding_account}>
                        <option value="" selected={rounding_account.is_empty()}>{ "None (unbalanced journals are refused)" }</option>
                        { account_options(&rounding_account) }
                    </select>
                </label>
                <label class="field"><span>{ "Rounding tolerance" }</span>
                    <input type="text" inputmode="decimal" name="tolerance" value={(*tolerance_text).clone()} oninput={on_tolerance} />
                </label>
                <label class="check"><input type="checkbox" name="round-extra" checked={settings.rounding.round_extra_decimals} onchange={on_round_extra} />
                    { "Round amounts to the cent" }</label>
                <label class="field"><span>{ "Post as" }</span>
                    <select name="status" onchange={on_status}>
                        <option value="POSTED" selected={settings.status == PostAs::Posted}>{ "POSTED" }</option>
                        <option value="DRAFT" selected={settings.status == PostAs::Draft}>{ "DRAFT" }</option>
                    </select>
                </label>
                <label class="field"><span>{ "One journal per" }</span>
                    <select name="grouping" onchange={on_grouping}>
                        { for [("date_division", "date and division"), ("date", "date"), ("date_store", "date and store"), ("date_source", "date and source")]
                            .into_iter().map(|(v, l)| html! { <option value={v} selected={v == grouping}>{ l }</option> }) }
                    </select>
                </label>
                <label class="field"><span>{ "Lines" }</span>
                    <select name="lines" onchange={on_lines}>
                        <option value="net" selected={settings.lines == LineMode::Net}>{ "net per account" }</option>
                        <option value="gross" selected={settings.lines == LineMode::Gross}>{ "debits and credits apart" }</option>
                    </select>
                </label>
                <label class="field"><span>{ "Cut-off date (older postings are never exported)" }</span>
                    <input type="date" name="cutoff" value={settings.cutoff_date.map(|d| d.to_string()).unwrap_or_default()} onchange={on_cutoff} />
                </label>
                <label class="field wide"><span>{ "Narration" }</span>
                    <input type="text" name="narration" value={settings.narration_template.clone()} oninput={on_narration} />
                </label>
            </div>
            if !errors.is_empty() {
                <ul class="inline-error" role="alert">{ for errors.iter().map(|e| html! { <li>{ e }</li> }) }</ul>
            }
            <div class="accept-bar">
                <button type="button" class="primary" name="save-mapping" disabled={!can_save} onclick={save}>
                    { if props.saving { "Saving…" } else { "Save mapping" } }
                </button>
                <button type="button" class="secondary" disabled={!changed} onclick={revert}>{ "Undo changes" }</button>
            </div>
            { history_list(props.history.as_deref()) }
        </section>
    }
}

/// How many of the latest changes the screen lists.
const HISTORY_SHOWN: usize = 8;

/// Who changed the mapping when, newest first.
fn history_list(history: Option<&Vec<MappingHistoryEntry>>) -> Html {
    let Some(history) = history else {
        return html! {};
    };
    let items = history.iter().take(HISTORY_SHOWN).map(|h| {
        let mut line = String::from("Version ");
        line.push_str(&h.version.to_string());
        line.push_str(" · ");
        line.push_str(&format::when(h.changed_at));
        line.push_str(" · ");
        line.push_str(&h.changed_by);
        html! { <li data-version={h.version.to_string()}>{ line }</li> }
    });
    html! {
        <section class="mapping-history" aria-label="Mapping history">
            <h4>{ "Changes" }</h4>
            if history.is_empty() {
                <p class="muted">{ "Never saved: the defaults apply." }</p>
            } else {
                <ol class="history">{ for items }</ol>
            }
        </section>
    }
}

/// A change to a dimension's tracking from a select's value.
type SlotEdit = Box<dyn Fn(&mut Option<DimensionMap>, String)>;

/// A tracked SRM dimension.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dim {
    Division,
    Store,
}

impl Dim {
    fn label(self) -> &'static str {
        match self {
            Dim::Division => "division",
            Dim::Store => "store",
        }
    }

    fn get(self, settings: &MappingSettings) -> Option<&DimensionMap> {
        match self {
            Dim::Division => settings.tracking.division.as_ref(),
            Dim::Store => settings.tracking.store.as_ref(),
        }
    }

    fn slot(self, settings: &mut MappingSettings) -> &mut Option<DimensionMap> {
        match self {
            Dim::Division => &mut settings.tracking.division,
            Dim::Store => &mut settings.tracking.store,
        }
    }
}

/// The category select of a dimension, and a row per value seen with its tracking option.
fn dimension_editor(
    dim: Dim,
    values: &BTreeSet<String>,
    settings: &MappingSettings,
    reference: &ReferenceData,
    draft: &UseStateHandle<MappingSettings>,
) -> (Html, Html) {
    let label = dim.label();
    let map = dim.get(settings).cloned();
    let edit = |change: SlotEdit| {
        let draft = draft.clone();
        Callback::from(move |e: Event| {
            let mut next = (*draft).clone();
            change(dim.slot(&mut next), value_of(&e));
            draft.set(next);
        })
    };
    let on_category = edit(Box::new(|slot, v| {
        let options = slot.as_ref().map(|d| d.options.clone()).unwrap_or_default();
        *slot = if v.is_empty() {
            None
        } else {
            Some(DimensionMap {
                category: v,
                options,
            })
        };
    }));
    let current = map.as_ref().map(|d| d.category.clone()).unwrap_or_default();
    let known = reference
        .tracking_categories
        .iter()
        .any(|c| c.name == current);
    let select = html! {
        <select name={format!("{label}-category")} onchange={on_category}>
            <option value="" selected={current.is_empty()}>{ format!("Do not track {label}s") }</option>
            { for reference.tracking_categories.iter().map(|c| html! {
                <option value={c.name.clone()} selected={c.name == current}>{ &c.name }</option>
            }) }
            if !current.is_empty() && !known {
                <option value={current.clone()} selected=true>{ format!("{current} (not in Xero)") }</option>
            }
        </select>
    };
    let Some(map) = map else {
        return (select, html! {});
    };
    // Values already mapped are listed too, so the screen works before a preview.
    let values = set_of(values.iter().chain(map.options.keys()));
    let category = reference
        .tracking_categories
        .iter()
        .find(|c| c.name.eq_ignore_ascii_case(&map.category));
    let rows = values.into_iter().map(|value| {
        let chosen = map.option_for(value).to_owned();
        let exists = category.is_some_and(|c| {
            c.options.iter().any(|o| {
                o.name.eq_ignore_ascii_case(&chosen) && o.status.as_deref().is_none_or(|s| s == "ACTIVE")
            })
        });
        let key = value.clone();
        let on_option = edit(Box::new(move |slot, v| {
            if let Some(d) = slot.as_mut() {
                if v.is_empty() || v == key {
                    d.options.remove(&key);
                } else {
                    d.options.insert(key.clone(), v);
                }
            }
        }));
        html! {
            <tr>
                <td>{ format!("{} {value}", if dim == Dim::Division { "Division" } else { "Store" }) }</td>
                <td>
                    <select aria-label={format!("Tracking option for {label} {value}")} onchange={on_option}>
                        <option value="" selected={chosen == *value}>{ format!("Same name ({value})") }</option>
                        { for category.iter().flat_map(|c| c.options.iter()).map(|o| html! {
                            <option value={o.name.clone()} selected={o.name == chosen && chosen != *value}>{ &o.name }</option>
                        }) }
                    </select>
                    if !exists {
                        <div class="inline-error">{ format!("\"{}\" has no active option \"{chosen}\": choose one, or add it in Xero.", map.category) }</div>
                    }
                </td>
            </tr>
        }
    }).collect::<Html>();
    (select, rows)
}

#[cfg(test)]
mod tests {
    use super::*;
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
