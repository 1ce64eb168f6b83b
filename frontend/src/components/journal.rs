//! One journal of an export: its lines with Xero's account names, totals, source postings, the
//! link into Xero, its history, voiding with a reason, and — for a journal that needs attention —
//! marking it posted with the ManualJournalID found in Xero.

use std::rc::Rc;

use srm_xero_shared::api::{JournalDetail, JournalState, ReferenceSnapshot};
use srm_xero_shared::{JournalKey, Money, PlannedLine};
use yew::prelude::*;

use super::modal::focus_in;
use super::value_of;
use crate::format;
use crate::state::{PopupAction, ResolveDraft, VoidDraft};

/// Props of [`JournalView`].
#[derive(Properties, PartialEq)]
pub struct JournalProps {
    /// The journal.
    pub journal_key: JournalKey,
    /// Its detail, once read.
    pub detail: Option<Rc<JournalDetail>>,
    /// The organisation's currency.
    pub currency: Option<AttrValue>,
    /// Xero's reference data, for account names.
    pub reference: Option<super::Shared<ReferenceSnapshot>>,
    /// A void being prepared.
    pub void: Option<VoidDraft>,
    /// A journal that needs attention being marked posted.
    pub resolve: Option<ResolveDraft>,
    /// A void, retry or resolve is being sent.
    pub busy: bool,
    /// The caller may void.
    pub can_void: bool,
    /// Changes of the popup alone.
    pub on_action: Callback<PopupAction>,
    /// Send the confirmed void.
    pub on_void: Callback<()>,
    /// Send the ManualJournalID found in Xero.
    pub on_resolve: Callback<()>,
}

fn account_name(reference: Option<&ReferenceSnapshot>, code: &str) -> String {
    reference
        .and_then(|r| {
            r.reference.accounts.iter().find(|a| {
                a.code
                    .as_deref()
                    .is_some_and(|c| c.eq_ignore_ascii_case(code))
            })
        })
        .map(|a| a.name.clone())
        .unwrap_or_default()
}

fn line_row(line: &PlannedLine, reference: Option<&ReferenceSnapshot>) -> Html {
    let srm = if line.rounding {
        "Rounding".to_owned()
    } else {
        line.srm_accounts
            .iter()
            .map(|a| {
                let division = a
                    .division
                    .as_ref()
                    .map(|d| format!("-{d}"))
                    .unwrap_or_default();
                format!("{}{division} {}", a.account, a.description)
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let (debit, credit) = if line.amount.is_positive() {
        (format::amount(line.amount), String::new())
    } else {
        (String::new(), format::amount(-line.amount))
    };
    html! {
        <tr class="line">
            <td>{ srm }</td>
            <td>{ format!("{} {}", line.account_code, account_name(reference, &line.account_code)) }</td>
            <td>{ &line.description }</td>
            <td>{ line.tracking.iter().map(|t| format!("{}: {}", t.name, t.option)).collect::<Vec<_>>().join(", ") }</td>
            <td class="num debit">{ debit }</td>
            <td class="num credit">{ credit }</td>
        </tr>
    }
}

/// A journal's detail.
#[component]
pub fn JournalView(props: &JournalProps) -> Html {
    let node = use_node_ref();
    {
        // The void step: focus goes to the reason, then to the confirmation, and back to the
        // "Void this journal…" button (or "Back" once it is voided) when the step ends.
        let node = node.clone();
        let was_voiding = use_mut_ref(|| false);
        let step = props.void.as_ref().map(|d| d.confirming);
        use_effect_with(step, move |step| {
            if let Some(el) = node.cast::<web_sys::Element>() {
                let mut was = was_voiding.borrow_mut();
                match step {
                    Some(false) if !*was => {
                        focus_in(&el, "input[name='void-reason']");
                    }
                    Some(true) => {
                        focus_in(&el, "button[name='void-confirm']");
                    }
                    None if *was => {
                        let _ = focus_in(&el, "button[name='void']")
                            || focus_in(&el, "button[name='back']");
                    }
                    _ => {}
                }
                *was = step.is_some();
            }
        });
    }
    let back = props
        .on_action
        .reform(|_: MouseEvent| PopupAction::CloseJournal);
    let back_button = html! { <button type="button" class="secondary" name="back" onclick={back}>{ "← Back to the list" }</button> };
    let Some(detail) = &props.detail else {
        return html! {
            <div class="journal-detail" ref={node}>
                { back_button }
                <div class="journal-body">
                    <p class="muted" role="status">{ format!("Reading journal {}…", props.journal_key) }</p>
                </div>
            </div>
        };
    };
    let reference = props.reference.as_deref();
    let journal = &detail.journal;
    let debits = journal.debits();
    let credits = journal.credits();
    let currency = props.currency.as_deref();
    let row = &detail.row;
    let xero = match (&row.xero_id, &row.xero_url) {
        (Some(id), Some(url)) => {
            html! { <p>{ "Xero ManualJournalID " }<code>{ id }</code>{ " · " }<a href={url.clone()} target="_blank" rel="noopener">{ "Open in Xero" }</a></p> }
        }
        (Some(id), None) => html! { <p>{ "Xero ManualJournalID " }<code>{ id }</code></p> },
        _ => html! {},
    };
    let messages = (!row.messages.is_empty()).then(|| {
        html! {
            <div class="notice" role="note">{ row.messages.join(" ") }</div>
        }
    });
    html! {
        // "Back" stays the same element while the detail loads, so focus stays on it.
        <div class="journal-detail" ref={node}>
            { back_button }
            <div class="journal-body">
            <h4>{ format!("{} · {} · {}", row.date, row.group, format::state_label(row.state)) }</h4>
            <p class="narration">{ &row.narration }</p>
            { xero }
            { messages.unwrap_or_default() }
            <div class="table-wrap">
            <table class="lines">
                <thead><tr>
                    <th>{ "SRM account" }</th><th>{ "Xero account" }</th><th>{ "Description" }</th>
                    <th>{ "Tracking" }</th><th class="num">{ "Debit" }</th><th class="num">{ "Credit" }</th>
                </tr></thead>
                <tbody>{ for journal.lines.iter().map(|l| line_row(l, reference)) }</tbody>
                <tfoot><tr>
                    <th colspan="4">{ format!("Totals{}", currency.map(|c| format!(" ({c})")).unwrap_or_default()) }</th>
                    <th class="num" data-testid="total-debit">{ format::amount(debits) }</th>
                    <th class="num" data-testid="total-credit">{ format::amount(credits) }</th>
                </tr></tfoot>
            </table>
            </div>
            <h4>{ "Source SRM postings" }</h4>
            <div class="table-wrap">
            <table class="postings">
                <thead><tr><th>{ "Id" }</th><th>{ "Reference" }</th><th>{ "Source" }</th><th>{ "Account" }</th><th>{ "Memo" }</th><th class="num">{ "Amount" }</th></tr></thead>
                <tbody>
                { for detail.postings.iter().map(|p| {
                    let amount = Money::round(p.signed_amount());
                    html! { <tr>
                        <td>{ &p.id }</td><td>{ &p.reference }</td><td>{ p.source.label() }</td>
                        <td>{ &p.account }</td><td>{ &p.memo }</td>
                        <td class="num">{ format::amount(amount) }</td>
                    </tr> }
                }) }
                </tbody>
            </table>
            </div>
            <h4>{ "History" }</h4>
            <ol class="history">
                { for detail.history.iter().map(|h| html! {
                    <li>{ format!("{} · {} · {}", format::when(h.at), h.who, h.what) }</li>
                }) }
            </ol>
            { resolve_controls(props, row.state) }
            { void_controls(props, row.state) }
            </div>
        </div>
    }
}

/// For a journal that needs attention: the ManualJournalID found in Xero, checked there by the
/// proxy before the journal is marked posted.
fn resolve_controls(props: &JournalProps, state: JournalState) -> Html {
    if !props.can_void || state != JournalState::NeedsAttention {
        return html! {};
    }
    let key = props.journal_key.clone();
    let start = props
        .on_action
        .reform(move |_: MouseEvent| PopupAction::StartResolve(key.clone()));
    let Some(draft) = &props.resolve else {
        return html! {
            <div class="resolve">
                <button type="button" name="resolve" onclick={start}>{ "Found it in Xero: mark posted…" }</button>
            </div>
        };
    };
    let on_id = props
        .on_action
        .reform(|e: InputEvent| PopupAction::SetResolveId(value_of(&e)));
    let cancel = props
        .on_action
        .reform(|_: MouseEvent| PopupAction::CancelResolve);
    let send = props.on_resolve.reform(|_: MouseEvent| ());
    html! {
        <div class="resolve">
            <label class="field"><span>{ "The journal's ManualJournalID in Xero (its narration ends with this journal's key)" }</span>
                <input type="text" name="resolve-id" value={draft.manual_journal_id.clone()} oninput={on_id} />
            </label>
            <button type="button" name="resolve-confirm" onclick={send}
                disabled={props.busy || draft.manual_journal_id.trim().is_empty()}>{ "Check it in Xero and mark posted" }</button>
            <button type="button" class="secondary" name="resolve-cancel" onclick={cancel}>{ "Cancel" }</button>
        </div>
    }
}

fn void_controls(props: &JournalProps, state: JournalState) -> Html {
    let voidable = matches!(
        state,
        JournalState::Failed | JournalState::Pending | JournalState::NeedsAttention
    );
    if !props.can_void || !voidable {
        return html! {};
    }
    let key = props.journal_key.clone();
    let start = props
        .on_action
        .reform(move |_: MouseEvent| PopupAction::StartVoid(key.clone()));
    let Some(draft) = &props.void else {
        return html! {
            <div class="void"><button type="button" class="danger" name="void" onclick={start}>{ "Void this journal…" }</button></div>
        };
    };
    let on_reason = props
        .on_action
        .reform(|e: InputEvent| PopupAction::SetVoidReason(value_of(&e)));
    let confirm = props
        .on_action
        .reform(|_: MouseEvent| PopupAction::ConfirmVoid);
    let cancel = props
        .on_action
        .reform(|_: MouseEvent| PopupAction::CancelVoid);
    let send = props.on_void.reform(|_: MouseEvent| ());
    html! {
        <div class="void">
            <label class="field"><span>{ "Why void it? (kept in the history)" }</span>
                <input type="text" name="void-reason" value={draft.reason.clone()} oninput={on_reason} />
            </label>
            if draft.confirming {
                <p role="alert">{ "Voiding means this journal will not be posted by srm-xero; key it into Xero yourself if it is needed. Void it?" }</p>
                <button type="button" class="danger" name="void-confirm" onclick={send} disabled={props.busy}>{ "Yes, void it" }</button>
            } else {
                <button type="button" class="danger" name="void-next" onclick={confirm} disabled={draft.reason.trim().is_empty()}>{ "Void…" }</button>
            }
            <button type="button" class="secondary" name="void-cancel" onclick={cancel}>{ "Cancel" }</button>
        </div>
    }
}
