//! Who changed the mapping when, newest first.

use srm_xero_shared::api::MappingHistoryEntry;
use yew::prelude::*;

use crate::components::Shared;
use crate::format;

/// How many of the latest changes the screen lists.
const HISTORY_SHOWN: usize = 8;

/// Props of [`History`].
#[derive(Properties, PartialEq)]
pub struct HistoryProps {
    /// Every saved version, newest first, once read.
    pub history: Option<Shared<Vec<MappingHistoryEntry>>>,
}

/// The latest changes of the mapping.
#[component]
pub fn History(props: &HistoryProps) -> Html {
    let Some(history) = &props.history else {
        return html! {};
    };
    let items = history.iter().take(HISTORY_SHOWN).map(|h| {
        let line = format!(
            "Version {} · {} · {}",
            h.version,
            format::when(h.changed_at),
            h.changed_by
        );
        html! { <li data-version={h.version.to_string()}>{ line }</li> }
    });
    html! {
        <section class="mapping-history" aria-label="Mapping history">
            <h4>{ "Changes" }</h4>
            if history.is_empty() {
                <p class="muted">{ "Never saved: the defaults apply." }</p>
            } else {
                <ol class="history">{ for items }</ol>
            }
        </section>
    }
}
