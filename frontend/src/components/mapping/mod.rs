//! The mapping screen (admins): the account table, tracking, the journal settings and the history
//! of changes, each its own part; the draft they edit is a small reducer ([`draft`]), checked
//! inline with shared's checks and saved with the version it was edited from.

pub mod accounts;
pub mod draft;
pub mod history;
pub mod journals;
pub mod tracking;

use std::rc::Rc;

use srm_xero_shared::api::{MappingDocument, MappingHistoryEntry, ReferenceSnapshot};
use srm_xero_shared::{MappingSettings, Posting};
use yew::prelude::*;

use self::accounts::AccountTable;
use self::draft::{Draft, Edit};
use self::history::History;
use self::journals::JournalFields;
use self::tracking::TrackingEditor;
use super::modal::use_focus_return;
use super::{Notice, Shared};

/// Props of [`MappingScreen`].
#[derive(Properties, PartialEq)]
pub struct MappingProps {
    /// The mapping as saved.
    pub mapping: Rc<MappingDocument>,
    /// Xero's reference data.
    pub reference: Shared<ReferenceSnapshot>,
    /// The postings read (their accounts are the rows).
    pub postings: Shared<Vec<Posting>>,
    /// Who changed the mapping when, newest first, once read.
    #[prop_or_default]
    pub history: Option<Shared<Vec<MappingHistoryEntry>>>,
    /// Saving.
    pub saving: bool,
    /// A failure to show.
    pub notice: Option<AttrValue>,
    /// Save these settings.
    pub on_save: Callback<Rc<MappingSettings>>,
    /// Back to the preview.
    pub on_close: Callback<()>,
    /// Read Xero's chart again.
    pub on_refresh: Callback<()>,
    /// Dismiss the notice.
    pub on_dismiss: Callback<()>,
}

/// The mapping screen.
#[component]
pub fn MappingScreen(props: &MappingProps) -> Html {
    // Opened from the "Mapping" button: focus starts at the title and goes back to that button.
    let node = use_node_ref();
    use_focus_return(
        node.clone(),
        AttrValue::Static("h3.mapping-title"),
        AttrValue::Static("button[name='mapping']"),
    );
    let draft = use_reducer({
        let saved = Rc::clone(&props.mapping);
        move || Draft::new(saved)
    });
    {
        // A saved (or reloaded) mapping replaces the draft.
        let dispatch = draft.dispatcher();
        use_effect_with(Rc::clone(&props.mapping), move |saved| {
            dispatch.dispatch(Edit::Saved(Rc::clone(saved)));
        });
    }
    let on_edit = {
        let dispatch = draft.dispatcher();
        Callback::from(move |edit: Edit| dispatch.dispatch(edit))
    };
    let errors = draft.errors();
    let changed = draft.changed();
    let can_save = errors.is_empty() && changed && !props.saving;
    let save = {
        let settings = Rc::clone(&draft.settings);
        props
            .on_save
            .reform(move |_: MouseEvent| Rc::clone(&settings))
    };
    let close = props.on_close.reform(|_: MouseEvent| ());
    // Esc goes back like the button, but never throws away unsaved changes.
    let onkeydown = {
        let on_close = props.on_close.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Escape" && !changed {
                e.prevent_default();
                on_close.emit(());
            }
        })
    };
    let refresh = props.on_refresh.reform(|_: MouseEvent| ());
    let revert = on_edit.reform(|_: MouseEvent| Edit::Revert);
    let updated_by = props
        .mapping
        .updated_by
        .as_ref()
        .map(|w| format!(", last changed by {w}"))
        .unwrap_or_default();
    html! {
        <section class="panel mapping" aria-label="Mapping" ref={node} {onkeydown}>
            <div class="row">
                <h3 class="mapping-title" tabindex="-1">{ "Mapping" }</h3>
                <span class="muted">{ format!("version {}{updated_by}", props.mapping.version) }</span>
                <span class="spacer"></span>
                <button type="button" class="secondary" onclick={refresh}>{ "Read Xero's chart again" }</button>
                <button type="button" class="secondary" name="close-mapping" onclick={close}>{ "Back to the preview" }</button>
            </div>
            <Notice text={props.notice.clone()} on_dismiss={props.on_dismiss.clone()} />
            <AccountTable settings={Rc::clone(&draft.settings)} reference={props.reference.clone()}
                postings={props.postings.clone()} on_edit={on_edit.clone()} />
            <TrackingEditor settings={Rc::clone(&draft.settings)} reference={props.reference.clone()}
                postings={props.postings.clone()} on_edit={on_edit.clone()} />
            <JournalFields settings={Rc::clone(&draft.settings)} tolerance={draft.tolerance.clone()}
                reference={props.reference.clone()} on_edit={on_edit.clone()} />
            if !errors.is_empty() {
                <ul class="inline-error" role="alert">{ for errors.iter().map(|e| html! { <li>{ e }</li> }) }</ul>
            }
            <div class="accept-bar">
                <button type="button" class="primary" name="save-mapping" disabled={!can_save} onclick={save}>
                    { if props.saving { "Saving…" } else { "Save mapping" } }
                </button>
                <button type="button" class="secondary" disabled={!changed} onclick={revert}>{ "Undo changes" }</button>
            </div>
            <History history={props.history.clone()} />
        </section>
    }
}
