//! The Reconcile view: the days compared, the totals that agree in quiet text, each difference
//! highlighted with the journals behind it and a link into Xero (and Re-post for a journal voided
//! or deleted there), and the CSV download.

use std::rc::Rc;

use srm_xero_shared::JournalKey;
use srm_xero_shared::api::{Difference, Reconciliation, ReconciliationRow, XeroJournalChange};
use yew::prelude::*;

use super::{Notice, value_of};
use crate::format;
use crate::state::{Reconcile, ReconcileAction};

/// Props of [`ReconcileView`].
#[derive(Properties, PartialEq)]
pub struct ReconcileProps {
    /// The view's state.
    pub view: Rc<Reconcile>,
    /// The organisation's currency.
    pub currency: Option<AttrValue>,
    /// A failure to show.
    pub notice: Option<AttrValue>,
    /// Changes of the view alone (days typed).
    pub on_action: Callback<ReconcileAction>,
    /// Compare.
    pub on_compare: Callback<()>,
    /// Re-post a journal (export, key).
    pub on_repost: Callback<(u64, JournalKey)>,
    /// Open an export.
    pub on_open: Callback<u64>,
    /// Download the CSV.
    pub on_download: Callback<()>,
    /// Back to posting.
    pub on_close: Callback<()>,
    /// Dismiss the notice.
    pub on_dismiss: Callback<()>,
}

/// SRM against Xero for a range of days.
#[component]
pub fn ReconcileView(props: &ReconcileProps) -> Html {
    let view = &props.view;
    let on_from = props
        .on_action
        .reform(|e: InputEvent| ReconcileAction::SetFrom(value_of(&e)));
    let on_to = props
        .on_action
        .reform(|e: InputEvent| ReconcileAction::SetTo(value_of(&e)));
    let compare = props.on_compare.reform(|_: MouseEvent| ());
    let download = props.on_download.reform(|_: MouseEvent| ());
    let close = props.on_close.reform(|_: MouseEvent| ());
    html! {
        <section class="panel reconcile" aria-label="Reconcile SRM with Xero">
            <div class="row">
                <h3>{ "Reconcile SRM with Xero" }</h3>
                <span class="actions">
                    if view.report.is_some() {
                        <button type="button" class="secondary" name="reconcile-csv" onclick={download}>{ "Download CSV" }</button>
                    }
                    <button type="button" class="secondary" name="reconcile-close" onclick={close}>{ "Back" }</button>
                </span>
            </div>
            <div class="fields">
                <label class="field"><span>{ "From" }</span>
                    <input type="date" name="reconcile-from" value={view.from.clone()} oninput={on_from} /></label>
                <label class="field"><span>{ "To" }</span>
                    <input type="date" name="reconcile-to" value={view.to.clone()} oninput={on_to} /></label>
                <button type="button" name="reconcile" onclick={compare} disabled={view.busy}>
                    { if view.busy { "Reading Xero…" } else { "Compare" } }</button>
            </div>
            <p class="muted hint">{ "The journals this proxy posted on those days, as posted, against the same journals in Xero now: per account, tracking option and day." }</p>
            <Notice text={props.notice.clone()} on_dismiss={props.on_dismiss.clone()} />
            if let Some(report) = &view.report { { report_view(props, report) } }
        </section>
    }
}

fn report_view(props: &ReconcileProps, report: &Reconciliation) -> Html {
    let agreeing = report
        .rows
        .iter()
        .filter(|r| r.difference.is_zero())
        .count();
    let headline = if report.differences.is_empty() {
        format!(
            "SRM and Xero agree: {} journals, {} totals from {} to {}.",
            report.journals,
            report.rows.len(),
            format::day(report.from),
            format::day(report.to)
        )
    } else {
        format!(
            "{} difference{} ({} journals compared; {agreeing} of {} totals agree).",
            report.differences.len(),
            if report.differences.len() == 1 {
                ""
            } else {
                "s"
            },
            report.journals,
            report.rows.len()
        )
    };
    html! {
        <>
            <p class="summary-line" data-testid="reconcile-summary">{ headline }</p>
            { for report.differences.iter().map(|d| difference_view(props, d)) }
            <details>
                <summary>{ format!("All {} totals", report.rows.len()) }</summary>
                { rows_table(&report.rows, props.currency.as_deref()) }
            </details>
        </>
    }
}

fn difference_view(props: &ReconcileProps, difference: &Difference) -> Html {
    html! {
        <div class="difference" data-testid="difference">
            <ul class="history">
                { for difference.journals.iter().map(|j| journal_line(props, j)) }
            </ul>
            { rows_table(&difference.rows, props.currency.as_deref()) }
        </div>
    }
}

fn journal_line(props: &ReconcileProps, journal: &XeroJournalChange) -> Html {
    let (number, key) = (journal.export, journal.key.clone());
    let action = match props.view.reposted_as(&journal.key) {
        Some(new) => {
            let open = props.on_open.reform(move |_: MouseEvent| new);
            html! { <button type="button" class="link" onclick={open}>{ format!("re-posted as export #{new}") }</button> }
        }
        None if Reconcile::can_repost(journal.change) => {
            let repost = props
                .on_repost
                .reform(move |_: MouseEvent| (number, key.clone()));
            html! { <button type="button" class="secondary" name="repost" onclick={repost} disabled={props.view.busy}>{ "Re-post" }</button> }
        }
        None => html! { <span class="muted">{ "Void it in Xero to re-post it here." }</span> },
    };
    html! {
        <li data-key={journal.key.to_string()}>
            <strong>{ format!("Journal of {} (export #{}): ", format::day(journal.date), journal.export) }</strong>
            { &journal.detail }{ " · " }
            <a href={journal.xero_url.clone()} target="_blank" rel="noopener noreferrer">{ "View in Xero" }</a>
            { " " }{ action }
        </li>
    }
}

fn rows_table(rows: &[ReconciliationRow], currency: Option<&str>) -> Html {
    let unit = currency.map(|c| format!(" ({c})")).unwrap_or_default();
    html! {
        <div class="table-wrap">
        <table class="reconciliation">
            <thead><tr>
                <th>{ "Day" }</th><th>{ "Account" }</th><th>{ "Tracking" }</th>
                <th class="num">{ format!("SRM{unit}") }</th><th class="num">{ format!("Xero{unit}") }</th>
                <th class="num">{ "Difference" }</th>
            </tr></thead>
            <tbody>
            { for rows.iter().map(|r| html! {
                <tr class={if r.difference.is_zero() { "muted" } else { "off" }}>
                    <td>{ format::day(r.date) }</td>
                    <td>{ &r.account_code }</td>
                    <td>{ format::tracking(&r.tracking) }</td>
                    <td class="num">{ format::amount(r.srm) }</td>
                    <td class="num">{ format::amount(r.xero) }</td>
                    <td class="num">{ format::amount(r.difference) }</td>
                </tr>
            }) }
            </tbody>
        </table>
        </div>
    }
}
