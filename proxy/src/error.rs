//! One error type for every answer that is not a success, rendered as [`ApiError`] JSON, and the
//! extractors that answer bad requests in the same format: [`ApiJson`] (400 malformed, 422
//! invalid, 413 too large), [`ApiPath`] and [`ApiQuery`] (400 naming the parameter).

use std::time::Duration;

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use srm_xero_shared::api::{ApiError, JournalProblems};

use crate::xero::XeroError;

/// Why a request failed. Messages are for people and never hold a secret.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No valid caller token.
    #[error("{0}")]
    Unauthorized(String),
    /// A valid token without the scope the call needs.
    #[error("{0}")]
    Forbidden(String),
    /// A request that cannot be read.
    #[error("{0}")]
    BadRequest(String),
    /// A request that reads but cannot be accepted.
    #[error("{0}")]
    Invalid(String),
    /// Journals that cannot be accepted, each with its problems (a 422).
    #[error("{message}")]
    InvalidJournals {
        /// A sentence naming what is wrong.
        message: String,
        /// Per journal.
        journals: Vec<JournalProblems>,
    },
    /// Nothing there.
    #[error("{0}")]
    NotFound(String),
    /// The state does not allow it now (a stale version, a posting already exported, …).
    #[error("{0}")]
    Conflict(String),
    /// No Xero organisation is connected (a 409 with its own code, so the page can say so).
    #[error("{0}")]
    NotConnected(String),
    /// Xero refused the stored tokens: an admin must connect again (a 409 with its own code).
    #[error("{0}")]
    ReconnectNeeded(String),
    /// The body is larger than the limit.
    #[error("the request body is larger than this proxy accepts")]
    PayloadTooLarge,
    /// No such method on this route.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// Too many requests (per caller), or too many streams: a 429 with `Retry-After`.
    #[error("{message}")]
    TooManyRequests {
        /// Which limit, and when to try again.
        message: String,
        /// How long to wait (whole seconds).
        retry_after: Duration,
    },
    /// The request took longer than the request timeout (a 503 with `Retry-After`).
    #[error("the request took longer than {} s and was stopped; try again", .0.as_secs())]
    TimedOut(Duration),
    /// Xero could not be reached or refused in a way the caller cannot fix.
    #[error("{0}")]
    XeroUnavailable(String),
    /// Our fault; the cause is logged, the caller learns nothing more.
    #[error("internal error")]
    Internal(String),
}

impl AppError {
    /// An internal error whose cause is logged (and kept out of the answer).
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        AppError::Internal(cause.to_string())
    }

    fn parts(&self) -> (StatusCode, &'static str) {
        match self {
            AppError::Unauthorized(_) => (StatusCode::UNAUTHORIZED, "unauthorized"),
            AppError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            AppError::BadRequest(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            AppError::Invalid(_) | AppError::InvalidJournals { .. } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid")
            }
            AppError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            AppError::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            AppError::NotConnected(_) => (StatusCode::CONFLICT, "not_connected"),
            AppError::ReconnectNeeded(_) => (StatusCode::CONFLICT, "reconnect_needed"),
            AppError::PayloadTooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
            AppError::MethodNotAllowed(_) => (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed"),
            AppError::TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            AppError::TimedOut(_) => (StatusCode::SERVICE_UNAVAILABLE, "timeout"),
            AppError::XeroUnavailable(_) => (StatusCode::BAD_GATEWAY, "xero_unavailable"),
            AppError::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code) = self.parts();
        if let AppError::Internal(cause) = &self {
            tracing::error!(%cause, "internal error");
        }
        let message = self.to_string();
        let retry_after = match &self {
            AppError::TooManyRequests { retry_after, .. } => Some(*retry_after),
            AppError::TimedOut(_) => Some(Duration::from_secs(1)),
            _ => None,
        };
        let journals = match self {
            AppError::InvalidJournals { journals, .. } => journals,
            _ => Vec::new(),
        };
        let body = ApiError {
            error: code.to_owned(),
            message,
            journals,
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(wait) = retry_after {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(crate::limits::whole_seconds(wait).as_secs()),
            );
        }
        response
    }
}

impl From<rusqlite::Error> for AppError {
    fn from(e: rusqlite::Error) -> Self {
        AppError::internal(format!("database: {e}"))
    }
}

impl From<XeroError> for AppError {
    fn from(e: XeroError) -> Self {
        match e {
            XeroError::ReconnectNeeded => AppError::ReconnectNeeded(
                "Xero refused the connection's tokens: an admin must connect to Xero again".into(),
            ),
            XeroError::NotConnected => {
                AppError::NotConnected("not connected to Xero: an admin must connect first".into())
            }
            other => AppError::XeroUnavailable(format!("Xero: {other}")),
        }
    }
}

/// `Json<T>` whose rejections are [`AppError`]s.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(from_rejection(&rejection)),
        }
    }
}

fn from_rejection(rejection: &JsonRejection) -> AppError {
    match rejection {
        JsonRejection::JsonDataError(e) => AppError::Invalid(format!(
            "the JSON does not fit: {}",
            std::error::Error::source(e).map_or_else(|| e.body_text(), ToString::to_string)
        )),
        JsonRejection::JsonSyntaxError(_) => {
            AppError::BadRequest("the body is not well-formed JSON".into())
        }
        JsonRejection::MissingJsonContentType(_) => {
            AppError::BadRequest("send the body as JSON with Content-Type: application/json".into())
        }
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => AppError::PayloadTooLarge,
        other => AppError::BadRequest(format!("the body cannot be read: {}", other.body_text())),
    }
}

/// `Path<T>` whose rejections are [`AppError`]s: a 400 naming the parameter.
#[derive(Debug, Clone, Copy)]
pub struct ApiPath<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiPath<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Path::<T>::from_request_parts(parts, state).await {
            Ok(Path(value)) => Ok(ApiPath(value)),
            Err(PathRejection::FailedToDeserializePathParams(e)) => Err(AppError::BadRequest(
                format!("the path does not fit: {}", e.body_text()),
            )),
            Err(other) => Err(AppError::BadRequest(other.body_text())),
        }
    }
}

/// `Query<T>` whose rejections are [`AppError`]s: a 400 naming the parameter.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match Query::<T>::from_request_parts(parts, state).await {
            Ok(Query(value)) => Ok(ApiQuery(value)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => {
                Err(AppError::BadRequest(format!(
                    "the query does not fit: {}",
                    std::error::Error::source(&e)
                        .map_or_else(|| e.body_text(), ToString::to_string)
                )))
            }
            Err(other) => Err(AppError::BadRequest(other.body_text())),
        }
    }
}

impl<T: serde::Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        Json(self.0).into_response()
    }
}
