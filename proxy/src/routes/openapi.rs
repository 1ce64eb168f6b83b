//! `GET /api/openapi.json`: the API described from the code (utoipa).

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

struct CallerToken;

impl Modify for CallerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "caller_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT (HS256, signed by SRM; scope xero:post, xero:admin)")
                    .build(),
            ),
        );
    }
}

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(title = "srm-xero proxy", description = "The per-tenant proxy between SRM's Post Xero Journals component and Xero. Every /api route needs SRM's caller token as a Bearer token; every error is an ApiError {error, message, journals}."),
    paths(
        super::health::health,
        super::connection::status,
        super::connection::start,
        super::connection::choose,
        super::connection::disconnect,
        super::callback::callback,
        super::reference::read,
        super::reference::refresh,
        super::mapping::read,
        super::mapping::change,
        super::mapping::history,
        super::exports::exported,
        super::exports::list,
        super::exports::create,
        super::exports::detail,
        super::exports::journal,
        super::exports::progress,
        super::exports::events,
        super::exports::retry,
        super::exports::void,
        super::exports::resolve,
        document,
    ),
    modifiers(&CallerToken)
)]
pub struct ApiDoc;

/// The OpenAPI document (no token needed).
#[utoipa::path(get, path = "/api/openapi.json", tag = "meta",
    responses((status = 200, description = "This document", body = serde_json::Value)))]
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
