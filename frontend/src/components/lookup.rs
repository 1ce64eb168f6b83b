//! The lookup of past exports: filter by number or by days (from, to), arrows to move, Enter to
//! open.

use std::rc::Rc;

use srm_xero_shared::api::ExportStatus;
use yew::prelude::*;

use super::modal::Modal;
use super::{Notice, value_of};
use crate::format;
use crate::state::{Lookup, LookupAction};

/// Props of [`LookupDialog`].
#[derive(Properties, PartialEq)]
pub struct LookupProps {
    /// The lookup's state.
    pub lookup: Rc<Lookup>,
    /// A failure to show.
    pub notice: Option<AttrValue>,
    /// Changes of the lookup alone: filters typed, the keys moving the highlight, close.
    pub on_action: Callback<LookupAction>,
    /// Open an export.
    pub on_pick: Callback<u64>,
    /// Dismiss the notice.
    pub on_dismiss: Callback<()>,
}

/// The lookup dialog.
#[component]
pub fn LookupDialog(props: &LookupProps) -> Html {
    let visible = props.lookup.visible();
    let active = props.lookup.active.min(visible.len().saturating_sub(1));
    let active_number = visible.get(active).map(|e| e.number);
    let table = use_node_ref();
    {
        // The highlighted row stays in sight while the keys move it through a long list.
        let table = table.clone();
        use_effect_with(active_number, move |_| {
            if let Some(table) = table.cast::<web_sys::Element>()
                && let Ok(Some(row)) = table.query_selector("tr.active")
            {
                let options = web_sys::ScrollIntoViewOptions::new();
                options.set_block(web_sys::ScrollLogicalPosition::Nearest);
                row.scroll_into_view_with_scroll_into_view_options(&options);
            }
        });
    }
    let on_key = {
        let on_move = props.on_action.reform(LookupAction::Move);
        let on_pick = props.on_pick.clone();
        Callback::from(move |e: KeyboardEvent| match e.key().as_str() {
            "ArrowDown" => {
                e.prevent_default();
                on_move.emit(1);
            }
            "ArrowUp" => {
                e.prevent_default();
                on_move.emit(-1);
            }
            "PageDown" => {
                e.prevent_default();
                on_move.emit(10);
            }
            "PageUp" => {
                e.prevent_default();
                on_move.emit(-10);
            }
            "Enter" => {
                if let Some(n) = active_number {
                    e.prevent_default();
                    on_pick.emit(n);
                }
            }
            _ => {}
        })
    };
    let on_number = props
        .on_action
        .reform(|e: InputEvent| LookupAction::SetNumber(value_of(&e)));
    let on_from = props
        .on_action
        .reform(|e: InputEvent| LookupAction::SetFrom(value_of(&e)));
    let on_to = props
        .on_action
        .reform(|e: InputEvent| LookupAction::SetTo(value_of(&e)));
    let body = match &props.lookup.results {
        None => html! { <p class="muted" role="status">{ "Reading past exports…" }</p> },
        Some(_) if visible.is_empty() => {
            html! { <p class="muted" role="status">{ "No export matches." }</p> }
        }
        Some(_) => html! {
            <div class="table-wrap">
            <table class="lookup" role="listbox" aria-label="Past exports" ref={table}
                aria-activedescendant={active_number.map(row_id)}>
                <thead><tr>
                    <th>{ "#" }</th><th>{ "From" }</th><th>{ "When" }</th><th>{ "Who" }</th>
                    <th>{ "Status" }</th><th class="num">{ "Posted" }</th><th class="num">{ "Failed" }</th>
                    <th class="num">{ "Pending" }</th><th class="num">{ "Voided" }</th>
                </tr></thead>
                <tbody>
                { for visible.iter().enumerate().map(|(i, e)| {
                    let n = e.number;
                    let on_pick = props.on_pick.clone();
                    let selected = i == active;
                    html! {
                        <tr id={row_id(n)} role="option" aria-selected={selected.to_string()}
                            class={classes!(selected.then_some("active"))} data-number={n.to_string()}
                            onclick={move |_| on_pick.emit(n)}>
                            <td>{ n }</td>
                            <td>{ format::day(e.from_date) }</td>
                            <td>{ format::when(e.created_at) }</td>
                            <td>{ &e.created_by }</td>
                            <td>{ status_label(e.status) }</td>
                            <td class="num">{ e.counts.posted }</td>
                            <td class="num">{ e.counts.failed }</td>
                            <td class="num">{ e.counts.pending + e.counts.posting }</td>
                            <td class="num">{ e.counts.voided }</td>
                        </tr>
                    }
                }) }
                </tbody>
            </table>
            </div>
        },
    };
    html! {
        <Modal title="Find an export" class="narrow" on_close={props.on_action.reform(|()| LookupAction::Close)} on_key={Some(on_key)}
            initial={AttrValue::Static("input[name='lookup-number']")}>
            <div class="fields">
                <label class="field"><span>{ "Export #" }</span>
                    <input type="text" name="lookup-number" inputmode="numeric" autocomplete="off"
                        value={props.lookup.number.clone()} oninput={on_number} /></label>
                <label class="field"><span>{ "From (synced from or made on)" }</span>
                    <input type="date" name="lookup-from" value={props.lookup.from.clone()} oninput={on_from} /></label>
                <label class="field"><span>{ "To" }</span>
                    <input type="date" name="lookup-to" value={props.lookup.to.clone()} oninput={on_to} /></label>
            </div>
            <p class="muted hint">{ "↑ ↓ to choose, Enter to open, Esc to close. The latest 50 exports are listed; an exact number or a single day (the same From and To) also asks the proxy for older ones." }</p>
            <Notice text={props.notice.clone()} on_dismiss={props.on_dismiss.clone()} />
            { body }
        </Modal>
    }
}

fn row_id(number: u64) -> String {
    let mut id = String::from("export-");
    id.push_str(&number.to_string());
    id
}

/// An export's status in words.
fn status_label(status: ExportStatus) -> &'static str {
    match status {
        ExportStatus::Open => "Open",
        ExportStatus::Exported => "Exported",
    }
}
