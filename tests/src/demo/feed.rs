//! The demo SRM G/L feed: `GET /srm/api/gl-postings?from=YYYY-MM-DD[&to=…][&cursor=…]`, answering
//! DESIGN.md's JSON (`company`, `currency`, `postings`, `next_cursor`) in pages.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::NaiveDate;
use serde::Serialize;

use super::gl::{GlConfig, Posting, generate};

/// Postings per page.
pub const PAGE_SIZE: usize = 500;

/// One page of the feed.
#[derive(Debug, Clone, Serialize)]
pub struct FeedPage {
    pub company: String,
    pub currency: String,
    pub postings: Vec<Posting>,
    pub next_cursor: Option<String>,
}

/// Cursors are opaque to clients; inside they are the offset of the next posting, tagged with the
/// query's bounds so a cursor from another query is refused.
fn cursor(offset: usize, from: NaiveDate, to: Option<NaiveDate>) -> String {
    let to = to.map_or_else(String::new, |t| t.format("%Y%m%d").to_string());
    format!("c{offset:x}.{}.{to}", from.format("%Y%m%d"))
}

fn read_cursor(text: &str, from: NaiveDate, to: Option<NaiveDate>) -> Option<usize> {
    let offset = text.strip_prefix('c')?.split('.').next()?;
    let offset = usize::from_str_radix(offset, 16).ok()?;
    (cursor(offset, from, to) == text).then_some(offset)
}

/// One page of `config`'s postings dated `from..=to`, starting at `cursor`.
pub fn page(
    config: &GlConfig,
    from: NaiveDate,
    to: Option<NaiveDate>,
    after: Option<&str>,
    page_size: usize,
) -> Result<FeedPage, String> {
    let offset = match after {
        None => 0,
        Some(c) => read_cursor(c, from, to)
            .ok_or_else(|| format!("cursor '{c}' is not valid for this query"))?,
    };
    let all: Vec<Posting> = generate(config)
        .into_iter()
        .filter(|p| p.date >= from && to.is_none_or(|t| p.date <= t))
        .collect();
    let end = (offset + page_size.max(1)).min(all.len());
    let postings = all
        .get(offset..end)
        .map(<[Posting]>::to_vec)
        .unwrap_or_default();
    Ok(FeedPage {
        company: config.company.clone(),
        currency: config.currency.clone(),
        postings,
        next_cursor: (end < all.len()).then(|| cursor(end, from, to)),
    })
}

fn bad_request(message: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(serde_json::json!({ "error": message })),
    )
        .into_response()
}

async fn serve(
    State(config): State<GlConfig>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let date = |name: &str| {
        q.get(name)
            .map(|t| {
                NaiveDate::parse_from_str(t, "%Y-%m-%d")
                    .map_err(|_| format!("{name} must be YYYY-MM-DD"))
            })
            .transpose()
    };
    let (from, to) = match (date("from"), date("to")) {
        (Ok(Some(from)), Ok(to)) => (from, to),
        (Ok(None), _) => return bad_request("from is required (YYYY-MM-DD)"),
        (Err(e), _) | (_, Err(e)) => return bad_request(&e),
    };
    match page(
        &config,
        from,
        to,
        q.get("cursor").map(String::as_str),
        PAGE_SIZE,
    ) {
        Ok(p) => axum::Json(p).into_response(),
        Err(e) => bad_request(&e),
    }
}

/// A router serving the feed at `/srm/api/gl-postings`.
pub fn router(config: GlConfig) -> Router {
    Router::new()
        .route("/srm/api/gl-postings", get(serve))
        .with_state(config)
}
