//! `/api/connection`: the tenant's Xero connection — status, connect, choose, disconnect.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use srm_xero_shared::api::{ApiError, ChooseOrganisation, ConnectStart, ConnectionStatus};

use crate::AppState;
use crate::auth::{Admin, Caller};
use crate::error::{ApiJson, AppError};
use crate::xero::connection::ChooseError;

/// Where the connection stands.
#[utoipa::path(get, path = "/api/connection", tag = "connection",
    security(("caller_token" = [])),
    responses(
        (status = 200, description = "ConnectionStatus: state, organisation, choices, scopes, last refresh", body = ConnectionStatus),
        (status = 401, description = "ApiError: no valid caller token", body = ApiError),
        (status = 403, description = "ApiError: the token lacks xero:post", body = ApiError)))]
pub async fn status(
    State(state): State<AppState>,
    _caller: Caller,
) -> Result<Json<ConnectionStatus>, AppError> {
    Ok(Json(state.connections().status().await?))
}

/// Starts connecting (admin): the link for the admin's popup. The link is this proxy's
/// `/auth/xero/start?attempt=…`, which ties the attempt to the browser that opens it (once) and
/// sends it on to Xero's consent page.
#[utoipa::path(post, path = "/api/connection/start", tag = "connection",
    security(("caller_token" = [])),
    responses(
        (status = 200, description = "ConnectStart: authorize_url (state bound to this caller, PKCE)", body = ConnectStart),
        (status = 401, description = "ApiError", body = ApiError),
        (status = 403, description = "ApiError: only xero:admin may connect", body = ApiError),
        (status = 500, description = "ApiError: the attempt could not be stored", body = ApiError)))]
pub async fn start(
    State(state): State<AppState>,
    Admin(caller): Admin,
) -> Result<Json<ConnectStart>, AppError> {
    let attempt = state.connections().start(&caller).await?;
    Ok(Json(ConnectStart {
        authorize_url: format!("{}/auth/xero/start?attempt={attempt}", state.public_url()),
    }))
}

/// Chooses the organisation when the consent covered several (admin).
#[utoipa::path(post, path = "/api/connection/organisation", tag = "connection",
    security(("caller_token" = [])),
    request_body(content = ChooseOrganisation, description = "ChooseOrganisation: {\"tenant_id\": …}"),
    responses(
        (status = 200, description = "ConnectionStatus", body = ConnectionStatus),
        (status = 400, description = "ApiError: malformed JSON", body = ApiError),
        (status = 403, description = "ApiError: only xero:admin may choose", body = ApiError),
        (status = 409, description = "ApiError: not connected", body = ApiError),
        (status = 422, description = "ApiError: not one of the choices", body = ApiError)))]
pub async fn choose(
    State(state): State<AppState>,
    Admin(caller): Admin,
    ApiJson(choice): ApiJson<ChooseOrganisation>,
) -> Result<Json<ConnectionStatus>, AppError> {
    let status = state
        .connections()
        .choose(&choice.tenant_id)
        .await
        .map_err(|e| match e {
            ChooseError::NotConnected => AppError::NotConnected(e.to_string()),
            ChooseError::UnknownTenant(_) => AppError::Invalid(e.to_string()),
            ChooseError::Xero(x) => x.into(),
        })?;
    tracing::info!(by = %caller.name, tenant = %choice.tenant_id, "organisation chosen");
    state.hub().wake();
    Ok(Json(status))
}

/// Disconnects (admin): revokes the tokens at Xero and deletes the connection.
#[utoipa::path(delete, path = "/api/connection", tag = "connection",
    security(("caller_token" = [])),
    responses(
        (status = 204, description = "Revoked and deleted"),
        (status = 403, description = "ApiError: only xero:admin may disconnect", body = ApiError),
        (status = 409, description = "ApiError: not connected", body = ApiError),
        (status = 502, description = "ApiError: Xero did not answer; still connected", body = ApiError)))]
pub async fn disconnect(
    State(state): State<AppState>,
    Admin(caller): Admin,
) -> Result<StatusCode, AppError> {
    state.connections().disconnect().await?;
    tracing::info!(by = %caller.name, "disconnected from Xero");
    Ok(StatusCode::NO_CONTENT)
}
