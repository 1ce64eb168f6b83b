//! The mapping's journal settings: rounding account and tolerance, rounding to the cent, POSTED or
//! DRAFT, grouping, lines, the cut-off date and the narration.

use std::rc::Rc;

use srm_xero_shared::MappingSettings;
use srm_xero_shared::api::ReferenceSnapshot;
use srm_xero_shared::mapping::{Grouping, LineMode, PostAs};
use yew::prelude::*;

use super::accounts::account_options;
use super::draft::Edit;
use crate::components::{Shared, checked_of, value_of};

/// Props of [`JournalFields`].
#[derive(Properties, PartialEq)]
pub struct JournalFieldsProps {
    /// The draft settings.
    pub settings: Rc<MappingSettings>,
    /// The tolerance field's text.
    pub tolerance: AttrValue,
    /// Xero's reference data (the rounding account's choices).
    pub reference: Shared<ReferenceSnapshot>,
    /// A field changed.
    pub on_edit: Callback<Edit>,
}

/// How a grouping reads in its menu.
fn grouping_label(grouping: Grouping) -> &'static str {
    match grouping {
        Grouping::DateDivision => "date and division",
        Grouping::Date => "date",
        Grouping::DateStore => "date and store",
        Grouping::DateSource => "date and source",
    }
}

/// How a line mode reads in its menu.
fn lines_label(lines: LineMode) -> &'static str {
    match lines {
        LineMode::Net => "net per account",
        LineMode::Gross => "debits and credits apart",
    }
}

/// The grouping menu's order: SRM's own behaviour first.
const GROUPINGS: [Grouping; 4] = [
    Grouping::DateDivision,
    Grouping::Date,
    Grouping::DateStore,
    Grouping::DateSource,
];

/// `<option>`s of every value of a named enum, `selected` chosen.
fn options<T: Copy + PartialEq>(
    values: &[T],
    selected: T,
    name: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Html {
    values
        .iter()
        .map(|&v| html! { <option value={name(v)} selected={v == selected}>{ label(v) }</option> })
        .collect()
}

/// The journal settings' fields.
#[component]
pub fn JournalFields(props: &JournalFieldsProps) -> Html {
    let settings = &*props.settings;
    let edit = |make: fn(String) -> Edit| props.on_edit.reform(move |e: Event| make(value_of(&e)));
    let rounding_account = settings.rounding.account.clone().unwrap_or_default();
    let on_rounding_account = edit(|v| Edit::RoundingAccount(Some(v).filter(|v| !v.is_empty())));
    let on_tolerance = props
        .on_edit
        .reform(|e: InputEvent| Edit::Tolerance(value_of(&e)));
    let on_round_extra = props
        .on_edit
        .reform(|e: Event| Edit::RoundExtra(checked_of(&e)));
    // A value the menu does not offer cannot arrive: the settings keep theirs.
    let on_status = {
        let status = settings.status;
        props
            .on_edit
            .reform(move |e: Event| Edit::PostAs(value_of(&e).parse().unwrap_or(status)))
    };
    let on_grouping = {
        let grouping = settings.grouping;
        props
            .on_edit
            .reform(move |e: Event| Edit::Grouping(value_of(&e).parse().unwrap_or(grouping)))
    };
    let on_lines = {
        let lines = settings.lines;
        props
            .on_edit
            .reform(move |e: Event| Edit::Lines(value_of(&e).parse().unwrap_or(lines)))
    };
    let on_cutoff = edit(|v| Edit::Cutoff(v.trim().parse().ok()));
    let on_narration = props
        .on_edit
        .reform(|e: InputEvent| Edit::Narration(value_of(&e)));
    html! {
        <>
            <h4>{ "Journals" }</h4>
            <div class="fields">
                <label class="field"><span>{ "Rounding account" }</span>
                    <select name="rounding-account" onchange={on_rounding_account}>
                        <option value="" selected={rounding_account.is_empty()}>{ "None (unbalanced journals are refused)" }</option>
                        { account_options(&props.reference.reference, &rounding_account) }
                    </select>
                </label>
                <label class="field"><span>{ "Rounding tolerance" }</span>
                    <input type="text" inputmode="decimal" name="tolerance" value={props.tolerance.clone()} oninput={on_tolerance} />
                </label>
                <label class="check"><input type="checkbox" name="round-extra" checked={settings.rounding.round_extra_decimals} onchange={on_round_extra} />
                    { "Round amounts to the cent" }</label>
                <label class="field"><span>{ "Post as" }</span>
                    <select name="status" onchange={on_status}>
                        { options(PostAs::ALL, settings.status, PostAs::as_str, PostAs::as_str) }
                    </select>
                </label>
                <label class="field"><span>{ "One journal per" }</span>
                    <select name="grouping" onchange={on_grouping}>
                        { options(&GROUPINGS, settings.grouping, Grouping::as_str, grouping_label) }
                    </select>
                </label>
                <label class="field"><span>{ "Lines" }</span>
                    <select name="lines" onchange={on_lines}>
                        { options(LineMode::ALL, settings.lines, LineMode::as_str, lines_label) }
                    </select>
                </label>
                <label class="field"><span>{ "Cut-off date (older postings are never exported)" }</span>
                    <input type="date" name="cutoff" value={settings.cutoff_date.map(|d| d.to_string()).unwrap_or_default()} onchange={on_cutoff} />
                </label>
                <label class="field wide"><span>{ "Narration" }</span>
                    <input type="text" name="narration" value={settings.narration_template.clone()} oninput={on_narration} />
                </label>
            </div>
        </>
    }
}
