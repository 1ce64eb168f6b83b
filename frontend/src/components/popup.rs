//! The Export Journals popup: progress, the journals with their states, filter, sort, search, the
//! results as CSV, retry of failed journals, and a journal's detail.
//!
//! A long list (more than [`WINDOW_ROWS`] journals) is windowed: it scrolls in its own box, its
//! rows have a fixed height ([`ROW_PX`], one line each), and only the rows in sight and a few
//! either side are in the page; the space of the others is kept by padding, so the scroll bar is
//! the whole list's. Tab and the arrow of the scroll bar move through it as through any list.

use std::rc::Rc;

use srm_xero_shared::api::{ExportStatus, JournalRow, JournalState, ReferenceSnapshot};
use wasm_bindgen::JsCast as _;
use yew::prelude::*;

use super::journal::JournalView;
use super::modal::{Modal, focus_in};
use super::{Notice, value_of};
use crate::format;
use crate::state::{Popup, PopupAction, SortKey};

/// Props of [`ExportPopup`].
#[derive(Properties, PartialEq)]
pub struct PopupProps {
    /// The popup's state.
    pub popup: Rc<Popup>,
    /// The organisation's currency.
    pub currency: Option<AttrValue>,
    /// Xero's reference data (account names in a journal's lines).
    pub reference: Option<super::Shared<ReferenceSnapshot>>,
    /// The caller may void.
    pub can_void: bool,
    /// Now, in ms since 1970 (for "waiting 38 s").
    pub now: Option<i64>,
    /// A failure to show.
    pub notice: Option<AttrValue>,
    /// Changes that only touch the popup (filter, sort, search, select, void steps, close…).
    pub on_action: Callback<PopupAction>,
    /// Dismiss the notice.
    pub on_dismiss: Callback<()>,
    /// Download the results as CSV.
    pub on_download: Callback<()>,
    /// Retry the failed journals.
    pub on_retry: Callback<()>,
    /// Send the confirmed void.
    pub on_void: Callback<()>,
    /// Send the ManualJournalID found in Xero for a journal that needs attention.
    pub on_resolve: Callback<()>,
}

/// The Export Journals popup.
#[component]
pub fn ExportPopup(props: &PopupProps) -> Html {
    let popup = &props.popup;
    let number = popup.number();
    let close = props.on_action.reform(|()| PopupAction::Close);
    let mut title = String::from("Export Journals — Export Transaction #");
    title.push_str(&number.to_string());
    let notice = html! {
        <Notice text={props.notice.clone()} on_dismiss={props.on_dismiss.clone()} />
    };
    let body_ref = use_node_ref();
    {
        // Back in the list (from a journal, or with another filter, order or search), its box
        // scrolls to the rows it shows.
        let body_ref = body_ref.clone();
        let first = popup.first_row;
        let listed = (
            popup.selected.is_none(),
            popup.filter,
            popup.sort,
            popup.descending,
            popup.search.clone(),
        );
        use_effect_with(listed, move |(listed, ..)| {
            if *listed
                && let Some(body) = body_ref.cast::<web_sys::Element>()
                && let Ok(Some(wrap)) = body.query_selector(".table-wrap.windowed")
            {
                wrap.set_scroll_top(i32::try_from(first * ROW_PX).unwrap_or(i32::MAX));
            }
        });
    }
    {
        // A journal's detail opens with focus on "Back"; back in the list, focus returns to its row.
        let body_ref = body_ref.clone();
        let last = use_mut_ref(|| None::<String>);
        let selected = popup.selected.as_ref().map(|(key, _)| key.to_string());
        use_effect_with(selected, move |selected| {
            if let Some(body) = body_ref.cast::<web_sys::Element>() {
                match selected {
                    Some(key) => {
                        *last.borrow_mut() = Some(key.clone());
                        focus_in(&body, "button[name='back']");
                    }
                    None => {
                        if let Some(key) = last.borrow_mut().take() {
                            let mut row = String::from("tr[data-key='");
                            row.push_str(&key);
                            row.push_str("']");
                            focus_in(&body, &row);
                        }
                    }
                }
            }
        });
    }
    // Esc closes the innermost thing open: the void step, then the journal, then the popup.
    let escape = {
        let action = if popup.void.is_some() {
            PopupAction::CancelVoid
        } else if popup.selected.is_some() {
            PopupAction::CloseJournal
        } else {
            PopupAction::Close
        };
        props.on_action.reform(move |()| action.clone())
    };
    let body = match &popup.selected {
        Some((key, detail)) => html! {
            <JournalView journal_key={key.clone()} detail={detail.clone()} currency={props.currency.clone()}
                reference={props.reference.clone()} void={popup.void.clone()} resolve={popup.resolve.clone()}
                busy={popup.busy} can_void={props.can_void} on_action={props.on_action.clone()}
                on_void={props.on_void.clone()} on_resolve={props.on_resolve.clone()} />
        },
        None => list(props),
    };
    html! {
        <Modal title={title} class="wide" on_close={close} on_escape={Some(escape)}>
            { progress(props) }
            { notice }
            <div class="popup-body" ref={body_ref}>{ body }</div>
        </Modal>
    }
}

fn progress(props: &PopupProps) -> Html {
    let popup = &props.popup;
    let counts = popup.counts();
    let total = counts.total().max(1);
    let done = counts.posted + counts.voided + counts.failed + counts.needs_attention;
    let percent = done * 100 / total;
    let status = popup
        .progress
        .as_ref()
        .map_or(popup.summary.status, |p| p.status);
    let eta = popup
        .progress
        .as_ref()
        .and_then(|p| p.eta_seconds)
        .filter(|_| popup.running())
        .map(|s| format!("About {} left.", format::duration(s)));
    let waiting = popup
        .waiting()
        .map(|w| format::waiting(&w.reason, w.until, props.now));
    let headline = match status {
        ExportStatus::Exported => "Exported: every journal is posted or voided.".to_owned(),
        ExportStatus::Open if popup.running() => "Posting to Xero…".to_owned(),
        ExportStatus::Open if counts.needs_attention > 0 => format!(
            "Open: {} need attention — Xero never confirmed them. Check Xero for each one's narration, then mark it posted with the id found there, or void it.",
            counts.needs_attention
        ),
        ExportStatus::Open if counts.failed > 0 => {
            "Open: some journals failed. Retry them, or void them with a reason.".to_owned()
        }
        ExportStatus::Open => "Open.".to_owned(),
    };
    html! {
        <div class="progress-block" aria-live="polite">
            <div class="progress" role="progressbar" aria-label="Journals done"
                aria-valuemin="0" aria-valuemax={total.to_string()} aria-valuenow={done.to_string()}>
                <div class="bar posted" style={format!("width:{}%", counts.posted * 100 / total)}></div>
                <div class="bar failed" style={format!("width:{}%", counts.failed * 100 / total)}></div>
                <div class="bar voided" style={format!("width:{}%", counts.voided * 100 / total)}></div>
                <div class="bar attention" style={format!("width:{}%", counts.needs_attention * 100 / total)}></div>
            </div>
            <p class="counts" data-testid="counts">
                <span>{ format!("{percent}% · ") }</span>
                <span class="c-posted">{ format!("{} posted", counts.posted) }</span>{ " · " }
                <span class="c-failed">{ format!("{} failed", counts.failed) }</span>{ " · " }
                <span class="c-pending">{ format!("{} pending", counts.pending + counts.posting) }</span>{ " · " }
                <span class="c-voided">{ format!("{} voided", counts.voided) }</span>
                if counts.needs_attention > 0 {
                    { " · " }<span class="c-attention">{ format!("{} need attention", counts.needs_attention) }</span>
                }
            </p>
            <p class="muted">{ headline }{ " " }{ eta.unwrap_or_default() }</p>
            if let Some(w) = waiting { <p class="waiting" role="status">{ w }</p> }
        </div>
    }
}

/// A list up to this long is shown whole; a longer one is windowed.
pub const WINDOW_ROWS: usize = 60;

/// A windowed row's height in pixels (`.windowed tr` in the stylesheet).
pub const ROW_PX: usize = 40;

/// Rows kept in the page either side of those in sight.
const OVERSCAN: usize = 8;

/// Rows in sight of the tallest list box (`.windowed` is at most 60vh; 24 rows of 40 px).
const IN_SIGHT: usize = 24;

/// The rows of a list of `len` rows to put in the page when row `first` is at the top: their
/// range and the padding (in pixels) that stands for the rows above and below it.
pub fn window(len: usize, first: usize) -> (std::ops::Range<usize>, usize, usize) {
    if len <= WINDOW_ROWS {
        return (0..len, 0, 0);
    }
    let start = first.min(len).saturating_sub(OVERSCAN);
    let end = (first + IN_SIGHT + OVERSCAN).min(len);
    (start..end, start * ROW_PX, (len - end) * ROW_PX)
}

fn list(props: &PopupProps) -> Html {
    let popup = &props.popup;
    let shown = popup.visible_len();
    let (range, above, below) = window(shown, popup.first_row);
    let windowed = shown > WINDOW_ROWS;
    let rows = popup.visible_window(range);
    let currency = props.currency.as_deref();
    let on_filter = props
        .on_action
        .reform(|e: Event| PopupAction::SetFilter(value_of(&e).parse().ok()));
    let on_search = props
        .on_action
        .reform(|e: InputEvent| PopupAction::SetSearch(value_of(&e)));
    let on_scroll = {
        let (on_action, first) = (props.on_action.clone(), popup.first_row);
        Callback::from(move |e: Event| {
            let top = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .map_or(0, |el| usize::try_from(el.scroll_top()).unwrap_or(0));
            // One action per row scrolled past, not per pixel.
            if top / ROW_PX != first {
                on_action.emit(PopupAction::Scrolled(top / ROW_PX));
            }
        })
    };
    let sort_button = |key: SortKey, label: &str| {
        let on_action = props.on_action.clone();
        let arrow = if popup.sort == key {
            if popup.descending { " ▼" } else { " ▲" }
        } else {
            ""
        };
        let sort = if popup.sort == key {
            if popup.descending {
                "descending"
            } else {
                "ascending"
            }
        } else {
            "none"
        };
        html! {
            <button type="button" class="th" aria-sort={sort} onclick={move |_| on_action.emit(PopupAction::SetSort(key))}>
                { format!("{label}{arrow}") }
            </button>
        }
    };
    let failed = popup.counts().failed;
    let download = props.on_download.reform(|_: MouseEvent| ());
    let retry = props.on_retry.reform(|_: MouseEvent| ());
    let filter_value = popup.filter.map_or("", JournalState::as_str);
    let summary = &popup.summary;
    html! {
        <>
            <div class="toolbar">
                <label class="field inline"><span>{ "Status" }</span>
                    <select name="filter" onchange={on_filter}>
                        <option value="" selected={filter_value.is_empty()}>{ "All" }</option>
                        { for FILTERS.into_iter().map(|state| html! {
                            <option value={state.as_str()} selected={state.as_str() == filter_value}>{ format::state_label(state) }</option>
                        }) }
                    </select>
                </label>
                <label class="field inline"><span>{ "Search" }</span>
                    <input type="search" name="search" value={popup.search.clone()} oninput={on_search} />
                </label>
                <span class="spacer"></span>
                if failed > 0 {
                    <button type="button" name="retry" onclick={retry} disabled={popup.busy}>
                        { format!("Retry {failed} failed") }
                    </button>
                }
                <button type="button" class="secondary" name="download" onclick={download}>{ "Download results (CSV)" }</button>
            </div>
            <p class="summary-line" data-testid="summary-line">
                { format!("Showing {} of {} journals · total {} · from {} · by {}",
                    shown, popup.rows().len(), format::money(popup.visible_total(), currency),
                    summary.from_date, summary.created_by) }
            </p>
            <div class={classes!("table-wrap", windowed.then_some("windowed"))} onscroll={on_scroll}>
            <div style={format!("padding-top:{above}px;padding-bottom:{below}px")}>
            <table class="journals export-list">
                <thead><tr>
                    <th>{ sort_button(SortKey::Date, "Date") }</th>
                    <th>{ sort_button(SortKey::Group, "Division") }</th>
                    <th>{ "Narration" }</th>
                    <th class="num">{ sort_button(SortKey::Total, "Total") }</th>
                    <th class="num">{ "Lines" }</th>
                    <th>{ sort_button(SortKey::State, "Status") }</th>
                </tr></thead>
                <tbody>
                    { for rows.iter().map(|row| row_view(row, &props.on_action)) }
                </tbody>
            </table>
            </div>
            </div>
        </>
    }
}

/// The states the list can be filtered by, in the order the menu offers them.
const FILTERS: [JournalState; 6] = [
    JournalState::Posted,
    JournalState::Failed,
    JournalState::Pending,
    JournalState::Posting,
    JournalState::Voided,
    JournalState::NeedsAttention,
];

fn row_view(row: &JournalRow, on_action: &Callback<PopupAction>) -> Html {
    let key = row.key.clone();
    let on_action = on_action.clone();
    let open = {
        let key = key.clone();
        let on_action = on_action.clone();
        Callback::from(move |_: MouseEvent| on_action.emit(PopupAction::SelectJournal(key.clone())))
    };
    let open_key = Callback::from(move |e: KeyboardEvent| {
        if e.key() == "Enter" || e.key() == " " {
            e.prevent_default();
            on_action.emit(PopupAction::SelectJournal(key.clone()));
        }
    });
    let state = match row.state {
        JournalState::Posted => html! {
            <>
                <span class="tag ok">{ "Created" }</span>
                if let Some(url) = &row.xero_url {
                    { " " }<a href={url.clone()} target="_blank" rel="noopener" onclick={Callback::from(|e: MouseEvent| e.stop_propagation())}>{ "View in Xero" }</a>
                }
            </>
        },
        JournalState::Failed => html! {
            <>
                <span class="tag bad">{ "Failed" }</span>
                <span class="message">{ format!(" {}", row.messages.join(" ")) }</span>
                <span class="fix">{ " Fix the mapping or the posting, then retry; or void it with a reason." }</span>
            </>
        },
        JournalState::Voided => html! {
            <>
                <span class="tag muted">{ "Voided" }</span>
                if let Some(v) = &row.voided {
                    <span class="message">{ format!(" by {} on {}: {}", v.by, format::when(v.at), v.reason) }</span>
                }
            </>
        },
        JournalState::NeedsAttention => html! {
            <>
                <span class="tag bad">{ "Needs attention" }</span>
                <span class="message">{ format!(" {}", row.messages.join(" ")) }</span>
            </>
        },
        JournalState::Pending => html! { <span class="tag">{ "Pending" }</span> },
        JournalState::Posting => html! { <span class="tag">{ "Posting…" }</span> },
    };
    html! {
        <tr key={row.key.as_str()} class={classes!("clickable", format!("state-{}", format::state_label(row.state).to_lowercase().replace(' ', "-")))}
            tabindex="0" data-key={row.key.to_string()} onclick={open} onkeydown={open_key}>
            <td>{ format::day(row.date) }</td>
            <td>{ &row.group }</td>
            <td class="narration">{ &row.narration }</td>
            <td class="num">{ format::amount(row.total) }</td>
            <td class="num">{ row.line_count }</td>
            <td>{ state }</td>
        </tr>
    }
}
