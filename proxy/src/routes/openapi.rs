//! `GET /api/openapi.json`: the API described from the code (utoipa). Each handler documents
//! its own answers; [`CommonAnswers`] adds the ones that every route of a kind can give, because
//! the extractors and layers give them (a bad token, a rate limit, a path that does not read, a
//! body too large, the request timeout), so no route can forget one.

use axum::Json;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder, Type};
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
                    .bearer_format(
                        "JWT (HS256, signed by SRM; aud = this proxy's public URL, iat, exp; scope xero:post, xero:admin)",
                    )
                    .build(),
            ),
        );
    }
}

/// The answers every `/api` operation of a kind can give, added where the handler did not
/// describe them itself.
struct CommonAnswers;

/// An `ApiError` answer, with `Retry-After` when it says to wait.
fn api_error(description: &str, retry_after: bool) -> utoipa::openapi::Response {
    let mut response = ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("ApiError")))
            .build(),
    );
    if retry_after {
        response = response.header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(utoipa::openapi::ObjectBuilder::new().schema_type(Type::Integer))
                .description(Some("Seconds to wait before trying again"))
                .build(),
        );
    }
    response.build()
}

fn add_common(path: &str, operation: &mut Operation) {
    let guarded = operation.security.as_ref().is_some_and(|s| !s.is_empty());
    let parameters = operation.parameters.as_ref().is_some_and(|p| !p.is_empty());
    let body = operation.request_body.is_some();
    let mut answers: Vec<(&str, &str, bool)> = Vec::new();
    if guarded {
        answers.extend([
            ("401", "ApiError: no valid caller token (missing, malformed, expired, mis-signed, for another proxy, or living too long)", false),
            ("403", "ApiError: the caller token lacks the scope this needs", false),
            ("429", "ApiError: too many requests from this caller (SRM_XERO_RATE_LIMIT)", true),
        ]);
    }
    if parameters {
        answers.push((
            "400",
            "ApiError: a path or query parameter does not read",
            false,
        ));
    }
    if body {
        answers.extend([
            (
                "400",
                "ApiError: the body is not well-formed JSON, or not sent as application/json",
                false,
            ),
            (
                "413",
                "ApiError: the body is larger than SRM_XERO_BODY_LIMIT",
                false,
            ),
            (
                "422",
                "ApiError: the JSON does not fit the request's schema",
                false,
            ),
        ]);
    }
    if !path.ends_with("/events") {
        answers.push((
            "503",
            "ApiError: the request took longer than SRM_XERO_REQUEST_TIMEOUT",
            true,
        ));
    }
    answers.push((
        "500",
        "ApiError: an internal error (logged; the answer holds nothing more)",
        false,
    ));
    for (status, description, retry_after) in answers {
        operation
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| api_error(description, retry_after).into());
    }
}

impl Modify for CommonAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in &mut openapi.paths.paths {
            if !path.starts_with("/api/") || path == "/api/openapi.json" {
                continue;
            }
            for operation in [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
            ]
            .into_iter()
            .flatten()
            {
                add_common(path, operation);
            }
        }
    }
}

/// The document.
#[derive(OpenApi)]
#[openapi(
    info(title = "srm-xero proxy", description = "The per-tenant proxy between SRM's Post Xero Journals component and Xero. Every /api route but the event stream needs SRM's caller token as a Bearer token (the event stream takes a single-use ticket from POST /api/stream-tickets instead); every error of /api is an ApiError {error, message, journals}; a 429 or 503 says how long to wait in Retry-After."),
    paths(
        super::health::health,
        super::connection::status,
        super::connection::start,
        super::connection::choose,
        super::connection::disconnect,
        super::callback::start,
        super::callback::callback,
        super::reference::read,
        super::reference::refresh,
        super::mapping::read,
        super::mapping::change,
        super::mapping::history,
        super::exports::exported,
        super::exports::list,
        super::drafts::create,
        super::drafts::add,
        super::drafts::accept,
        super::drafts::discard,
        super::exports::detail,
        super::exports::journal,
        super::exports::progress,
        super::tickets::create,
        super::exports::events,
        super::exports::retry,
        super::exports::void,
        super::exports::resolve,
        super::exports::repost,
        super::reconciliation::reconciliation,
        super::schedule::status,
        super::schedule::run,
        document,
    ),
    modifiers(&CallerToken, &CommonAnswers)
)]
pub struct ApiDoc;

/// The OpenAPI document (no token needed).
#[utoipa::path(get, path = "/api/openapi.json", tag = "meta",
    responses((status = 200, description = "This document", body = serde_json::Value)))]
pub async fn document() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
