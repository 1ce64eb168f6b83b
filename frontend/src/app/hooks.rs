//! The effects the state calls for, each keyed on the part of the state that asks for it: when
//! that part changes, the effect runs (and what it left running stops).

use std::cell::Cell;
use std::rc::Rc;

use yew::prelude::*;

use super::TOKEN_EXPIRED_EVENT;
use crate::browser;
use crate::effects::Effects;
use crate::state::{Screen, State};

/// Reads the page at start and with every new backend, and listens for the OAuth pop-up.
#[hook]
pub fn use_page(effects: &Rc<Effects>) {
    use_effect_with(Rc::clone(effects), |effects| {
        effects.load_page();
        let listener = effects.listen_for_connection();
        move || drop(listener)
    });
}

/// Follows the open export's progress while it runs, by events or by polling, from the change
/// its rows are as of when it starts (then each event or answer carries on from the one before).
#[hook]
pub fn use_live_progress(state: &State, effects: &Rc<Effects>) {
    let key = state
        .popup
        .as_ref()
        .filter(|p| p.running())
        .map(|p| (p.number(), p.live));
    let since = state.popup.as_ref().map_or(0, |p| p.rows_sequence());
    use_effect_with((key, Rc::clone(effects)), move |(key, effects)| {
        let watch = key.map(|(number, live)| effects.watch_progress(number, live, since));
        move || drop(watch)
    });
}

/// Reads the export's rows again when progress shows they changed (one read at a time).
#[hook]
pub fn use_refresh_rows(state: &State, effects: &Rc<Effects>) {
    let in_flight: Rc<Cell<bool>> = use_memo((), |()| Cell::new(false));
    let key = state.popup.as_ref().filter(|p| p.rows_stale).map(|p| {
        (
            p.number(),
            p.progress.as_ref().map(|p| p.sequence),
            p.rows_sequence(),
        )
    });
    use_effect_with((key, Rc::clone(effects)), move |(key, effects)| {
        if let Some((number, _, _)) = *key
            && !in_flight.replace(true)
        {
            effects.refresh_rows(number, move || in_flight.set(false));
        }
    });
}

/// Reads the detail of the journal the user opened.
#[hook]
pub fn use_read_selected(state: &State, effects: &Rc<Effects>) {
    let key = state.popup.as_ref().and_then(|p| {
        p.selected
            .as_ref()
            .filter(|(_, detail)| detail.is_none())
            .map(|(key, _)| (p.number(), key.clone()))
    });
    use_effect_with((key, Rc::clone(effects)), |(key, effects)| {
        if let Some((number, key)) = key.clone() {
            effects.read_journal(number, key);
        }
    });
}

/// Lists the latest exports when the lookup opens, and asks the proxy each new question typed
/// (an exact number, or days), which it can answer beyond the latest.
#[hook]
pub fn use_lookup_search(state: &State, effects: &Rc<Effects>) {
    let open = state.lookup.is_some();
    use_effect_with((open, Rc::clone(effects)), |(open, effects)| {
        if *open {
            effects.list_exports(srm_xero_shared::api::ExportSearch::default());
        }
    });
    let question = state.lookup.as_ref().and_then(|l| l.question());
    use_effect_with((question, Rc::clone(effects)), |(question, effects)| {
        if let Some(search) = question {
            effects.list_exports(*search);
        }
    });
}

/// Reads who changed the mapping when, each time the mapping screen opens or a save lands.
#[hook]
pub fn use_mapping_history(state: &State, admin: bool, effects: &Rc<Effects>) {
    let key = (state.screen == Screen::Mapping && admin)
        .then(|| state.mapping.as_ref().map(|m| m.version));
    use_effect_with((key, Rc::clone(effects)), |(key, effects)| {
        if key.is_some() {
            effects.read_mapping_history();
        }
    });
}

/// Sends [`TOKEN_EXPIRED_EVENT`] from the component each time the proxy refuses the token.
#[hook]
pub fn use_token_requests(state: &State, root: &NodeRef) {
    let root = root.clone();
    use_effect_with(state.token_expiries, move |count| {
        if *count > 0
            && let Some(element) = root.cast::<web_sys::Element>()
        {
            browser::announce(&element, TOKEN_EXPIRED_EVENT);
        }
    });
}
