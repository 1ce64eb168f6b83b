//! The page's parts: each takes props and reports what the user wants through `on_…` callbacks.

pub mod connection;
pub mod journal;
pub mod lookup;
pub mod mapping;
pub mod modal;
pub mod popup;
pub mod preview;
pub mod reconcile;

use std::ops::Deref;
use std::rc::Rc;

use yew::prelude::*;

/// Shared data in props, equal only to itself: re-rendering never compares 100,000 postings.
#[derive(Debug)]
pub struct Shared<T>(pub Rc<T>);

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(Rc::clone(&self.0))
    }
}

impl<T> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl<T> Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// A message box for a failure, with a dismiss button.
#[derive(Properties, PartialEq)]
pub struct NoticeProps {
    /// The words (nothing is shown when `None`).
    pub text: Option<AttrValue>,
    /// Dismissed.
    pub on_dismiss: Callback<()>,
}

/// A failure's message, announced to screen readers.
#[component]
pub fn Notice(props: &NoticeProps) -> Html {
    let Some(text) = props.text.clone() else {
        return html! {};
    };
    let dismiss = props.on_dismiss.reform(|_: MouseEvent| ());
    html! {
        <div class="notice" role="alert">
            <span>{ text }</span>
            <button type="button" class="link" onclick={dismiss} aria-label="Dismiss this message">{ "Dismiss" }</button>
        </div>
    }
}

/// The value of the input or select an event came from.
pub fn value_of(event: &Event) -> String {
    use wasm_bindgen::JsCast;
    let Some(target) = event.target() else {
        return String::new();
    };
    if let Some(input) = target.dyn_ref::<web_sys::HtmlInputElement>() {
        input.value()
    } else if let Some(select) = target.dyn_ref::<web_sys::HtmlSelectElement>() {
        select.value()
    } else {
        String::new()
    }
}

/// Whether the checkbox an event came from is ticked.
pub fn checked_of(event: &Event) -> bool {
    use wasm_bindgen::JsCast;
    event
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        .is_some_and(|i| i.checked())
}
