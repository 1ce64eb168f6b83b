//! SRM's G/L feed on loopback, as the proxy reads it for the unattended close: DESIGN.md's pages
//! (`from`, `to`, `cursor`, `next_cursor`), a bearer token it checks, a page size small enough to
//! page, and a switch that holds requests until released.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::NaiveDate;
use serde_json::json;
use srm_xero_shared::Posting;
use tokio::sync::watch;

/// The token the feed accepts.
pub const FEED_TOKEN: &str = "srm-feed-token-secret";
/// Postings per page.
pub const PAGE: usize = 10;

#[derive(Debug, Default)]
struct Inner {
    postings: Vec<Posting>,
    holding: bool,
    /// Requests received (held ones included).
    requests: usize,
    /// Each request's (from, to).
    asked: Vec<(String, String)>,
}

/// A running feed.
#[derive(Clone)]
pub struct SrmFeed {
    inner: Arc<Mutex<Inner>>,
    changes: watch::Sender<u64>,
    pub url: String,
}

fn day(q: &HashMap<String, String>, name: &str) -> Option<NaiveDate> {
    q.get(name)
        .and_then(|t| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok())
}

async fn serve(
    State(feed): State<SrmFeed>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    {
        let mut inner = feed.inner.lock().unwrap();
        inner.requests += 1;
        inner.asked.push((
            q.get("from").cloned().unwrap_or_default(),
            q.get("to").cloned().unwrap_or_default(),
        ));
    }
    feed.changes.send_modify(|n| *n += 1);
    let mut changes = feed.changes.subscribe();
    while feed.inner.lock().unwrap().holding {
        if changes.changed().await.is_err() {
            break;
        }
    }
    let authorised = headers.get("authorization").and_then(|v| v.to_str().ok())
        == Some(&format!("Bearer {FEED_TOKEN}"));
    if !authorised {
        return (StatusCode::UNAUTHORIZED, "token").into_response();
    }
    let (Some(from), Some(to)) = (day(&q, "from"), day(&q, "to")) else {
        return (StatusCode::BAD_REQUEST, "from and to").into_response();
    };
    let offset: usize = q.get("cursor").and_then(|c| c.parse().ok()).unwrap_or(0);
    let all: Vec<Posting> = feed
        .inner
        .lock()
        .unwrap()
        .postings
        .iter()
        .filter(|p| p.date >= from && p.date <= to)
        .cloned()
        .collect();
    let end = (offset + PAGE).min(all.len());
    Json(json!({
        "company": "Acme Equipment Rentals",
        "currency": "CAD",
        "postings": all.get(offset..end).unwrap_or_default(),
        "next_cursor": (end < all.len()).then(|| end.to_string()),
    }))
    .into_response()
}

impl SrmFeed {
    /// Serves `postings`; its URL carries a query of its own, as SRM's may.
    pub async fn start(postings: Vec<Posting>) -> SrmFeed {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let feed = SrmFeed {
            inner: Arc::new(Mutex::new(Inner {
                postings,
                ..Inner::default()
            })),
            changes: watch::channel(0).0,
            url: format!(
                "http://{}/srm/api/gl-postings?tenant=acme",
                listener.local_addr().unwrap()
            ),
        };
        let app = axum::Router::new()
            .route("/srm/api/gl-postings", get(serve))
            .with_state(feed.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        feed
    }

    /// Adds postings (SRM's day goes on).
    pub fn add(&self, postings: Vec<Posting>) {
        self.inner.lock().unwrap().postings.extend(postings);
    }

    /// Holds every request until [`SrmFeed::release`].
    pub fn hold(&self) {
        self.inner.lock().unwrap().holding = true;
    }

    /// Lets held requests go on.
    pub fn release(&self) {
        self.inner.lock().unwrap().holding = false;
        self.changes.send_modify(|n| *n += 1);
    }

    /// Requests received so far.
    pub fn requests(&self) -> usize {
        self.inner.lock().unwrap().requests
    }

    /// Each request's `from` and `to`.
    pub fn asked(&self) -> Vec<(String, String)> {
        self.inner.lock().unwrap().asked.clone()
    }

    /// Waits until at least `n` requests arrived.
    pub async fn wait_for_requests(&self, n: usize) {
        let mut changes = self.changes.subscribe();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while self.requests() < n {
            assert!(
                std::time::Instant::now() < deadline,
                "the feed was never asked"
            );
            let _ = tokio::time::timeout(std::time::Duration::from_millis(100), changes.changed())
                .await;
        }
    }
}
