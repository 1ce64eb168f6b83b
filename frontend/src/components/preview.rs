//! Choosing what to export (the Export Transaction # and the "Sync from" date, or a CSV file) and
//! the preview of the journals that Accept would post, with every problem and its fix.

use srm_xero_shared::{Plan, PlannedJournal, Severity};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use super::{Notice, checked_of, value_of};
use crate::format;
use crate::{EXPORT_NUMBER_LABEL, SYNC_FROM_LABEL};

/// Props of [`Controls`].
#[derive(Properties, PartialEq)]
pub struct ControlsProps {
    /// The Export Transaction # as typed.
    pub export_number: AttrValue,
    /// The "Sync from" date, `YYYY-MM-DD` (empty when unknown).
    pub sync_from: AttrValue,
    /// The feed is being read.
    pub loading: bool,
    /// Typed in the export number field.
    pub on_export_number: Callback<String>,
    /// Enter in the number field, or "Open".
    pub on_open_export: Callback<()>,
    /// The search button.
    pub on_lookup: Callback<()>,
    /// Typed a date.
    pub on_sync_from: Callback<String>,
    /// Preview from SRM's feed.
    pub on_preview: Callback<()>,
    /// A CSV file chosen or dropped.
    pub on_file: Callback<web_sys::File>,
}

/// The fields that choose what to export.
#[component]
pub fn Controls(props: &ControlsProps) -> Html {
    let on_number = props.on_export_number.reform(|e: InputEvent| value_of(&e));
    let on_date = props.on_sync_from.reform(|e: InputEvent| value_of(&e));
    let open = props.on_open_export.clone();
    let on_number_key = Callback::from(move |e: KeyboardEvent| {
        if e.key() == "Enter" {
            e.prevent_default();
            open.emit(());
        }
    });
    let open_click = props.on_open_export.reform(|_: MouseEvent| ());
    let lookup = props.on_lookup.reform(|_: MouseEvent| ());
    let preview = props.on_preview.reform(|_: MouseEvent| ());
    let on_file = props.on_file.clone();
    let on_pick = Callback::from(move |e: Event| {
        let input = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
        if let Some(file) = input
            .as_ref()
            .and_then(web_sys::HtmlInputElement::files)
            .and_then(|f| f.get(0))
        {
            on_file.emit(file);
        }
        if let Some(input) = input {
            input.set_value("");
        }
    });
    let on_file = props.on_file.clone();
    let ondrop = Callback::from(move |e: DragEvent| {
        e.prevent_default();
        if let Some(file) = e
            .data_transfer()
            .and_then(|d| d.files())
            .and_then(|f| f.get(0))
        {
            on_file.emit(file);
        }
    });
    let ondragover = Callback::from(|e: DragEvent| e.prevent_default());
    let has_number = !props.export_number.trim().is_empty();
    html! {
        <section class="panel controls" aria-label="What to export" {ondrop} {ondragover}>
            <div class="fields">
                <label class="field">
                    <span>{ EXPORT_NUMBER_LABEL }</span>
                    <span class="with-button">
                        <input type="text" name="export-number" inputmode="numeric" autocomplete="off"
                            value={props.export_number.clone()} oninput={on_number} onkeydown={on_number_key} />
                        <button type="button" class="secondary" name="lookup" onclick={lookup}
                            aria-label="Search past exports">{ "Search…" }</button>
                        if has_number {
                            <button type="button" class="secondary" name="open-export" onclick={open_click}>{ "Open" }</button>
                        }
                    </span>
                </label>
                <label class="field">
                    <span>{ SYNC_FROM_LABEL }</span>
                    <input type="date" name="sync-from" value={props.sync_from.clone()} oninput={on_date} />
                </label>
                <div class="field">
                    <span>{ "\u{a0}" }</span>
                    <span class="with-button">
                        <button type="button" name="preview" onclick={preview} disabled={props.loading}>
                            { if props.loading { "Reading the G/L…" } else { "Preview" } }
                        </button>
                        <label class="file secondary">
                            { "Use a CSV file…" }
                            <input type="file" name="csv-file" accept=".csv,text/csv" onchange={on_pick} />
                        </label>
                    </span>
                </div>
            </div>
            <p class="muted hint">{ "Blank number: a new export of the postings from the Sync from date. A number reopens that export. You can also drop SRM's G/L detail report (CSV) here." }</p>
        </section>
    }
}

/// Props of [`Preview`].
#[derive(Properties, PartialEq)]
pub struct PreviewProps {
    /// The plan, once everything is read.
    pub plan: Option<super::Shared<Plan>>,
    /// Reading the feed: `Some((pages, postings))` while pages arrive.
    pub loading: Option<(usize, usize)>,
    /// The feed (or a file) is read.
    pub loaded: bool,
    /// What the plan still waits for, once the feed is read.
    #[prop_or_default]
    pub waiting_for: Option<AttrValue>,
    /// The organisation's currency.
    pub currency: Option<AttrValue>,
    /// "Post only the valid journals" is ticked.
    pub post_only_valid: bool,
    /// `Ok(journals to post)` or why Accept is disabled.
    pub accept: Result<usize, AttrValue>,
    /// A failure to show.
    pub notice: Option<AttrValue>,
    /// Ticked or unticked.
    pub on_post_only_valid: Callback<bool>,
    /// Accept.
    pub on_accept: Callback<()>,
    /// Dismiss the notice.
    pub on_dismiss: Callback<()>,
}

/// The preview of the journals to post.
#[component]
pub fn Preview(props: &PreviewProps) -> Html {
    let notice =
        html! { <Notice text={props.notice.clone()} on_dismiss={props.on_dismiss.clone()} /> };
    let body = match (&props.plan, props.loading) {
        (_, Some((pages, postings))) => html! {
            <p class="muted" role="status">{ format!("Reading SRM's G/L: {pages} pages, {postings} postings so far…") }</p>
        },
        (None, None) if props.loaded => html! {
            <p class="muted" role="status">{ format!("Waiting for {}…", props.waiting_for.as_deref().unwrap_or("the plan")) }</p>
        },
        (None, None) => html! {
            <p class="muted">{ "Pick the date to sync from and press Preview to see the journals before anything is posted." }</p>
        },
        (Some(plan), _) => plan_view(props, plan),
    };
    html! {
        <section class="panel preview" aria-label="Preview">
            { notice }
            { body }
        </section>
    }
}

fn plan_view(props: &PreviewProps, plan: &Plan) -> Html {
    let currency = props.currency.as_deref();
    let debits = plan.journals.iter().map(PlannedJournal::debits).sum();
    let credits = plan.journals.iter().map(PlannedJournal::credits).sum();
    let blocked = plan
        .journals
        .iter()
        .filter(|j| {
            j.problems
                .iter()
                .any(|p| p.severity() == Severity::Blocking)
        })
        .count();
    let exported_in: Vec<String> = {
        let mut numbers: Vec<u64> = plan
            .skipped
            .already_exported
            .iter()
            .map(|(_, n)| *n)
            .collect();
        numbers.sort_unstable();
        numbers.dedup();
        numbers.iter().map(|n| format!("#{n}")).collect()
    };
    let skipped_words = if plan.skipped.already_exported.is_empty() {
        "0".to_owned()
    } else {
        format!(
            "{} (in export {})",
            plan.skipped.already_exported.len(),
            exported_in.join(", ")
        )
    };
    let on_tick = props.on_post_only_valid.reform(|e: Event| checked_of(&e));
    let accept = props.on_accept.reform(|_: MouseEvent| ());
    let (disabled, why) = match &props.accept {
        Ok(_) => (false, None),
        Err(why) => (true, Some(why.clone())),
    };
    let accept_label = match &props.accept {
        Ok(n) => format!("Accept: post {n} journal{}", if *n == 1 { "" } else { "s" }),
        Err(_) => "Accept".to_owned(),
    };
    html! {
        <>
            <dl class="summary" aria-label="Preview summary">
                <div><dt>{ "Postings read" }</dt><dd class="num" data-testid="postings-read">{ plan.postings_read }</dd></div>
                <div><dt>{ "Already exported (skipped)" }</dt><dd class="num" data-testid="already-exported">{ skipped_words }</dd></div>
                if plan.skipped.before_from + plan.skipped.before_cutoff > 0 {
                    <div><dt>{ "Before the date or cut-off" }</dt><dd class="num">{ plan.skipped.before_from + plan.skipped.before_cutoff }</dd></div>
                }
                <div><dt>{ "Journals to post" }</dt><dd class="num" data-testid="journal-count">{ plan.journals.len() }</dd></div>
                <div><dt>{ "With problems" }</dt><dd class="num">{ blocked }</dd></div>
                <div><dt>{ "Total debits" }</dt><dd class="num" data-testid="total-debits">{ format::money(debits, currency) }</dd></div>
                <div><dt>{ "Total credits" }</dt><dd class="num" data-testid="total-credits">{ format::money(credits, currency) }</dd></div>
            </dl>
            <div class="table-wrap">
            <table class="journals">
                <thead><tr>
                    <th scope="col">{ "Date" }</th><th scope="col">{ "Group" }</th>
                    <th scope="col" class="num">{ "Lines" }</th>
                    <th scope="col" class="num">{ format!("Debits{}", currency.map(|c| format!(" ({c})")).unwrap_or_default()) }</th>
                    <th scope="col" class="num">{ format!("Credits{}", currency.map(|c| format!(" ({c})")).unwrap_or_default()) }</th>
                    <th scope="col">{ "Status" }</th>
                </tr></thead>
                { for plan.journals.iter().map(journal_rows) }
            </table>
            </div>
            <div class="accept-bar">
                if blocked > 0 {
                    <label class="check">
                        <input type="checkbox" name="post-only-valid" checked={props.post_only_valid} onchange={on_tick} />
                        { format!("Post only the valid journals ({blocked} with problems will not be posted)") }
                    </label>
                }
                <button type="button" name="accept" class="primary" {disabled} onclick={accept}>{ accept_label }</button>
                if let Some(why) = why { <span class="muted">{ why }</span> }
            </div>
        </>
    }
}

fn journal_rows(journal: &PlannedJournal) -> Html {
    let blocking = journal
        .problems
        .iter()
        .any(|p| p.severity() == Severity::Blocking);
    let status = if blocking {
        html! { <span class="tag bad">{ "Has problems" }</span> }
    } else if journal.problems.is_empty() {
        html! { <span class="tag ok">{ "Ready" }</span> }
    } else {
        html! { <span class="tag warn">{ "Ready, with warnings" }</span> }
    };
    html! {
        <tbody class="journal" data-key={journal.key.to_string()}>
            <tr>
                <td>{ format::day(journal.date) }</td>
                <td>{ &journal.group }</td>
                <td class="num">{ journal.lines.len() }</td>
                <td class="num">{ format::amount(journal.debits()) }</td>
                <td class="num">{ format::amount(journal.credits()) }</td>
                <td>{ status }</td>
            </tr>
            { for journal.problems.iter().map(|p| html! {
                <tr class={classes!("problem", if p.severity() == Severity::Blocking { "bad" } else { "warn" })}>
                    <td></td>
                    <td colspan="5">
                        <strong class="problem-text">{ p.to_string() }</strong>
                        <span class="fix">{ format!(" Fix: {}", p.fix()) }</span>
                    </td>
                </tr>
            }) }
            <tr class="lines-row"><td></td><td colspan="5">
                <details>
                    <summary>{ format!("{} lines", journal.lines.len()) }</summary>
                    <table class="lines">
                        <thead><tr><th>{ "Xero account" }</th><th>{ "Description" }</th><th>{ "Tracking" }</th><th class="num">{ "Debit" }</th><th class="num">{ "Credit" }</th></tr></thead>
                        <tbody>
                        { for journal.lines.iter().map(|l| html! {
                            <tr>
                                <td>{ &l.account_code }</td>
                                <td>{ &l.description }</td>
                                <td>{ l.tracking.iter().map(|t| format!("{}: {}", t.name, t.option)).collect::<Vec<_>>().join(", ") }</td>
                                <td class="num">{ if l.amount.is_positive() { format::amount(l.amount) } else { String::new() } }</td>
                                <td class="num">{ if l.amount.is_positive() { String::new() } else { format::amount(-l.amount) } }</td>
                            </tr>
                        }) }
                        </tbody>
                    </table>
                </details>
            </td></tr>
        </tbody>
    }
}

/// Props of [`UnsyncedBanner`].
#[derive(Properties, PartialEq)]
pub struct UnsyncedProps {
    /// Days before today with postings no export holds, oldest first (none: no banner).
    pub days: Vec<chrono::NaiveDate>,
    /// Preview from the first of them.
    pub on_preview: Callback<chrono::NaiveDate>,
}

/// "3 unsynced days": postings that no export holds, and one click to preview from the first.
#[component]
pub fn UnsyncedBanner(props: &UnsyncedProps) -> Html {
    let (Some(first), Some(last)) = (props.days.first().copied(), props.days.last().copied())
    else {
        return html! {};
    };
    let n = props.days.len();
    let span = if first == last {
        format::day(first)
    } else {
        format!("{} – {}", format::day(first), format::day(last))
    };
    let preview = props.on_preview.reform(move |_: MouseEvent| first);
    html! {
        <div class="panel banner row" role="status" data-testid="unsynced">
            <span><strong>{ format!("{n} unsynced day{}", if n == 1 { "" } else { "s" }) }</strong>
                { format!(": postings of {span} are in no export yet.") }</span>
            <button type="button" name="preview-unsynced" class="actions" onclick={preview}>
                { format!("Preview from {}", format::day(first)) }</button>
        </div>
    }
}
