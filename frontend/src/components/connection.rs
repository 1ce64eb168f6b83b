//! Which Xero organisation journals go to, whether the connection is healthy, and (for admins)
//! connect, choose the organisation, reconnect and disconnect.

use std::rc::Rc;

use srm_xero_shared::api::{ConnectionState, ConnectionStatus};
use yew::prelude::*;

use super::Notice;

/// Props of [`ConnectionPanel`].
#[derive(Properties, PartialEq)]
pub struct ConnectionProps {
    /// The status, once read.
    pub status: Option<Rc<ConnectionStatus>>,
    /// The caller may connect and disconnect.
    pub admin: bool,
    /// A failure to show.
    pub notice: Option<AttrValue>,
    /// Connect or reconnect (opens Xero's consent page).
    pub on_connect: Callback<()>,
    /// Choose an organisation (its tenant id).
    pub on_choose: Callback<String>,
    /// Disconnect.
    pub on_disconnect: Callback<()>,
    /// Open the mapping screen.
    pub on_mapping: Callback<()>,
    /// Dismiss the notice.
    pub on_dismiss: Callback<()>,
}

/// The connection panel.
#[component]
pub fn ConnectionPanel(props: &ConnectionProps) -> Html {
    let connect = props.on_connect.reform(|_: MouseEvent| ());
    let disconnect = props.on_disconnect.reform(|_: MouseEvent| ());
    let mapping = props.on_mapping.reform(|_: MouseEvent| ());
    let (badge, words) = match &props.status {
        None => ("muted", "Checking the Xero connection…".to_owned()),
        Some(status) => match status.state {
            ConnectionState::Connected => (
                "ok",
                format!(
                    "Posting to {}",
                    status
                        .organisation
                        .as_ref()
                        .map_or("Xero", |o| o.name.as_str())
                ),
            ),
            ConnectionState::ReconnectNeeded => (
                "warn",
                format!(
                    "Reconnect needed{}: exports wait until an admin reconnects Xero.",
                    status
                        .organisation
                        .as_ref()
                        .map(|o| format!(" for {}", o.name))
                        .unwrap_or_default()
                ),
            ),
            ConnectionState::ChoosingOrganisation => (
                "warn",
                "Choose which Xero organisation to post to.".to_owned(),
            ),
            ConnectionState::Disconnected => (
                "warn",
                "Not connected to Xero: an admin must connect before anything can be posted."
                    .to_owned(),
            ),
        },
    };
    let state = props.status.as_ref().map(|s| s.state);
    let admin_buttons = if props.admin {
        let connect_label = match state {
            Some(ConnectionState::Connected | ConnectionState::ReconnectNeeded) => "Reconnect",
            _ => "Connect to Xero",
        };
        html! {
            <span class="actions">
                <button type="button" onclick={connect}>{ connect_label }</button>
                if matches!(state, Some(ConnectionState::Connected | ConnectionState::ReconnectNeeded | ConnectionState::ChoosingOrganisation)) {
                    <button type="button" class="secondary" onclick={disconnect}>{ "Disconnect" }</button>
                }
                <button type="button" class="secondary" name="mapping" onclick={mapping}>{ "Mapping" }</button>
            </span>
        }
    } else {
        html! {}
    };
    let choices = match &props.status {
        Some(status) if status.state == ConnectionState::ChoosingOrganisation && props.admin => {
            html! {
                <ul class="choices" aria-label="Xero organisations">
                    { for status.choices.iter().map(|org| {
                        let id = org.tenant_id.clone();
                        let on_choose = props.on_choose.clone();
                        html! {
                            <li><button type="button" onclick={move |_| on_choose.emit(id.clone())}>
                                { format!("Post to {}", org.name) }
                            </button></li>
                        }
                    }) }
                </ul>
            }
        }
        _ => html! {},
    };
    let detail = props
        .status
        .as_ref()
        .and_then(|s| s.message.clone())
        .map(|m| html! { <p class="muted">{ m }</p> });
    html! {
        <section class="panel connection" aria-label="Xero connection">
            <div class="row">
                <span class={classes!("badge", badge)} aria-hidden="true"></span>
                <strong class="connection-text">{ words }</strong>
                { admin_buttons }
            </div>
            { detail.unwrap_or_default() }
            { choices }
            <Notice text={props.notice.clone()} on_dismiss={props.on_dismiss.clone()} />
        </section>
    }
}
