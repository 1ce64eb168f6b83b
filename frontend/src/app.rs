//! The page: the reducer, the effects that talk to the proxy and the feed, and the components.

use std::cell::Cell;
use std::rc::Rc;

use srm_xero_shared::api::{
    ChooseOrganisation, ConnectionState, ExportSearch, ExportedLookup, MappingChange, NewExport,
    ResolveRequest, VoidRequest,
};
use srm_xero_shared::feed::parse_csv;
use srm_xero_shared::xero::dates::parse_iso_date;
use srm_xero_shared::{JournalKey, MappingSettings};
use yew::prelude::*;

use crate::api::{Backend, BackendRef, Failure, FailureKind, Fut, HttpBackend};
use crate::components::connection::ConnectionPanel;
use crate::components::lookup::LookupDialog;
use crate::components::mapping::MappingScreen;
use crate::components::popup::ExportPopup;
use crate::components::preview::{Controls, Preview};
use crate::components::{Notice, Shared};
use crate::format;
use crate::state::{Action, Area, Feed, FeedOrigin, FeedState, LiveMode, Popup, Screen, State};
use crate::{STYLE, TITLE, browser};

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

type Dispatch = UseReducerDispatcher<State>;

fn spawn<T: 'static>(
    future: impl Future<Output = Result<T, Failure>> + 'static,
    dispatch: &Dispatch,
    area: Area,
    then: impl FnOnce(T, &Dispatch) + 'static,
) {
    let dispatch = dispatch.clone();
    wasm_bindgen_futures::spawn_local(async move {
        match future.await {
            Ok(value) => then(value, &dispatch),
            Err(failure) => fail(&dispatch, area, failure),
        }
    });
}

/// Reads what the page needs at start, and reopens a running export (a reload mid-export).
fn load_all(backend: &Rc<dyn Backend>, dispatch: &Dispatch) {
    reload_connection(backend, dispatch);
    spawn(backend.mapping(), dispatch, Area::Mapping, |m, d| {
        d.dispatch(Action::MappingLoaded(m));
    });
    let lookup = ExportedLookup {
        posting_ids: Vec::new(),
    };
    spawn(backend.exported(lookup), dispatch, Area::Preview, |e, d| {
        d.dispatch(Action::ExportedLoaded {
            answer: e,
            for_feed: false,
        });
    });
    let reopen = Rc::clone(backend);
    spawn(
        backend.exports(ExportSearch::default()),
        dispatch,
        Area::Export,
        move |list, d| {
            let running = list
                .iter()
                .filter(|e| e.counts.pending + e.counts.posting > 0)
                .map(|e| e.number)
                .max();
            if let Some(number) = running {
                spawn(reopen.export(number), d, Area::Export, |detail, d| {
                    d.dispatch(Action::ExportOpened(detail));
                });
            }
        },
    );
}

/// After a feed or file is read: ask the proxy which postings are exported.
fn feed_read(feed: Feed, backend: &Rc<dyn Backend>, dispatch: &Dispatch) {
    let ids = feed.postings.iter().map(|p| p.id.clone()).collect();
    dispatch.dispatch(Action::FeedLoaded(feed));
    spawn(
        backend.exported(ExportedLookup { posting_ids: ids }),
        dispatch,
        Area::Preview,
        |answer, d| {
            d.dispatch(Action::ExportedLoaded {
                answer,
                for_feed: true,
            });
        },
    );
}

/// The Post Xero Journals page.
#[component]
pub fn App(props: &AppProps) -> Html {
    let backend: Rc<Rc<dyn Backend>> = use_memo(props.clone(), |p| match &p.backend {
        Some(b) => Rc::clone(&b.0),
        None => Rc::new(HttpBackend::new(
            &p.proxy_url,
            &p.gl_feed_url,
            &p.caller_token,
        )) as Rc<dyn Backend>,
    });
    let backend: Rc<dyn Backend> = Rc::clone(&backend);
    let state = use_reducer(State::default);
    let dispatch = state.dispatcher();
    let caller = format::caller(&props.caller_token);

    {
        // Start (and start again with a new token).
        let dispatch = dispatch.clone();
        use_effect_with(BackendRef(Rc::clone(&backend)), move |b| {
            load_all(&b.0, &dispatch);
        });
    }
    {
        // The OAuth popup's callback page posts a message: read the connection again.
        let dispatch = dispatch.clone();
        use_effect_with(BackendRef(Rc::clone(&backend)), move |b| {
            browser::on_message(b.0.proxy_origin(), {
                let backend = Rc::clone(&b.0);
                move |message| {
                    if !message.ok {
                        dispatch.dispatch(Action::Fail(Area::Connection, message.message));
                    }
                    reload_connection(&backend, &dispatch);
                }
            })
        });
    }
    use_live_progress(&state, &backend, &dispatch);
    use_refresh_rows(&state, &backend, &dispatch);
    use_read_selected(&state, &backend, &dispatch);
    use_mapping_history(&state, caller.admin, &backend, &dispatch);
    let root = use_node_ref();
    use_token_requests(&state, &root);

    let act = {
        let dispatch = dispatch.clone();
        Callback::from(move |a: Action| dispatch.dispatch(a))
    };
    let dismiss = |area: Area| act.reform(move |()| Action::Dismiss(area));
    let notice = |area: Area| state.notice(area).map(|t| AttrValue::from(t.to_owned()));

    let on_preview = {
        let (state, backend, dispatch) = (state.clone(), Rc::clone(&backend), dispatch.clone());
        Callback::from(move |()| {
            let Some(from) = state.sync_from else {
                dispatch.dispatch(Action::Fail(
                    Area::Preview,
                    "Choose the date to sync from first.".into(),
                ));
                return;
            };
            dispatch.dispatch(Action::FeedStarted);
            let progress = dispatch.clone();
            let on_page = Box::new(move |pages, postings| {
                progress.dispatch(Action::FeedProgress { pages, postings });
            });
            let b = Rc::clone(&backend);
            spawn(
                backend.feed(from, on_page),
                &dispatch,
                Area::Preview,
                move |read, d| {
                    let feed = Feed {
                        postings: Rc::new(read.postings),
                        company: read.company,
                        currency: read.currency,
                        origin: FeedOrigin::Srm,
                    };
                    feed_read(feed, &b, d);
                },
            );
        })
    };
    let on_file = {
        let (backend, dispatch) = (Rc::clone(&backend), dispatch.clone());
        Callback::from(move |file: web_sys::File| {
            dispatch.dispatch(Action::FeedStarted);
            let name = file.name();
            let b = Rc::clone(&backend);
            let read = async move {
                let text = browser::file_text(&file).await.map_err(|()| Failure {
                    kind: FailureKind::FeedInvalid,
                    message: format!(
                        "The file {} could not be read. Choose it again.",
                        file.name()
                    ),
                })?;
                parse_csv(&text).map_err(|e| Failure {
                    kind: FailureKind::FeedInvalid,
                    message: format!(
                        "The file {} is not SRM's G/L detail report: {e}. Nothing was posted; correct the file and drop it again.",
                        file.name()
                    ),
                })
            };
            spawn(read, &dispatch, Area::Preview, move |postings, d| {
                let feed = Feed {
                    postings: Rc::new(postings),
                    company: None,
                    currency: None,
                    origin: FeedOrigin::File(name),
                };
                feed_read(feed, &b, d);
            });
        })
    };
    let on_accept = {
        let (state, backend, dispatch) = (state.clone(), Rc::clone(&backend), dispatch.clone());
        Callback::from(move |()| {
            let (Ok(journals), Some(from)) = (state.acceptable(), state.sync_from) else {
                return;
            };
            let postings = state.accepted_postings(&journals);
            let feed_ids: Vec<String> = match &state.feed {
                FeedState::Loaded(feed) => feed.postings.iter().map(|p| p.id.clone()).collect(),
                _ => Vec::new(),
            };
            dispatch.dispatch(Action::Accepting);
            let b = Rc::clone(&backend);
            let export = NewExport {
                from,
                postings,
                journals,
            };
            spawn(
                backend.create_export(export),
                &dispatch,
                Area::Export,
                move |created, d| {
                    let b2 = Rc::clone(&b);
                    spawn(
                        b.export(created.number),
                        d,
                        Area::Export,
                        move |detail, d| {
                            d.dispatch(Action::ExportOpened(detail));
                            // The feed's postings are now exported: plan again without them.
                            reload_exported(&b2, d, feed_ids);
                        },
                    );
                },
            );
        })
    };
    let open_export = {
        let (backend, dispatch) = (Rc::clone(&backend), dispatch.clone());
        Callback::from(move |number: u64| {
            spawn(
                backend.export(number),
                &dispatch,
                Area::Export,
                |detail, d| {
                    d.dispatch(Action::ExportOpened(detail));
                },
            );
        })
    };
    let on_open_typed = {
        let (state, dispatch, open_export) = (state.clone(), dispatch.clone(), open_export.clone());
        Callback::from(move |()| {
            let typed = state.export_number.trim();
            match typed.parse::<u64>() {
            Ok(n) => open_export.emit(n),
            // SRM's old page took the sync-from date in this field: accept that too.
            Err(_) if parse_iso_date(typed).is_some() => {
                dispatch.dispatch(Action::SetSyncFrom(parse_iso_date(typed)));
                dispatch.dispatch(Action::SetExportNumber(String::new()));
            }
            Err(_) if state.export_number.trim().is_empty() => {}
            Err(_) => dispatch.dispatch(Action::Fail(
                Area::Export,
                format!(
                    "\"{}\" is not an export number: type a number, or leave it blank for a new export.",
                    state.export_number.trim()
                ),
            )),
        }
        })
    };
    let on_lookup = {
        let (backend, dispatch) = (Rc::clone(&backend), dispatch.clone());
        Callback::from(move |()| {
            dispatch.dispatch(Action::OpenLookup);
            spawn(
                backend.exports(ExportSearch::default()),
                &dispatch,
                Area::Lookup,
                |list, d| {
                    d.dispatch(Action::LookupLoaded(list));
                },
            );
        })
    };
    let on_lookup_filter = {
        // Typing narrows the list at once; a number or days also ask the proxy, which knows
        // exports older than the latest it lists.
        let (state, backend, dispatch) = (state.clone(), Rc::clone(&backend), dispatch.clone());
        Callback::from(move |action: Action| {
            let mut next = state.lookup.clone().unwrap_or_default();
            match &action {
                Action::SetLookupNumber(t) => next.number.clone_from(t),
                Action::SetLookupFrom(t) => next.from.clone_from(t),
                Action::SetLookupTo(t) => next.to.clone_from(t),
                _ => {}
            }
            dispatch.dispatch(action);
            if let Some(search) = next.question() {
                spawn(
                    backend.exports(search),
                    &dispatch,
                    Area::Lookup,
                    |list, d| d.dispatch(Action::LookupLoaded(list)),
                );
            }
        })
    };
    let on_sync_from = act.reform(|text: String| Action::SetSyncFrom(parse_iso_date(&text)));
    let on_save_mapping = {
        let (state, backend, dispatch) = (state.clone(), Rc::clone(&backend), dispatch.clone());
        Callback::from(move |settings: MappingSettings| {
            let version = state.mapping.as_ref().map_or(0, |m| m.version);
            dispatch.dispatch(Action::MappingSaving);
            let save = backend.save_mapping(MappingChange { settings, version });
            let d = dispatch.clone();
            wasm_bindgen_futures::spawn_local(async move {
                match save.await {
                    Ok(saved) => d.dispatch(Action::MappingLoaded(saved)),
                    Err(f) => fail(&d, Area::Mapping, mapping_save_failed(f)),
                }
            });
        })
    };
    let on_refresh_reference = {
        let (backend, dispatch) = (Rc::clone(&backend), dispatch.clone());
        Callback::from(move |()| {
            spawn(
                backend.refresh_reference(),
                &dispatch,
                Area::Mapping,
                |r, d| {
                    d.dispatch(Action::ReferenceLoaded(r));
                },
            );
        })
    };
    let on_connect = {
        let (backend, dispatch) = (Rc::clone(&backend), dispatch.clone());
        Callback::from(move |()| {
            // Opened now, inside the click, so pop-up blockers allow it; pointed at Xero once known.
            let Some(window) = browser::open_popup() else {
                dispatch.dispatch(Action::Fail(
                    Area::Connection,
                    "The browser blocked the Xero sign-in window: allow pop-ups for this page and press Connect again.".into(),
                ));
                return;
            };
            let failed = window.clone();
            let dispatch2 = dispatch.clone();
            let start = backend.connect_start();
            wasm_bindgen_futures::spawn_local(async move {
                match start.await {
                    Ok(start) => browser::navigate(&window, &start.authorize_url),
                    Err(f) => {
                        let _ = failed.close();
                        fail(&dispatch2, Area::Connection, f);
                    }
                }
            });
        })
    };
    let on_choose = {
        let (backend, dispatch) = (Rc::clone(&backend), dispatch.clone());
        Callback::from(move |tenant_id: String| {
            let b = Rc::clone(&backend);
            spawn(
                backend.choose_organisation(ChooseOrganisation { tenant_id }),
                &dispatch,
                Area::Connection,
                move |(), d| reload_connection(&b, d),
            );
        })
    };
    let on_disconnect = {
        let (backend, dispatch) = (Rc::clone(&backend), dispatch.clone());
        Callback::from(move |()| {
            if !browser::confirm(
                "Disconnect Xero? Nothing can be posted until an admin connects again.",
            ) {
                return;
            }
            let b = Rc::clone(&backend);
            spawn(
                backend.disconnect(),
                &dispatch,
                Area::Connection,
                move |(), d| {
                    reload_connection(&b, d);
                },
            );
        })
    };
    let on_download = {
        let (state, dispatch) = (state.clone(), dispatch.clone());
        Callback::from(move |()| {
            if let Some(popup) = &state.popup {
                let csv = format::results_csv(&popup.detail);
                let name = format!("srm-xero-export-{}.csv", popup.number());
                if browser::download(&name, &csv).is_err() {
                    dispatch.dispatch(Action::Fail(
                        Area::Export,
                        "The browser refused the download: allow downloads for this page and try again.".into(),
                    ));
                }
            }
        })
    };
    let on_retry = retry_callback(&state, &backend, &dispatch);
    let on_void = journal_change(&state, &backend, &dispatch, |popup, backend| {
        let draft = popup.void.clone().filter(|d| d.confirming)?;
        let request = VoidRequest {
            reason: draft.reason.trim().to_owned(),
        };
        Some((
            draft.key.clone(),
            backend.void(popup.number(), draft.key, request),
        ))
    });
    let on_resolve = journal_change(&state, &backend, &dispatch, |popup, backend| {
        let draft = popup.resolve.clone()?;
        let request = ResolveRequest {
            manual_journal_id: draft.manual_journal_id.trim().to_owned(),
        };
        Some((
            draft.key.clone(),
            backend.resolve(popup.number(), draft.key, request),
        ))
    });

    let currency = state.currency().map(|c| AttrValue::from(c.to_owned()));
    let reference = state.reference.clone().map(Shared);
    let screen = if state.screen == Screen::Mapping && caller.admin {
        mapping_screen(&state, &act, on_save_mapping, on_refresh_reference)
    } else {
        html! {
            <>
                <Controls
                    export_number={state.export_number.clone()}
                    sync_from={state.sync_from.map(|d| d.to_string()).unwrap_or_default()}
                    loading={matches!(state.feed, FeedState::Loading { .. })}
                    on_export_number={act.reform(Action::SetExportNumber)}
                    on_open_export={on_open_typed}
                    on_lookup={on_lookup}
                    on_sync_from={on_sync_from}
                    on_preview={on_preview}
                    on_file={on_file} />
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
                    on_accept={on_accept}
                    on_dismiss={dismiss(Area::Preview)} />
            </>
        }
    };
    let popup = state.popup.as_ref().map(|popup| html! {
        <ExportPopup popup={popup.clone()} currency={currency.clone()} reference={reference.clone()}
            can_void={true} now={format::now_millis()} notice={notice(Area::Export)}
            on_action={act.clone()} on_download={on_download} on_retry={on_retry} on_void={on_void}
            on_resolve={on_resolve} />
    });
    let lookup = state.lookup.as_ref().map(|lookup| html! {
        <LookupDialog lookup={lookup.clone()} notice={notice(Area::Lookup)}
            on_number={on_lookup_filter.reform(Action::SetLookupNumber)}
            on_from={on_lookup_filter.reform(Action::SetLookupFrom)} on_to={on_lookup_filter.reform(Action::SetLookupTo)}
            on_move={act.reform(Action::LookupMove)} on_pick={open_export.clone()}
            on_close={act.reform(|()| Action::CloseLookup)} on_dismiss={dismiss(Area::Lookup)} />
    });
    html! {
        <div class="srm-xero-post-journals" ref={root}>
            <style>{ STYLE }</style>
            <header class="head">
                <h2>{ TITLE }</h2>
                if let Some(name) = &caller.name { <span class="muted">{ name }</span> }
            </header>
            <ConnectionPanel status={state.connection.clone()} admin={caller.admin}
                notice={notice(Area::Connection)} on_connect={on_connect} on_choose={on_choose}
                on_disconnect={on_disconnect} on_mapping={act.reform(|()| Action::Show(Screen::Mapping))}
                on_dismiss={dismiss(Area::Connection)} />
            { screen }
            // Always a child (an empty one when closed): Yew matches unkeyed children from the
            // end, so a child that comes and goes would rebuild the page above it (and lose focus).
            { popup.unwrap_or_default() }
            { lookup.unwrap_or_default() }
        </div>
    }
}

/// The words for a failed mapping save: only a stale version means someone else saved meanwhile
/// (a 409 can also mean Xero is not connected; that failure says so itself).
pub fn mapping_save_failed(mut failure: Failure) -> Failure {
    if failure.kind == FailureKind::Conflict {
        failure.message.push_str(" Someone else saved the mapping meanwhile: reload the page to see their version, then make your change again.");
    }
    failure
}

/// Shows a failure in its area; an expired caller token also asks the host page for a new one.
fn fail(dispatch: &Dispatch, area: Area, failure: Failure) {
    if failure.kind == FailureKind::TokenExpired {
        dispatch.dispatch(Action::TokenExpired);
    }
    dispatch.dispatch(Action::Fail(area, failure.message));
}

/// The event the element sends when the proxy refuses the caller token (it crosses the shadow
/// root): the host page answers by setting a fresh `caller-token` attribute.
pub const TOKEN_EXPIRED_EVENT: &str = "srm-xero-token-expired";

/// Sends [`TOKEN_EXPIRED_EVENT`] from the component each time the proxy refuses the token.
#[hook]
fn use_token_requests(state: &State, root: &NodeRef) {
    let root = root.clone();
    use_effect_with(state.token_expiries, move |count| {
        if *count > 0
            && let Some(el) = root.cast::<web_sys::Element>()
        {
            let init = web_sys::EventInit::new();
            init.set_bubbles(true);
            init.set_composed(true);
            if let Ok(event) = Event::new_with_event_init_dict(TOKEN_EXPIRED_EVENT, &init) {
                let _ = el.dispatch_event(&event);
            }
        }
    });
}

/// Reads who changed the mapping when, each time the mapping screen opens or a save lands.
#[hook]
fn use_mapping_history(state: &State, admin: bool, backend: &Rc<dyn Backend>, dispatch: &Dispatch) {
    let key = (state.screen == Screen::Mapping && admin)
        .then(|| state.mapping.as_ref().map(|m| m.version));
    let backend = BackendRef(Rc::clone(backend));
    let dispatch = dispatch.clone();
    use_effect_with((key, backend), move |(key, backend)| {
        if key.is_some() {
            spawn(
                backend.0.mapping_history(),
                &dispatch,
                Area::Mapping,
                |history, d| d.dispatch(Action::MappingHistoryLoaded(history)),
            );
        }
    });
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

fn mapping_screen(
    state: &State,
    act: &Callback<Action>,
    on_save: Callback<MappingSettings>,
    on_refresh: Callback<()>,
) -> Html {
    let (Some(mapping), Some(reference)) = (&state.mapping, &state.reference) else {
        return html! { <p class="muted panel" role="status">{ "Reading the mapping and Xero's chart of accounts…" }</p> };
    };
    let postings = match &state.feed {
        FeedState::Loaded(feed) => Rc::clone(&feed.postings),
        _ => Rc::new(Vec::new()),
    };
    html! {
        <MappingScreen mapping={mapping.clone()} reference={Shared(Rc::clone(reference))} postings={Shared(postings)}
            history={state.mapping_history.clone().map(Shared)}
            saving={state.mapping_saving} notice={state.notice(Area::Mapping).map(|t| AttrValue::from(t.to_owned()))}
            on_save={on_save} on_close={act.reform(|()| Action::Show(Screen::Post))}
            on_refresh={on_refresh} on_dismiss={act.reform(|()| Action::Dismiss(Area::Mapping))} />
    }
}

/// Reads the connection, then (when connected) Xero's reference data.
fn reload_connection(backend: &Rc<dyn Backend>, dispatch: &Dispatch) {
    let b = Rc::clone(backend);
    spawn(
        backend.connection(),
        dispatch,
        Area::Connection,
        move |c, d| {
            let connected = c.state == ConnectionState::Connected;
            d.dispatch(Action::ConnectionLoaded(c));
            if connected {
                spawn(b.reference(), d, Area::Connection, |r, d| {
                    d.dispatch(Action::ReferenceLoaded(r));
                });
            }
        },
    );
}

/// Asks again which of the feed's postings are exported (after Accept), so the preview skips them.
fn reload_exported(backend: &Rc<dyn Backend>, dispatch: &Dispatch, posting_ids: Vec<String>) {
    if posting_ids.is_empty() {
        return;
    }
    spawn(
        backend.exported(ExportedLookup { posting_ids }),
        dispatch,
        Area::Preview,
        |answer, d| {
            d.dispatch(Action::ExportedLoaded {
                answer,
                for_feed: true,
            });
        },
    );
}

/// Retry: read the failed journals' postings, re-plan them with today's mapping, send them.
/// Sends a change to one journal of the open export — `send` makes it from the popup, or says
/// there is none — then reads the journal again.
fn journal_change(
    state: &UseReducerHandle<State>,
    backend: &Rc<dyn Backend>,
    dispatch: &Dispatch,
    send: impl Fn(&Popup, &Rc<dyn Backend>) -> Option<(JournalKey, Fut<()>)> + 'static,
) -> Callback<()> {
    let (state, backend, dispatch) = (state.clone(), Rc::clone(backend), dispatch.clone());
    Callback::from(move |()| {
        let Some((key, change)) = state.popup.as_ref().and_then(|p| send(p, &backend)) else {
            return;
        };
        dispatch.dispatch(Action::SetBusy(true));
        spawn(change, &dispatch, Area::Export, move |(), d| {
            d.dispatch(Action::SetBusy(false));
            d.dispatch(Action::SelectJournal(key));
        });
    })
}

fn retry_callback(
    state: &UseReducerHandle<State>,
    backend: &Rc<dyn Backend>,
    dispatch: &Dispatch,
) -> Callback<()> {
    let (state, backend, dispatch) = (state.clone(), Rc::clone(backend), dispatch.clone());
    Callback::from(move |()| {
        let Some(popup) = &state.popup else { return };
        let (Some(mapping), Some(reference)) = (state.mapping.clone(), state.reference.clone())
        else {
            dispatch.dispatch(Action::Fail(
                Area::Export,
                "The mapping and Xero's chart are still being read: try again in a moment.".into(),
            ));
            return;
        };
        let number = popup.number();
        let keys = popup.failed_keys();
        dispatch.dispatch(Action::SetBusy(true));
        let (b, d) = (Rc::clone(&backend), dispatch.clone());
        wasm_bindgen_futures::spawn_local(async move {
            let mut failed = Vec::new();
            for key in keys {
                match b.journal(number, key).await {
                    Ok(detail) => failed.push(detail),
                    Err(f) => {
                        fail(&d, Area::Export, f);
                        return;
                    }
                }
            }
            let request = match crate::state::plan_retry(
                number,
                &failed,
                &mapping.settings,
                &reference.reference,
            ) {
                Ok(request) => request,
                Err(why) => {
                    d.dispatch(Action::Fail(Area::Export, why));
                    return;
                }
            };
            match b.retry(number, request).await {
                Ok(()) => d.dispatch(Action::SetBusy(false)),
                Err(f) => fail(&d, Area::Export, f),
            }
        });
    })
}

/// Progress of the open export: server-sent events, or polling when they fail.
#[hook]
fn use_live_progress(state: &State, backend: &Rc<dyn Backend>, dispatch: &Dispatch) {
    let key = state
        .popup
        .as_ref()
        .map(|p| (p.number(), p.live, p.running()));
    let backend = BackendRef(Rc::clone(backend));
    let dispatch = dispatch.clone();
    use_effect_with((key, backend), move |(key, backend)| {
        let alive = Rc::new(Cell::new(true));
        let mut source = None;
        if let Some((number, live, running)) = *key {
            let events = backend
                .0
                .events_url(number)
                .filter(|_| live == LiveMode::Events);
            match events {
                Some(url) if running => {
                    source = browser::progress_events(&url, dispatch.clone());
                    if source.is_none() {
                        dispatch.dispatch(Action::SetLive(LiveMode::Polling));
                    }
                }
                _ if running => poll(number, Rc::clone(&backend.0), dispatch, Rc::clone(&alive)),
                _ => {}
            }
        }
        move || {
            alive.set(false);
            drop(source);
        }
    });
}

fn poll(number: u64, backend: Rc<dyn Backend>, dispatch: Dispatch, alive: Rc<Cell<bool>>) {
    wasm_bindgen_futures::spawn_local(async move {
        while alive.get() {
            let answer = backend.progress(number).await;
            if !alive.get() {
                break;
            }
            match answer {
                Ok(progress) => dispatch.dispatch(Action::ProgressArrived(progress)),
                Err(f) => fail(&dispatch, Area::Export, f),
            }
            browser::sleep(2000).await;
        }
    });
}

/// Re-reads the export's rows when progress shows they changed (one read at a time).
#[hook]
fn use_refresh_rows(state: &State, backend: &Rc<dyn Backend>, dispatch: &Dispatch) {
    let in_flight = use_mut_ref(|| false);
    let key = state.popup.as_ref().filter(|p| p.rows_stale).map(|p| {
        (
            p.number(),
            p.progress.as_ref().map(|p| p.sequence),
            p.detail.summary.counts,
        )
    });
    let backend = BackendRef(Rc::clone(backend));
    let dispatch = dispatch.clone();
    use_effect_with((key, backend), move |(key, backend)| {
        if let Some((number, _, _)) = *key
            && !*in_flight.borrow()
        {
            *in_flight.borrow_mut() = true;
            let future = backend.0.export(number);
            wasm_bindgen_futures::spawn_local(async move {
                let answer = future.await;
                *in_flight.borrow_mut() = false;
                match answer {
                    Ok(detail) => dispatch.dispatch(Action::ExportOpened(detail)),
                    Err(f) => fail(&dispatch, Area::Export, f),
                }
            });
        }
    });
}

/// Reads the detail of the journal the user opened.
#[hook]
fn use_read_selected(state: &State, backend: &Rc<dyn Backend>, dispatch: &Dispatch) {
    let key = state.popup.as_ref().and_then(|p| {
        p.selected
            .as_ref()
            .filter(|(_, detail)| detail.is_none())
            .map(|(key, _)| (p.number(), key.clone()))
    });
    let backend = BackendRef(Rc::clone(backend));
    let dispatch = dispatch.clone();
    use_effect_with((key, backend), move |(key, backend)| {
        if let Some((number, key)) = key.clone() {
            spawn(
                backend.0.journal(number, key),
                &dispatch,
                Area::Export,
                |detail, d| {
                    d.dispatch(Action::JournalLoaded(detail));
                },
            );
        }
    });
}
