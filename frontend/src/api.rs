//! The component's I/O: one function per proxy endpoint, and the SRM G/L feed.
//!
//! [`Backend`] is the seam: the app calls it, [`HttpBackend`] implements it with the browser's `fetch` (the
//! caller token as a Bearer token; the feed with the user's SRM cookies), and the browser tests
//! implement it with fixtures. Every failure is a [`Failure`] whose message says what happened and
//! what to do.

use std::fmt::Write as _;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use chrono::NaiveDate;
use srm_xero_shared::api::{
    ChooseOrganisation, ConnectStart, ConnectionStatus, ExportCreated, ExportDetail, ExportSearch,
    ExportSummary, ExportedLookup, ExportedPostings, JournalDetail, MappingChange, MappingDocument,
    MappingHistoryEntry, NewExport, Progress, ReferenceSnapshot, ResolveRequest, RetryRequest,
    VoidRequest,
};
use srm_xero_shared::feed::{FeedCollector, parse_page};
use srm_xero_shared::json::{self, Json, JsonError, Read, Write};
use srm_xero_shared::{JournalKey, Posting};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::RequestCredentials;

use crate::format::query_value;

/// What kind of failure, for code that reacts to it (the words are in [`Failure::message`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The caller token is missing, expired or refused (401).
    TokenExpired,
    /// The token lacks the scope (403).
    Forbidden,
    /// The proxy cannot be reached.
    ProxyDown,
    /// Xero is disconnected, needs reconnecting, or is unavailable.
    Xero,
    /// A stale change (409).
    Conflict,
    /// The proxy refused the request as invalid (400/422).
    Refused,
    /// Not found (404).
    NotFound,
    /// SRM's feed cannot be reached.
    FeedUnreachable,
    /// SRM's session expired (401/403 from the feed).
    SrmSession,
    /// The feed or a file did not parse.
    FeedInvalid,
    /// Anything else.
    Other,
}

/// A failed call: its kind and a message for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The kind.
    pub kind: FailureKind,
    /// What happened and what to do.
    pub message: String,
}

impl Failure {
    fn new(kind: FailureKind, message: impl Into<String>) -> Failure {
        Failure {
            kind,
            message: message.into(),
        }
    }

    /// The failure of a backend that does not offer a call (tests).
    pub fn unavailable() -> Failure {
        Failure::new(FailureKind::Other, "This is not available here.")
    }

    /// Classifies a proxy answer that is not a success.
    pub fn from_answer(status: u16, body: &str) -> Failure {
        let error: Option<crate::lean::ApiError> = json::from_str(body).ok();
        let (code, said) = error.as_ref().map_or(("", ""), |e| {
            (e.error.as_str(), e.message.trim_end_matches('.'))
        });
        let said = if said.is_empty() {
            format!("status {status}")
        } else {
            said.to_owned()
        };
        match (status, code) {
            (401, _) | (_, "unauthorized") => Failure::new(
                FailureKind::TokenExpired,
                "Your session token expired — ask SRM for a new one (reload the Daily Close page), then try again.",
            ),
            (403, _) | (_, "forbidden") => Failure::new(
                FailureKind::Forbidden,
                format!(
                    "You are not allowed to do this ({said}). Ask an SRM administrator for the Xero admin permission."
                ),
            ),
            (_, "xero_unavailable") | (502..=504, _) => Failure::new(
                FailureKind::Xero,
                format!(
                    "Xero cannot be used right now: {said}. If Xero is disconnected, an admin can reconnect it above; otherwise try again in a few minutes."
                ),
            ),
            // A 409 is a stale change or a state that forbids it; "not connected" and "reconnect
            // needed" are 409s too and must not read as someone else's change.
            (409, _) | (_, "conflict" | "not_connected" | "reconnect_needed")
                if matches!(code, "not_connected" | "reconnect_needed")
                    || said.to_lowercase().contains("connect") =>
            {
                Failure::new(
                    FailureKind::Xero,
                    format!(
                        "Xero is not connected — the proxy says: {said}. An admin can connect Xero in the connection panel above; then try again."
                    ),
                )
            }
            (409, _) | (_, "conflict") => Failure::new(FailureKind::Conflict, format!("{said}.")),
            (404, _) | (_, "not_found") => Failure::new(
                FailureKind::NotFound,
                format!("{said}. Check the number and try again."),
            ),
            (400 | 413 | 422, _) => {
                let mut text = format!("The proxy refused this: {said}.");
                for (key, n) in error.iter().flat_map(|e| &e.journals) {
                    let n = *n;
                    let _ = write!(
                        text,
                        " Journal {key} has {n} problem{} now: press Preview again to see {} with {} fix.",
                        if n == 1 { "" } else { "s" },
                        if n == 1 { "it" } else { "them" },
                        if n == 1 { "its" } else { "their" },
                    );
                }
                Failure::new(FailureKind::Refused, text)
            }
            _ => Failure::new(
                FailureKind::Other,
                format!(
                    "The Xero proxy failed ({said}). Try again; if it keeps failing, tell your administrator."
                ),
            ),
        }
    }

    /// The proxy cannot be reached (no answer at all).
    pub fn proxy_down(proxy: &str) -> Failure {
        let at = if proxy.is_empty() {
            String::new()
        } else {
            format!(" at {proxy}")
        };
        Failure::new(
            FailureKind::ProxyDown,
            format!(
                "The Xero proxy cannot be reached{at}. Check your network and try again; if it persists, ask your administrator whether the proxy is running."
            ),
        )
    }
}

/// What a call returns.
pub type Fut<T> = Pin<Box<dyn Future<Output = Result<T, Failure>>>>;

fn unavailable<T: 'static>() -> Fut<T> {
    Box::pin(async { Err(Failure::unavailable()) })
}

/// The G/L feed as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedRead {
    /// All pages' postings.
    pub postings: Vec<Posting>,
    /// The company.
    pub company: Option<String>,
    /// The currency.
    pub currency: Option<String>,
}

/// Called after each feed page with (pages read, postings read).
pub type OnPage = Box<dyn Fn(usize, usize)>;

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
    /// `POST /api/connection/organisation`.
    fn choose_organisation(&self, _choice: ChooseOrganisation) -> Fut<()> {
        unavailable()
    }
    /// `DELETE /api/connection`.
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
    /// `POST /api/exported`.
    fn exported(&self, _lookup: ExportedLookup) -> Fut<ExportedPostings> {
        unavailable()
    }
    /// `GET /api/exports?number=&date=&from=&to=`.
    fn exports(&self, _search: ExportSearch) -> Fut<Vec<ExportSummary>> {
        unavailable()
    }
    /// `POST /api/exports`.
    fn create_export(&self, _export: NewExport) -> Fut<ExportCreated> {
        unavailable()
    }
    /// `GET /api/exports/{n}`.
    fn export(&self, _number: u64) -> Fut<ExportDetail> {
        unavailable()
    }
    /// `GET /api/exports/{n}/progress`.
    fn progress(&self, _number: u64) -> Fut<Progress> {
        unavailable()
    }
    /// `GET /api/exports/{n}/journals/{key}`.
    fn journal(&self, _number: u64, _key: JournalKey) -> Fut<JournalDetail> {
        unavailable()
    }
    /// `POST /api/exports/{n}/retry`.
    fn retry(&self, _number: u64, _request: RetryRequest) -> Fut<()> {
        unavailable()
    }
    /// `POST /api/exports/{n}/journals/{key}/void`.
    fn void(&self, _number: u64, _key: JournalKey, _request: VoidRequest) -> Fut<()> {
        unavailable()
    }
    /// `POST /api/exports/{n}/journals/{key}/resolve`.
    fn resolve(&self, _number: u64, _key: JournalKey, _request: ResolveRequest) -> Fut<()> {
        unavailable()
    }
    /// The G/L feed from a date, every page.
    fn feed(&self, _from: NaiveDate, _on_page: OnPage) -> Fut<FeedRead> {
        unavailable()
    }
    /// The server-sent events URL of an export's progress, or `None` to poll.
    fn events_url(&self, _number: u64) -> Option<String> {
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

    /// Sends a request and answers the body as JSON (one copy of this code for every endpoint).
    fn answer(&self, method: &'static str, path: &str, body: Option<String>) -> Fut<Json> {
        let inner = Rc::clone(&self.inner);
        let url = format!("{}{path}", inner.proxy);
        Box::pin(async move {
            let bearer = format!("Bearer {}", inner.token);
            let headers = [("Authorization", bearer.as_str())];
            let (status, text) = match fetch(method, &url, &headers, body, false).await {
                Ok(answer) => answer,
                Err(Fetch::Build(e)) => {
                    return Err(Failure::new(
                        FailureKind::Other,
                        format!("Could not build the request: {e}"),
                    ));
                }
                Err(Fetch::Network) => return Err(Failure::proxy_down(&inner.proxy)),
            };
            if !(200..300).contains(&status) {
                return Err(Failure::from_answer(status, &text));
            }
            let text = if text.trim().is_empty() {
                "null"
            } else {
                &text
            };
            json::parse(text).map_err(unreadable)
        })
    }

    fn call<T: Read + 'static>(
        &self,
        method: &'static str,
        path: &str,
        body: Option<String>,
    ) -> Fut<T> {
        // Generic only in the last step: each answer type adds its `read` and little else.
        let answer = self.answer(method, path, body);
        Box::pin(async move { T::read(&answer.await?).map_err(unreadable) })
    }

    fn get<T: Read + 'static>(&self, path: &str) -> Fut<T> {
        self.call("GET", path, None)
    }

    fn send_json<T: Read + 'static, B: Write>(
        &self,
        method: &'static str,
        path: &str,
        body: &B,
    ) -> Fut<T> {
        self.call(method, path, Some(json::to_string(body)))
    }
}

/// An answer that is not what this page expects.
fn unreadable(e: JsonError) -> Failure {
    Failure::new(
        FailureKind::Other,
        format!(
            "The Xero proxy's answer could not be read ({e}). The proxy and this page may be different versions: reload the page."
        ),
    )
}

/// How an exchange failed.
enum Fetch {
    /// The browser refused to make the request (a malformed URL, say), in its words.
    Build(String),
    /// No answer: the network, CORS, or a server that is down.
    Network,
}

/// One exchange through the browser's `fetch` (one copy for the proxy and the feed): JSON is
/// accepted, `body` is sent as JSON, `cookies` sends the user's cookies cross-origin. Answers the
/// status and the body's text.
async fn fetch(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<String>,
    cookies: bool,
) -> Result<(u16, String), Fetch> {
    let refused = |e: JsValue| Fetch::Build(e.unchecked_into::<js_sys::Error>().to_string().into());
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    let head = web_sys::Headers::new().map_err(refused)?;
    for (name, value) in headers {
        head.set(name, value).map_err(refused)?;
    }
    head.set("Accept", "application/json").map_err(refused)?;
    if let Some(json) = &body {
        head.set("Content-Type", "application/json")
            .map_err(refused)?;
        init.set_body(&JsValue::from_str(json));
    }
    init.set_headers(&head);
    if cookies {
        init.set_credentials(RequestCredentials::Include);
    }
    let request = web_sys::Request::new_with_str_and_init(url, &init).map_err(refused)?;
    let window = web_sys::window().ok_or(Fetch::Network)?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_request(&request))
        .await
        .map_err(|_| Fetch::Network)?
        .unchecked_into();
    let text = JsFuture::from(response.text().map_err(|_| Fetch::Network)?)
        .await
        .map_err(|_| Fetch::Network)?;
    Ok((response.status(), text.as_string().unwrap_or_default()))
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
        self.call("POST", "/api/connection/start", None)
    }
    fn choose_organisation(&self, choice: ChooseOrganisation) -> Fut<()> {
        self.send_json("POST", "/api/connection/organisation", &choice)
    }
    fn disconnect(&self) -> Fut<()> {
        self.call("DELETE", "/api/connection", None)
    }
    fn reference(&self) -> Fut<ReferenceSnapshot> {
        let lean: Fut<crate::lean::Snapshot> = self.get("/api/reference");
        Box::pin(async move { lean.await.map(|s| s.0) })
    }
    fn refresh_reference(&self) -> Fut<ReferenceSnapshot> {
        let lean: Fut<crate::lean::Snapshot> = self.call("POST", "/api/reference/refresh", None);
        Box::pin(async move { lean.await.map(|s| s.0) })
    }
    fn mapping(&self) -> Fut<MappingDocument> {
        self.get("/api/mapping")
    }
    fn save_mapping(&self, change: MappingChange) -> Fut<MappingDocument> {
        self.send_json("PUT", "/api/mapping", &change)
    }
    fn mapping_history(&self) -> Fut<Vec<MappingHistoryEntry>> {
        self.get("/api/mapping/history")
    }
    fn exported(&self, lookup: ExportedLookup) -> Fut<ExportedPostings> {
        self.send_json("POST", "/api/exported", &lookup)
    }
    fn exports(&self, search: ExportSearch) -> Fut<Vec<ExportSummary>> {
        self.get(&format!("/api/exports{}", search.query()))
    }
    fn create_export(&self, export: NewExport) -> Fut<ExportCreated> {
        self.send_json("POST", "/api/exports", &export)
    }
    fn export(&self, number: u64) -> Fut<ExportDetail> {
        self.get(&format!("/api/exports/{number}"))
    }
    fn progress(&self, number: u64) -> Fut<Progress> {
        self.get(&format!("/api/exports/{number}/progress"))
    }
    fn journal(&self, number: u64, key: JournalKey) -> Fut<JournalDetail> {
        let lean: Fut<crate::lean::Detail> = self.get(&key_path(number, &key));
        Box::pin(async move { lean.await.map(|d| d.0) })
    }
    fn retry(&self, number: u64, request: RetryRequest) -> Fut<()> {
        self.send_json("POST", &format!("/api/exports/{number}/retry"), &request)
    }
    fn void(&self, number: u64, key: JournalKey, request: VoidRequest) -> Fut<()> {
        let path = format!("{}/void", key_path(number, &key));
        self.send_json("POST", &path, &request)
    }
    fn resolve(&self, number: u64, key: JournalKey, request: ResolveRequest) -> Fut<()> {
        let path = format!("{}/resolve", key_path(number, &key));
        self.send_json("POST", &path, &request)
    }
    fn feed(&self, from: NaiveDate, on_page: OnPage) -> Fut<FeedRead> {
        let feed = self.inner.feed.clone();
        Box::pin(async move { read_feed(&feed, from, &on_page).await })
    }
    fn events_url(&self, number: u64) -> Option<String> {
        // EventSource cannot send headers: the token travels as a query parameter.
        Some(format!(
            "{}/api/exports/{number}/events?token={}",
            self.inner.proxy,
            query_value(&self.inner.token)
        ))
    }
    fn proxy_origin(&self) -> Option<String> {
        let url = web_sys::Url::new(&self.inner.proxy).ok()?;
        Some(url.origin())
    }
}

/// The feed URL of one page.
pub fn feed_page_url(feed: &str, from: NaiveDate, cursor: Option<&str>) -> String {
    let join = if feed.contains('?') { '&' } else { '?' };
    let mut url = format!("{feed}{join}from={from}");
    if let Some(cursor) = cursor {
        url.push_str("&cursor=");
        url.push_str(&query_value(cursor));
    }
    url
}

async fn read_feed(feed: &str, from: NaiveDate, on_page: &OnPage) -> Result<FeedRead, Failure> {
    if feed.is_empty() {
        return Err(Failure::new(
            FailureKind::FeedUnreachable,
            "No G/L feed is configured (the element's gl-feed-url is empty). Drop SRM's G/L detail report (CSV) here instead, or ask SRM support.",
        ));
    }
    let mut collector = FeedCollector::default();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let url = feed_page_url(feed, from, cursor.as_deref());
        let unreachable = || feed_unreachable(&url);
        let (status, text) = fetch("GET", &url, &[], None, true)
            .await
            .map_err(|_| unreachable())?;
        if let Some(failure) = feed_refused(status) {
            return Err(failure);
        }
        let page = parse_page(&text).map_err(|e| feed_invalid(&e, pages + 1))?;
        cursor.clone_from(&page.next_cursor);
        collector
            .add_page(page)
            .map_err(|e| feed_invalid(&e, pages + 1))?;
        pages += 1;
        on_page(pages, collector.len());
        if cursor.is_none() {
            break;
        }
    }
    Ok(FeedRead {
        company: collector.company().map(str::to_owned),
        currency: collector.currency().map(str::to_owned),
        postings: collector.into_postings(),
    })
}

/// The feed could not be reached at all (network, CORS, DNS).
pub fn feed_unreachable(url: &str) -> Failure {
    Failure::new(
        FailureKind::FeedUnreachable,
        format!(
            "SRM's G/L feed cannot be reached ({url}). Check your connection and press Preview again; if it persists, tell SRM support."
        ),
    )
}

/// What a feed answer's status means, when it is not a success.
pub fn feed_refused(status: u16) -> Option<Failure> {
    match status {
        200..=299 => None,
        401 | 403 => Some(Failure::new(
            FailureKind::SrmSession,
            "Your SRM session has expired. Sign in to SRM again in another tab, then press Preview again.",
        )),
        status => Some(Failure::new(
            FailureKind::FeedUnreachable,
            format!(
                "SRM's G/L feed answered with status {status}. Try again later; if it persists, tell SRM support."
            ),
        )),
    }
}

fn feed_invalid(error: &srm_xero_shared::FeedError, page: usize) -> Failure {
    Failure::new(
        FailureKind::FeedInvalid,
        format!(
            "SRM's G/L feed could not be read (page {page}): {error}. Nothing was posted; tell SRM support."
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_says_what_happened_and_what_to_do() {
        let expired =
            Failure::from_answer(401, r#"{"error":"unauthorized","message":"token expired"}"#);
        assert_eq!(expired.kind, FailureKind::TokenExpired);
        assert!(expired.message.contains("ask SRM for a new one"));
        let xero = Failure::from_answer(
            503,
            r#"{"error":"xero_unavailable","message":"Xero needs reconnecting"}"#,
        );
        assert_eq!(xero.kind, FailureKind::Xero);
        assert!(xero.message.contains("Xero needs reconnecting"));
        assert!(xero.message.contains("reconnect"));
        let stale = Failure::from_answer(409, r#"{"error":"conflict","message":"stale version"}"#);
        assert_eq!(stale.kind, FailureKind::Conflict);
        let refused = Failure::from_answer(
            422,
            r#"{"error":"invalid","message":"journals refused","journals":[{"key":"0123456789abcdef0123","problems":[{"too_few_lines":{"lines":1}}]}]}"#,
        );
        assert_eq!(refused.kind, FailureKind::Refused);
        assert!(
            refused.message.contains("0123456789abcdef0123"),
            "{}",
            refused.message
        );
        assert!(
            refused
                .message
                .contains("has 1 problem now: press Preview again"),
            "{}",
            refused.message
        );
        let garbled = Failure::from_answer(500, "<html>");
        assert!(garbled.message.contains("status 500"));
        assert!(
            Failure::proxy_down("https://p.example")
                .message
                .contains("cannot be reached")
        );
    }

    #[test]
    fn feed_urls_carry_the_date_and_the_cursor() {
        let from = NaiveDate::from_ymd_opt(2019, 8, 19).unwrap();
        assert_eq!(
            feed_page_url("/srm/api/gl-postings", from, None),
            "/srm/api/gl-postings?from=2019-08-19"
        );
        assert_eq!(
            feed_page_url("/gl?tenant=a", from, Some("p 2")),
            "/gl?tenant=a&from=2019-08-19&cursor=p%202"
        );
    }
}
