//! An accessible modal dialog: labelled, focus kept inside, Esc closes, and focus given back to
//! what opened it when it closes.

use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};
use yew::prelude::*;

const FOCUSABLE: &str = "button:not([disabled]), [href], input:not([disabled]), select:not([disabled]), textarea, [tabindex]:not([tabindex='-1'])";

/// The component's outermost element (every fallback selector is looked up inside it).
const PAGE: &str = ".srm-xero-post-journals";

/// The element that has focus, looking inside shadow roots (the component lives in one).
pub fn focused() -> Option<HtmlElement> {
    let mut active = web_sys::window()?.document()?.active_element()?;
    while let Some(inner) = active.shadow_root().and_then(|s| s.active_element()) {
        active = inner;
    }
    active.dyn_into().ok()
}

/// Focuses the first element inside `within` that matches `selector`; false when none can take it.
pub fn focus_in(within: &Element, selector: &str) -> bool {
    let target = within
        .query_selector(selector)
        .ok()
        .flatten()
        .and_then(|e| e.dyn_into::<HtmlElement>().ok());
    target.is_some_and(|t| {
        let _ = t.focus();
        focused().is_some_and(|f| f.is_same_node(Some(&t)))
    })
}

/// On mount: remembers what has focus, then moves focus to `first` inside `node` (a selector; the
/// node itself when nothing matches). On unmount: gives focus back to what had it, or, when that
/// element is gone or cannot take focus, to `fallback` (a selector) inside the component.
#[hook]
pub fn use_focus_return(node: NodeRef, first: AttrValue, fallback: AttrValue) {
    use_effect_with((), move |()| {
        let opener = focused();
        let el = node.cast::<HtmlElement>();
        let page = el.as_ref().and_then(|e| e.closest(PAGE).ok().flatten());
        if let Some(el) = &el
            && !focus_in(el, &first)
        {
            let _ = el.focus();
        }
        move || {
            if let Some(opener) = opener.filter(|o| o.is_connected()) {
                let _ = opener.focus();
                if focused().is_some_and(|f| f.is_same_node(Some(&opener))) {
                    return;
                }
            }
            if let Some(page) = page {
                focus_in(&page, &fallback);
            }
        }
    });
}

/// Props of [`Modal`].
#[derive(Properties, PartialEq)]
pub struct ModalProps {
    /// The dialog's title (also its accessible name).
    pub title: AttrValue,
    /// A class for sizing.
    #[prop_or_default]
    pub class: Classes,
    /// The close button (and Esc, unless `on_escape` is given).
    pub on_close: Callback<()>,
    /// Esc, when it should close something smaller than the dialog (a detail inside it).
    #[prop_or_default]
    pub on_escape: Option<Callback<()>>,
    /// What gets focus when the dialog opens (a selector; default: the first focusable element).
    #[prop_or_default]
    pub initial: Option<AttrValue>,
    /// Where focus goes when the dialog closes and what opened it is gone (a selector).
    #[prop_or(AttrValue::Static("input[name='export-number']"))]
    pub return_to: AttrValue,
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
        let mut id = String::from("dlg-");
        id.extend(
            title
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .map(|c| c.to_ascii_lowercase()),
        );
        id
    });
    use_focus_return(
        dialog.clone(),
        props
            .initial
            .clone()
            .unwrap_or(AttrValue::Static(FOCUSABLE)),
        props.return_to.clone(),
    );
    let onkeydown = {
        let dialog = dialog.clone();
        let on_escape = props
            .on_escape
            .clone()
            .unwrap_or_else(|| props.on_close.clone());
        let on_key = props.on_key.clone();
        Callback::from(move |event: KeyboardEvent| match event.key().as_str() {
            "Escape" => {
                event.prevent_default();
                event.stop_propagation();
                on_escape.emit(());
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
                    <button type="button" class="close" name="close-dialog" onclick={close} aria-label="Close">{ "×" }</button>
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
