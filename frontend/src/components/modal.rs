//! An accessible modal dialog: labelled, focus kept inside, Esc closes.

use wasm_bindgen::JsCast;
use web_sys::HtmlElement;
use yew::prelude::*;

const FOCUSABLE: &str = "button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), textarea, [tabindex]:not([tabindex='-1'])";

/// Props of [`Modal`].
#[derive(Properties, PartialEq)]
pub struct ModalProps {
    /// The dialog's title (also its accessible name).
    pub title: AttrValue,
    /// A class for sizing.
    #[prop_or_default]
    pub class: Classes,
    /// Esc or the close button.
    pub on_close: Callback<()>,
    /// Keys the dialog's content wants (arrows, Enter), after Esc and Tab are handled.
    #[prop_or_default]
    pub on_key: Option<Callback<KeyboardEvent>>,
    /// The content.
    pub children: Html,
}

/// A modal dialog over the page.
#[component]
pub fn Modal(props: &ModalProps) -> Html {
    let dialog = use_node_ref();
    let title_id = use_memo(props.title.clone(), |title| {
        format!(
            "dlg-{}",
            title
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_lowercase()
        )
    });
    {
        // Focus moves into the dialog when it opens.
        let dialog = dialog.clone();
        use_effect_with((), move |()| {
            if let Some(el) = dialog.cast::<HtmlElement>() {
                let first = el
                    .query_selector(FOCUSABLE)
                    .ok()
                    .flatten()
                    .and_then(|e| e.dyn_into::<HtmlElement>().ok());
                let _ = first.unwrap_or(el).focus();
            }
        });
    }
    let onkeydown = {
        let dialog = dialog.clone();
        let on_close = props.on_close.clone();
        let on_key = props.on_key.clone();
        Callback::from(move |event: KeyboardEvent| match event.key().as_str() {
            "Escape" => {
                event.prevent_default();
                event.stop_propagation();
                on_close.emit(());
            }
            "Tab" => trap_tab(&dialog, &event),
            _ => {
                if let Some(on_key) = &on_key {
                    on_key.emit(event);
                }
            }
        })
    };
    let close = props.on_close.reform(|_: MouseEvent| ());
    html! {
        <div class="backdrop">
            <div class={classes!("dialog", props.class.clone())} role="dialog" aria-modal="true"
                 aria-labelledby={(*title_id).clone()} tabindex="-1" ref={dialog} {onkeydown}>
                <div class="dialog-head">
                    <h3 id={(*title_id).clone()}>{ props.title.clone() }</h3>
                    <button type="button" class="close" onclick={close} aria-label="Close">{ "×" }</button>
                </div>
                { props.children.clone() }
            </div>
        </div>
    }
}

/// Keeps Tab and Shift+Tab inside the dialog.
fn trap_tab(dialog: &NodeRef, event: &KeyboardEvent) {
    let Some(el) = dialog.cast::<HtmlElement>() else {
        return;
    };
    let Ok(list) = el.query_selector_all(FOCUSABLE) else {
        return;
    };
    let count = list.length();
    if count == 0 {
        event.prevent_default();
        return;
    }
    let first = list.item(0);
    let last = list.item(count - 1);
    let target = event
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Node>().ok());
    let at = |node: &Option<web_sys::Node>| {
        node.as_ref()
            .zip(target.as_ref())
            .is_some_and(|(a, b)| a.is_same_node(Some(b)))
    };
    let outside = target.as_ref().is_none_or(|t| !el.contains(Some(t)));
    let wrap_to = if event.shift_key()
        && (at(&first) || outside || target.as_ref().is_some_and(|t| t.is_same_node(Some(&el))))
    {
        last
    } else if !event.shift_key() && (at(&last) || outside) {
        first
    } else {
        None
    };
    if let Some(node) = wrap_to.and_then(|n| n.dyn_into::<HtmlElement>().ok()) {
        event.prevent_default();
        let _ = node.focus();
    }
}
