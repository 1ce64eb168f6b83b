//! The component's I/O: one function per proxy endpoint, and the SRM G/L feed.
//!
//! [`Backend`] is the seam: the effects call it, [`HttpBackend`] implements it with gloo-net (the
//! caller token as a Bearer token; the feed with the user's SRM cookies) and serde through the
//! shared API types, and the browser tests implement it with fixtures. Every failure is a
//! [`Failure`] whose message says what happened and what to do.

mod failure;
mod feed;

use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use chrono::NaiveDate;
use futures::FutureExt;
use gloo_net::http::{Request, RequestBuilder};
use serde::Serialize;
use serde::de::DeserializeOwned;
use srm_xero_shared::JournalKey;
use srm_xero_shared::api::{
    ChooseOrganisation, ConnectStart, ConnectionStatus, DraftAccept, DraftCreated, DraftPiece,
    DraftReceived, ExportCreated, ExportDetail, ExportSearch, ExportSummary, ExportedLookup,
    ExportedPostings, JournalDetail, MappingChange, MappingDocument, MappingHistoryEntry, NewDraft,
    Progress, Reconciliation, ReconciliationQuery, ReferenceSnapshot, ResolveRequest, RetryRequest,
    StreamTicket, VoidRequest,
};

pub use failure::{
    Failure, FailureKind, feed_invalid, feed_refused, feed_unreachable, file_invalid,
    file_unreadable, within_limit,
};
pub use feed::{FeedRead, OnPage, feed_page_url};

use crate::format::query_value;

/// What a call returns.
pub type Fut<T> = Pin<Box<dyn Future<Output = Result<T, Failure>>>>;

fn unavailable<T: 'static>() -> Fut<T> {
    Box::pin(async { Err(Failure::unavailable()) })
}

/// The proxy's API and the G/L feed. Every method has a default that fails, so a test double
/// implements only what it needs.
pub trait Backend {
    /// `GET /api/connection`.
    fn connection(&self) -> Fut<ConnectionStatus> {
        unavailable()
    }
    /// `POST /api/connection/start`.
    fn connect_start(&self) -> Fut<ConnectStart> {
        unavailable()
    }
    /// `POST /api/connection/organisation`: the connection now.
    fn choose_organisation(&self, _choice: ChooseOrganisation) -> Fut<ConnectionStatus> {
        unavailable()
    }
    /// `DELETE /api/connection` (204, no body).
    fn disconnect(&self) -> Fut<()> {
        unavailable()
    }
    /// `GET /api/reference`.
    fn reference(&self) -> Fut<ReferenceSnapshot> {
        unavailable()
    }
    /// `POST /api/reference/refresh`.
    fn refresh_reference(&self) -> Fut<ReferenceSnapshot> {
        unavailable()
    }
    /// `GET /api/mapping`.
    fn mapping(&self) -> Fut<MappingDocument> {
        unavailable()
    }
    /// `PUT /api/mapping`: the saved document.
    fn save_mapping(&self, _change: MappingChange) -> Fut<MappingDocument> {
        unavailable()
    }
    /// `GET /api/mapping/history`: every saved version, newest first.
    fn mapping_history(&self) -> Fut<Vec<MappingHistoryEntry>> {
        unavailable()
    }
    /// `POST /api/exported` (at most `EXPORTED_LOOKUP_IDS` ids).
    fn exported(&self, _lookup: ExportedLookup) -> Fut<ExportedPostings> {
        unavailable()
    }
    /// `GET /api/exports?number=&date=&from=&to=`.
    fn exports(&self, _search: ExportSearch) -> Fut<Vec<ExportSummary>> {
        unavailable()
    }
    /// `POST /api/drafts`: Accept begins.
    fn new_draft(&self, _draft: NewDraft) -> Fut<DraftCreated> {
        unavailable()
    }
    /// `POST /api/drafts/{draft}/postings`: one piece of the postings.
    fn send_piece(&self, _draft: String, _piece: DraftPiece) -> Fut<DraftReceived> {
        unavailable()
    }
    /// `POST /api/drafts/{draft}/accept`: the export is made.
    fn accept_draft(&self, _draft: String, _accept: DraftAccept) -> Fut<ExportCreated> {
        unavailable()
    }
    /// `DELETE /api/drafts/{draft}` (204, no body).
    fn discard_draft(&self, _draft: String) -> Fut<()> {
        unavailable()
    }
    /// `GET /api/exports/{n}`.
    fn export(&self, _number: u64) -> Fut<ExportDetail> {
        unavailable()
    }
    /// `GET /api/exports/{n}/progress?since=S`.
    fn progress(&self, _number: u64, _since: Option<u64>) -> Fut<Progress> {
        unavailable()
    }
    /// `GET /api/exports/{n}/journals/{key}`.
    fn journal(&self, _number: u64, _key: JournalKey) -> Fut<JournalDetail> {
        unavailable()
    }
    /// `POST /api/exports/{n}/retry`: the export now.
    fn retry(&self, _number: u64, _request: RetryRequest) -> Fut<ExportDetail> {
        unavailable()
    }
    /// `POST /api/exports/{n}/journals/{key}/void`: the journal now.
    fn void(&self, _number: u64, _key: JournalKey, _request: VoidRequest) -> Fut<JournalDetail> {
        unavailable()
    }
    /// `POST /api/exports/{n}/journals/{key}/resolve`: the journal now.
    fn resolve(
        &self,
        _number: u64,
        _key: JournalKey,
        _request: ResolveRequest,
    ) -> Fut<JournalDetail> {
        unavailable()
    }
    /// `POST /api/exports/{n}/journals/{key}/repost`: the new export.
    fn repost(&self, _number: u64, _key: JournalKey) -> Fut<ExportCreated> {
        unavailable()
    }
    /// `GET /api/reconciliation?from=&to=`.
    fn reconciliation(&self, _query: ReconciliationQuery) -> Fut<Reconciliation> {
        unavailable()
    }
    /// The G/L feed from a date, every page.
    fn feed(&self, _from: NaiveDate, _on_page: OnPage) -> Fut<FeedRead> {
        unavailable()
    }
    /// `POST /api/stream-tickets`: a single-use ticket that opens one progress stream. The
    /// default answers as a proxy without that route does (404), and the page polls.
    fn stream_ticket(&self) -> Fut<StreamTicket> {
        Box::pin(async { Err(Failure::from_answer(404, "")) })
    }
    /// The server-sent events URL of an export's progress, opened with `ticket`, its first
    /// event carrying the changes since `since`; `None` to poll.
    fn events_url(&self, _number: u64, _ticket: &str, _since: Option<u64>) -> Option<String> {
        None
    }
    /// The proxy's origin, for checking the OAuth popup's message.
    fn proxy_origin(&self) -> Option<String> {
        None
    }
}

/// A shared backend, comparable by identity so it can be a prop.
#[derive(Clone)]
pub struct BackendRef(pub Rc<dyn Backend>);

impl PartialEq for BackendRef {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl std::fmt::Debug for BackendRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BackendRef")
    }
}

/// The real backend: the proxy over HTTP, and SRM's feed with the user's cookies.
#[derive(Debug, Clone)]
pub struct HttpBackend {
    inner: Rc<Endpoints>,
}

#[derive(Debug)]
struct Endpoints {
    proxy: String,
    feed: String,
    token: String,
}

impl HttpBackend {
    /// A backend for a proxy base URL (empty: this page's origin), a feed URL and a caller token.
    pub fn new(proxy: &str, feed: &str, token: &str) -> HttpBackend {
        HttpBackend {
            inner: Rc::new(Endpoints {
                proxy: proxy.trim_end_matches('/').to_owned(),
                feed: feed.to_owned(),
                token: token.trim().to_owned(),
            }),
        }
    }

    /// A request to the proxy, with the caller token.
    fn request(&self, make: fn(&str) -> RequestBuilder, path: &str) -> RequestBuilder {
        make(&format!("{}{path}", self.inner.proxy))
            .header("Accept", "application/json")
            .header("Authorization", &format!("Bearer {}", self.inner.token))
    }

    /// Sends `request` and reads the answer as `T`. Only the reading is generic: the sending is
    /// one function for every endpoint, and a `map` (not an async block per answer type) joins
    /// the two, so each answer type adds its reader and little else.
    fn call<T: DeserializeOwned + 'static>(
        &self,
        request: Result<Request, gloo_net::Error>,
    ) -> Fut<T> {
        Box::pin(
            answer_text(request, self.inner.proxy.clone())
                .map(|text| text.and_then(|text| read_answer(&text))),
        )
    }

    fn get<T: DeserializeOwned + 'static>(&self, path: &str) -> Fut<T> {
        self.call(self.request(Request::get, path).build())
    }

    fn post<T: DeserializeOwned + 'static>(&self, path: &str) -> Fut<T> {
        self.call(self.request(Request::post, path).build())
    }

    fn send<T: DeserializeOwned + 'static, B: Serialize>(
        &self,
        make: fn(&str) -> RequestBuilder,
        path: &str,
        body: &B,
    ) -> Fut<T> {
        self.call(self.request(make, path).json(body))
    }
}

/// An answer's text as `T`. A success without a body (a 204) reads as `null`, which is what `()`
/// expects.
fn read_answer<T: DeserializeOwned>(text: &str) -> Result<T, Failure> {
    let text = if text.trim().is_empty() { "null" } else { text };
    serde_json::from_str(text).map_err(|e| Failure::unreadable(&e))
}

fn draft_path(draft: &str) -> String {
    format!("/api/drafts/{}", query_value(draft))
}

/// `?since=S`, or nothing.
fn since_query(since: Option<u64>) -> String {
    since.map_or_else(String::new, |s| format!("?since={s}"))
}

/// Sends `request` to the proxy: the answer's text when it succeeded, else what went wrong.
fn answer_text(request: Result<Request, gloo_net::Error>, proxy: String) -> Fut<String> {
    Box::pin(async move {
        let request = request.map_err(|e| {
            Failure::new(
                FailureKind::Other,
                format!("Could not build the request: {e}"),
            )
        })?;
        let answer = request
            .send()
            .await
            .map_err(|_| Failure::proxy_down(&proxy))?;
        let text = answer
            .text()
            .await
            .map_err(|_| Failure::proxy_down(&proxy))?;
        if !answer.ok() {
            return Err(Failure::from_answer(answer.status(), &text));
        }
        Ok(text)
    })
}

fn key_path(number: u64, key: &JournalKey) -> String {
    format!(
        "/api/exports/{number}/journals/{}",
        query_value(key.as_str())
    )
}

impl Backend for HttpBackend {
    fn connection(&self) -> Fut<ConnectionStatus> {
        self.get("/api/connection")
    }
    fn connect_start(&self) -> Fut<ConnectStart> {
        self.post("/api/connection/start")
    }
    fn choose_organisation(&self, choice: ChooseOrganisation) -> Fut<ConnectionStatus> {
        self.send(Request::post, "/api/connection/organisation", &choice)
    }
    fn disconnect(&self) -> Fut<()> {
        self.call(self.request(Request::delete, "/api/connection").build())
    }
    fn reference(&self) -> Fut<ReferenceSnapshot> {
        self.get("/api/reference")
    }
    fn refresh_reference(&self) -> Fut<ReferenceSnapshot> {
        self.post("/api/reference/refresh")
    }
    fn mapping(&self) -> Fut<MappingDocument> {
        self.get("/api/mapping")
    }
    fn save_mapping(&self, change: MappingChange) -> Fut<MappingDocument> {
        self.send(Request::put, "/api/mapping", &change)
    }
    fn mapping_history(&self) -> Fut<Vec<MappingHistoryEntry>> {
        self.get("/api/mapping/history")
    }
    fn exported(&self, lookup: ExportedLookup) -> Fut<ExportedPostings> {
        self.send(Request::post, "/api/exported", &lookup)
    }
    fn exports(&self, search: ExportSearch) -> Fut<Vec<ExportSummary>> {
        self.get(&format!("/api/exports{}", search.query()))
    }
    fn new_draft(&self, draft: NewDraft) -> Fut<DraftCreated> {
        self.send(Request::post, "/api/drafts", &draft)
    }
    fn send_piece(&self, draft: String, piece: DraftPiece) -> Fut<DraftReceived> {
        let path = format!("{}/postings", draft_path(&draft));
        self.send(Request::post, &path, &piece)
    }
    fn accept_draft(&self, draft: String, accept: DraftAccept) -> Fut<ExportCreated> {
        let path = format!("{}/accept", draft_path(&draft));
        self.send(Request::post, &path, &accept)
    }
    fn discard_draft(&self, draft: String) -> Fut<()> {
        self.call(self.request(Request::delete, &draft_path(&draft)).build())
    }
    fn export(&self, number: u64) -> Fut<ExportDetail> {
        self.get(&format!("/api/exports/{number}"))
    }
    fn progress(&self, number: u64, since: Option<u64>) -> Fut<Progress> {
        self.get(&format!(
            "/api/exports/{number}/progress{}",
            since_query(since)
        ))
    }
    fn journal(&self, number: u64, key: JournalKey) -> Fut<JournalDetail> {
        self.get(&key_path(number, &key))
    }
    fn retry(&self, number: u64, request: RetryRequest) -> Fut<ExportDetail> {
        let path = format!("/api/exports/{number}/retry");
        self.send(Request::post, &path, &request)
    }
    fn void(&self, number: u64, key: JournalKey, request: VoidRequest) -> Fut<JournalDetail> {
        let path = format!("{}/void", key_path(number, &key));
        self.send(Request::post, &path, &request)
    }
    fn resolve(&self, number: u64, key: JournalKey, request: ResolveRequest) -> Fut<JournalDetail> {
        let path = format!("{}/resolve", key_path(number, &key));
        self.send(Request::post, &path, &request)
    }
    fn repost(&self, number: u64, key: JournalKey) -> Fut<ExportCreated> {
        self.post(&format!("{}/repost", key_path(number, &key)))
    }
    fn reconciliation(&self, query: ReconciliationQuery) -> Fut<Reconciliation> {
        self.get(&format!("/api/reconciliation{}", query.query()))
    }
    fn feed(&self, from: NaiveDate, on_page: OnPage) -> Fut<FeedRead> {
        let inner = Rc::clone(&self.inner);
        Box::pin(async move { feed::read_feed(&inner.feed, from, &on_page).await })
    }
    fn stream_ticket(&self) -> Fut<StreamTicket> {
        self.post("/api/stream-tickets")
    }
    fn events_url(&self, number: u64, ticket: &str, since: Option<u64>) -> Option<String> {
        // EventSource cannot send headers: a single-use ticket opens the stream instead of the
        // caller token, which would be kept in access logs.
        let since = since.map_or_else(String::new, |s| format!("&since={s}"));
        Some(format!(
            "{}/api/exports/{number}/events?ticket={}{since}",
            self.inner.proxy,
            query_value(ticket)
        ))
    }
    fn proxy_origin(&self) -> Option<String> {
        let url = web_sys::Url::new(&self.inner.proxy).ok()?;
        Some(url.origin())
    }
}
