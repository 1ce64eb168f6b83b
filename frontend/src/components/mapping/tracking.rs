//! The mapping's tracking: which Xero tracking category each SRM dimension (division, store) goes
//! to, and each value's option, flagged when Xero has no active option of that name.

use std::collections::BTreeSet;
use std::rc::Rc;

use srm_xero_shared::api::ReferenceSnapshot;
use srm_xero_shared::{MappingSettings, Posting};
use yew::prelude::*;

use super::draft::{Dim, Edit};
use crate::components::{Shared, value_of};

/// Props of [`TrackingEditor`].
#[derive(Properties, PartialEq)]
pub struct TrackingProps {
    /// The draft settings.
    pub settings: Rc<MappingSettings>,
    /// Xero's reference data.
    pub reference: Shared<ReferenceSnapshot>,
    /// The postings read (their divisions and stores are listed).
    pub postings: Shared<Vec<Posting>>,
    /// A field changed.
    pub on_edit: Callback<Edit>,
}

/// Both dimensions' categories, and a row per value seen (or already mapped) with its option.
#[component]
pub fn TrackingEditor(props: &TrackingProps) -> Html {
    let divisions: BTreeSet<String> = props
        .postings
        .iter()
        .filter_map(|p| p.division.clone())
        .collect();
    let stores: BTreeSet<String> = props
        .postings
        .iter()
        .filter_map(|p| p.store.clone())
        .collect();
    let (division_select, division_rows) = dimension(Dim::Division, &divisions, props);
    let (store_select, store_rows) = dimension(Dim::Store, &stores, props);
    html! {
        <>
            <h4>{ "Tracking" }</h4>
            <div class="fields">
                <label class="field"><span>{ "Divisions go to tracking category" }</span>{ division_select }</label>
                <label class="field"><span>{ "Stores go to tracking category" }</span>{ store_select }</label>
            </div>
            <div class="table-wrap"><table class="map narrow"><tbody>{ division_rows }{ store_rows }</tbody></table></div>
        </>
    }
}

/// The category select of a dimension, and a row per value with its tracking option.
fn dimension(dim: Dim, values: &BTreeSet<String>, props: &TrackingProps) -> (Html, Html) {
    let reference = &props.reference.reference;
    let label = dim.label();
    let map = dim.get(&props.settings);
    let on_category = props
        .on_edit
        .reform(move |e: Event| Edit::Category(dim, Some(value_of(&e)).filter(|v| !v.is_empty())));
    let current = map.map(|d| d.category.clone()).unwrap_or_default();
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
    let values: BTreeSet<&String> = values.iter().chain(map.options.keys()).collect();
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
        let on_option = {
            let value = value.clone();
            props.on_edit.reform(move |e: Event| {
                Edit::TrackingOption(dim, value.clone(), Some(value_of(&e)).filter(|v| !v.is_empty()))
            })
        };
        let name = if dim == Dim::Division { "Division" } else { "Store" };
        html! {
            <tr>
                <td>{ format!("{name} {value}") }</td>
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
