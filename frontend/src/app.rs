//! The page: the reducer's state on screen. Components report changes of state as actions and
//! requests that need the proxy as intents ([`crate::intent`]); the hooks start the effects the
//! state calls for (reading a journal the user opened, following a running export's progress).

mod hooks;

use std::rc::Rc;

use yew::prelude::*;

use crate::api::{Backend, BackendRef, HttpBackend};
use crate::components::connection::ConnectionPanel;
use crate::components::lookup::LookupDialog;
use crate::components::mapping::MappingScreen;
use crate::components::popup::ExportPopup;
use crate::components::preview::{Controls, Preview, UnsyncedBanner};
use crate::components::reconcile::ReconcileView;
use crate::components::{Notice, Shared};
use crate::effects::Effects;
use crate::intent::{Intent, perform};
use crate::state::{Action, Area, FeedState, Screen, State};
use crate::{STYLE, TITLE, format};

/// The element's attributes, and (for tests) a backend to use instead of HTTP.
#[derive(Properties, PartialEq, Clone, Default)]
pub struct AppProps {
    /// The proxy's base URL (empty: this page's origin).
    #[prop_or_default]
    pub proxy_url: AttrValue,
    /// SRM's G/L feed URL.
    #[prop_or_default]
    pub gl_feed_url: AttrValue,
    /// The caller token (a JWT signed by SRM).
    #[prop_or_default]
    pub caller_token: AttrValue,
    /// A backend to use instead of [`HttpBackend`] (tests).
    #[prop_or_default]
    pub backend: Option<BackendRef>,
}

/// The event the element sends when the proxy refuses the caller token (it crosses the shadow
/// root): the host page answers by setting a fresh `caller-token` attribute.
pub const TOKEN_EXPIRED_EVENT: &str = "srm-xero-token-expired";

/// The Post Xero Journals page.
#[component]
pub fn App(props: &AppProps) -> Html {
    let state = use_reducer(State::default);
    let effects = {
        let dispatch = state.dispatcher();
        // A new caller token (or proxy) makes a new backend, and the page reads everything again.
        use_memo(props.clone(), move |p| {
            let backend: Rc<dyn Backend> = match &p.backend {
                Some(b) => Rc::clone(&b.0),
                None => Rc::new(HttpBackend::new(
                    &p.proxy_url,
                    &p.gl_feed_url,
                    &p.caller_token,
                )),
            };
            Effects::new(backend, dispatch)
        })
    };
    // Read once per token, not at every render (a running export renders at each event).
    let caller = use_memo(props.caller_token.clone(), |token| format::caller(token));
    let root = use_node_ref();
    hooks::use_page(&effects);
    hooks::use_live_progress(&state, &effects);
    hooks::use_refresh_rows(&state, &effects);
    hooks::use_read_selected(&state, &effects);
    hooks::use_lookup_search(&state, &effects);
    hooks::use_mapping_history(&state, caller.admin, &effects);
    hooks::use_token_requests(&state, &root);

    let act = {
        let dispatch = state.dispatcher();
        Callback::from(move |action: Action| dispatch.dispatch(action))
    };
    let ask = {
        let (state, effects) = (state.clone(), Rc::clone(&effects));
        Callback::from(move |intent: Intent| perform(intent, &state, &effects))
    };
    let dismiss = |area: Area| act.reform(move |()| Action::Dismiss(area));
    let notice = |area: Area| state.notice(area).map(|t| AttrValue::from(t.to_owned()));
    let currency = state.currency().map(|c| AttrValue::from(c.to_owned()));

    let screen = if state.screen == Screen::Mapping && caller.admin {
        mapping_screen(&state, &act, &ask)
    } else if let (Screen::Reconcile, Some(view)) = (state.screen, &state.reconcile) {
        html! {
            <ReconcileView view={Rc::clone(view)} currency={currency.clone()}
                notice={notice(Area::Reconcile)} on_action={act.reform(Action::Reconcile)}
                on_compare={ask.reform(|()| Intent::Reconcile)}
                on_repost={ask.reform(|(n, key)| Intent::Repost(n, key))}
                on_open={ask.reform(Intent::OpenExport)}
                on_download={ask.reform(|()| Intent::DownloadReconciliation)}
                on_close={act.reform(|()| Action::Show(Screen::Post))}
                on_dismiss={dismiss(Area::Reconcile)} />
        }
    } else {
        html! {
            <>
                <UnsyncedBanner days={state.unsynced_days()} on_preview={ask.reform(Intent::PreviewUnsynced)} />
                <Controls
                    export_number={state.export_number.clone()}
                    sync_from={state.sync_from.map(|d| d.to_string()).unwrap_or_default()}
                    loading={matches!(state.feed, FeedState::Loading { .. })}
                    on_export_number={act.reform(Action::SetExportNumber)}
                    on_open_export={ask.reform(|()| Intent::OpenTyped)}
                    on_lookup={ask.reform(|()| Intent::Lookup)}
                    on_sync_from={act.reform(|text: String| Action::SetSyncFrom(text.trim().parse().ok()))}
                    on_preview={ask.reform(|()| Intent::Preview)}
                    on_file={ask.reform(Intent::File)} />
                if state.popup.is_none() {
                    <Notice text={notice(Area::Export)} on_dismiss={dismiss(Area::Export)} />
                }
                <Preview
                    plan={state.plan.clone().map(Shared)}
                    loading={match state.feed { FeedState::Loading { pages, postings } => Some((pages, postings)), _ => None }}
                    loaded={matches!(state.feed, FeedState::Loaded(_))}
                    waiting_for={waiting_for(&state)}
                    currency={currency.clone()}
                    post_only_valid={state.post_only_valid}
                    accept={state.acceptable().map(|k| k.len()).map_err(AttrValue::from)}
                    notice={notice(Area::Preview)}
                    on_post_only_valid={act.reform(Action::SetPostOnlyValid)}
                    on_accept={ask.reform(|()| Intent::Accept)}
                    on_dismiss={dismiss(Area::Preview)} />
            </>
        }
    };
    let popup = state.popup.as_ref().map(|popup| html! {
        <ExportPopup popup={Rc::clone(popup)} currency={currency.clone()}
            reference={state.reference.clone().map(Shared)} can_void={true}
            now={format::now_millis()} notice={notice(Area::Export)}
            on_action={act.reform(Action::Popup)} on_dismiss={dismiss(Area::Export)}
            on_download={ask.reform(|()| Intent::Download)} on_retry={ask.reform(|()| Intent::Retry)}
            on_void={ask.reform(|()| Intent::Void)} on_resolve={ask.reform(|()| Intent::Resolve)} />
    });
    let lookup = state.lookup.as_ref().map(|lookup| {
        html! {
            <LookupDialog lookup={Rc::clone(lookup)} notice={notice(Area::Lookup)}
                on_action={act.reform(Action::Lookup)} on_pick={ask.reform(Intent::OpenExport)}
                on_dismiss={dismiss(Area::Lookup)} />
        }
    });
    html! {
        <div class="srm-xero-post-journals" ref={root}>
            <style>{ STYLE }</style>
            <header class="head">
                <h2>{ TITLE }</h2>
                if let Some(name) = &caller.name { <span class="muted">{ name }</span> }
                <span class="actions">
                    <button type="button" class="secondary" name="open-reconcile"
                        onclick={ask.reform(|_: MouseEvent| Intent::OpenReconcile)}>{ "Reconcile with Xero…" }</button>
                </span>
            </header>
            <ConnectionPanel status={state.connection.clone()} admin={caller.admin}
                notice={notice(Area::Connection)} on_connect={ask.reform(|()| Intent::Connect)}
                on_choose={ask.reform(Intent::ChooseOrganisation)}
                on_disconnect={ask.reform(|()| Intent::Disconnect)}
                on_mapping={act.reform(|()| Action::Show(Screen::Mapping))}
                on_dismiss={dismiss(Area::Connection)} />
            { screen }
            // Always a child (an empty one when closed): Yew matches unkeyed children from the
            // end, so a child that comes and goes would rebuild the page above it (and lose focus).
            { popup.unwrap_or_default() }
            { lookup.unwrap_or_default() }
        </div>
    }
}

/// What the preview still needs before it can plan.
fn waiting_for(state: &State) -> Option<AttrValue> {
    let what = if state.reference.is_none() {
        "Xero's chart of accounts (Xero must be connected: an admin can connect it above)"
    } else if state.mapping.is_none() {
        "the mapping"
    } else if state.sync_from.is_none() {
        "a Sync from date"
    } else if state.exported.is_none() {
        "the proxy to say which postings are already exported"
    } else {
        return None;
    };
    Some(AttrValue::from(what))
}

fn mapping_screen(state: &State, act: &Callback<Action>, ask: &Callback<Intent>) -> Html {
    let (Some(mapping), Some(reference)) = (&state.mapping, &state.reference) else {
        return html! { <p class="muted panel" role="status">{ "Reading the mapping and Xero's chart of accounts…" }</p> };
    };
    let postings = match &state.feed {
        FeedState::Loaded(feed) => Rc::clone(&feed.postings),
        _ => Rc::new(Vec::new()),
    };
    html! {
        <MappingScreen mapping={Rc::clone(mapping)} reference={Shared(Rc::clone(reference))}
            postings={Shared(postings)} history={state.mapping_history.clone().map(Shared)}
            saving={state.mapping_saving}
            notice={state.notice(Area::Mapping).map(|t| AttrValue::from(t.to_owned()))}
            on_save={ask.reform(Intent::SaveMapping)}
            on_close={act.reform(|()| Action::Show(Screen::Post))}
            on_refresh={ask.reform(|()| Intent::RefreshReference)}
            on_dismiss={act.reform(|()| Action::Dismiss(Area::Mapping))} />
    }
}
