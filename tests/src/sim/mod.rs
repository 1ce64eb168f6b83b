//! A Xero simulator: login (consent), identity (tokens), api (connections and the accounting
//! endpoints the product uses), with the demo organisations, faults on demand, an injectable
//! clock and inspection. Start it in a test with `Simulator::new().start().await`.
//!
//! All three Xero hosts are one server; clients use the same base for each, with Xero's paths:
//! `{login}/identity/connect/authorize`, `{identity}/connect/token`, `{identity}/connect/revocation`,
//! `{api}/connections`, `{api}/api.xro/2.0/ManualJournals`.

pub mod accounting;
pub mod admin;
pub mod clock;
pub mod config;
pub mod faults;
pub mod gate;
pub mod idempotency;
pub mod identity;
pub mod inspect;
pub mod journal_wire;
pub mod journals;
pub mod limits;
pub mod model;
pub mod person;
pub mod query;
pub mod rules;
pub mod state;
pub mod tokens;
pub mod wire;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::{delete, get, post};

pub use clock::SimClock;
pub use config::{
    AppRegistration, ElementOrder, KeyInProgress, Limits, NarrationEcho, Settings, ThirdDecimal,
};
pub use faults::{Fault, FaultKind};
pub use inspect::{RecordedCall, TenantCounts};
pub use model::{Organisation, StoredJournal};
pub use person::{JournalEdit, LineEdit};
pub use tokens::TokenAnswer;

use crate::demo::gl::GlConfig;
use crate::demo::org::demo_organisations;
use crate::rng::SplitMix64;
use state::{Shared, SimState};

/// Builds a simulator.
#[derive(Debug, Clone, Default)]
pub struct Simulator {
    clock: Option<SimClock>,
    app: AppRegistration,
    settings: Settings,
    seed: u64,
    organisations: Option<Vec<Organisation>>,
    feed_seed: Option<u64>,
}

/// The base URLs a client (the proxy) is configured with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimUrls {
    /// Replaces `https://login.xero.com`.
    pub login: String,
    /// Replaces `https://identity.xero.com`.
    pub identity: String,
    /// Replaces `https://api.xero.com`.
    pub api: String,
    /// `{api}/api.xro/2.0`
    pub accounting: String,
    /// The demo SRM G/L feed URL.
    pub gl_feed: String,
}

impl Simulator {
    pub fn new() -> Self {
        Simulator {
            seed: 0x5EED,
            feed_seed: Some(20_190_819),
            ..Simulator::default()
        }
    }

    #[must_use]
    pub fn clock(mut self, clock: SimClock) -> Self {
        self.clock = Some(clock);
        self
    }

    #[must_use]
    pub fn app(mut self, app: AppRegistration) -> Self {
        self.app = app;
        self
    }

    #[must_use]
    pub fn settings(mut self, settings: Settings) -> Self {
        self.settings = settings;
        self
    }

    #[must_use]
    pub fn auto_approve(mut self, on: bool) -> Self {
        self.settings.auto_approve = on;
        self
    }

    #[must_use]
    pub fn limits(mut self, limits: Limits) -> Self {
        self.settings.limits = limits;
        self
    }

    /// Seeds generated ids and tokens.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Replaces the demo organisations.
    #[must_use]
    pub fn organisations(mut self, orgs: Vec<Organisation>) -> Self {
        self.organisations = Some(orgs);
        self
    }

    /// Seeds the demo SRM feed; `None` turns the feed off.
    #[must_use]
    pub fn demo_feed(mut self, seed: Option<u64>) -> Self {
        self.feed_seed = seed;
        self
    }

    /// The router and its state, for serving it yourself.
    pub fn build(self) -> (Router, Arc<Shared>) {
        let clock = self.clock.unwrap_or_default();
        let now = clock.now();
        let orgs = self
            .organisations
            .unwrap_or_else(|| demo_organisations(now));
        let feed = self.feed_seed.map(|s| GlConfig::demo(s, now.date_naive()));
        let state = SimState {
            settings: self.settings,
            app: self.app,
            orgs,
            journals: Vec::new(),
            calls: Vec::new(),
            identity: tokens::IdentityStore::default(),
            limits: limits::LimitState::default(),
            idempotency: idempotency::IdempotencyStore::default(),
            faults: faults::FaultQueue::default(),
            rng: SplitMix64::new(self.seed),
        };
        let shared = Arc::new(Shared::new(state, clock, feed.clone()));
        (router(&shared, feed), shared)
    }

    /// Binds 127.0.0.1 on a free port and serves.
    pub async fn start(self) -> std::io::Result<SimHandle> {
        self.start_on(SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Binds `addr` and serves.
    pub async fn start_on(self, addr: SocketAddr) -> std::io::Result<SimHandle> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (router, shared) = self.build();
        let task = tokio::spawn(async move {
            // A failed accept loop ends the simulator; tests then fail on connection errors.
            let _ = axum::serve(listener, router).await;
        });
        Ok(SimHandle { addr, shared, task })
    }
}

fn router(shared: &Arc<Shared>, feed: Option<GlConfig>) -> Router {
    let api = "/api.xro/2.0";
    let mut app = Router::new()
        .route("/identity/connect/authorize", get(identity::authorize))
        .route("/identity/connect/consent", post(identity::consent))
        .route("/connect/token", post(identity::token))
        .route("/connect/revocation", post(identity::revocation))
        .route("/connections", get(identity::connections))
        .route("/connections/{id}", delete(identity::delete_connection))
        .route(&format!("{api}/Accounts"), get(accounting::accounts))
        .route(&format!("{api}/TaxRates"), get(accounting::tax_rates))
        .route(
            &format!("{api}/TrackingCategories"),
            get(accounting::tracking_categories),
        )
        .route(
            &format!("{api}/Organisation"),
            get(accounting::organisation),
        )
        .route(
            &format!("{api}/ManualJournals"),
            get(journals::list)
                .put(journals::create)
                .post(journals::create),
        )
        .route(
            &format!("{api}/ManualJournals/{{id}}"),
            get(journals::by_id),
        )
        .route(
            "/_sim/faults",
            post(admin::add_fault)
                .get(admin::list_faults)
                .delete(admin::clear_faults),
        )
        .route("/_sim/release", post(admin::release))
        .route("/_sim/clock", post(admin::clock))
        .route("/_sim/journals", get(admin::journals))
        .route("/_sim/journals/{id}/void", post(admin::void))
        .route("/_sim/journals/{id}/delete", post(admin::delete))
        .route("/_sim/journals/{id}/edit", post(admin::edit))
        .route("/_sim/calls", get(admin::calls))
        .route("/_sim/counts", get(admin::counts))
        .fallback(|| async { wire::not_found() })
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(shared),
            inspect::record,
        ))
        .with_state(Arc::clone(shared));
    if let Some(config) = feed {
        app = app.merge(crate::demo::feed::router(config));
    }
    app
}

/// A running simulator. Dropping it stops the server.
#[derive(Debug)]
pub struct SimHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl SimHandle {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Base URLs for the proxy's `XERO_LOGIN_URL`, `XERO_IDENTITY_URL`, `XERO_API_URL`.
    pub fn urls(&self) -> SimUrls {
        let base = format!("http://{}", self.addr);
        SimUrls {
            login: base.clone(),
            identity: base.clone(),
            api: base.clone(),
            accounting: format!("{base}/api.xro/2.0"),
            gl_feed: format!("{base}/srm/api/gl-postings"),
        }
    }

    /// The clock (move it to test expiry and windows).
    pub fn clock(&self) -> SimClock {
        self.shared.clock.clone()
    }

    /// The registered app.
    pub fn app(&self) -> AppRegistration {
        self.shared.lock().app.clone()
    }

    /// Changes settings while running.
    pub fn update_settings(&self, change: impl FnOnce(&mut Settings)) {
        change(&mut self.shared.lock().settings);
    }

    /// Changes an organisation (lock dates, chart, tracking); marks it modified now.
    pub fn update_org(&self, tenant: &str, change: impl FnOnce(&mut Organisation)) {
        let now = self.shared.clock.now();
        let mut state = self.shared.lock();
        if let Some(org) = state.orgs.iter_mut().find(|o| o.tenant_id == tenant) {
            change(org);
            org.modified = now;
        }
    }

    /// An organisation as it is now.
    pub fn org(&self, tenant: &str) -> Option<Organisation> {
        self.shared.lock().org(tenant).cloned()
    }

    /// Connects `tenants` and issues a token set without the browser flow (for tests that are
    /// not about OAuth).
    pub fn issue_tokens(&self, scopes: &str, tenants: &[&str]) -> TokenAnswer {
        let now = self.shared.clock.now();
        let mut state = self.shared.lock();
        let state = &mut *state;
        let tenants: Vec<String> = tenants.iter().map(|t| (*t).to_owned()).collect();
        let auth_event_id = state.identity.connect(&mut state.rng, &tenants, now);
        let scopes = scopes.split_whitespace().map(String::from).collect();
        state
            .identity
            .new_grant(&mut state.rng, scopes, auth_event_id, now, &state.settings)
    }

    /// Queues a fault.
    pub fn inject(&self, fault: Fault) {
        self.shared.lock().faults.push(fault);
    }

    /// Drops every queued fault.
    pub fn clear_faults(&self) {
        self.shared.lock().faults.clear();
    }

    /// Lets every call held by a `Hold` fault go on.
    pub fn release_held(&self) {
        let _state = self.shared.lock();
        self.shared.release.send_modify(|g| *g += 1);
    }

    /// A person voids a posted journal in Xero (see [`person`]).
    pub fn void_journal(&self, tenant: &str, id: &str) -> Result<(), person::Refusal> {
        self.as_a_person(|state, now| person::void(state, tenant, id, now))
    }

    /// A person deletes a draft journal in Xero.
    pub fn delete_journal(&self, tenant: &str, id: &str) -> Result<(), person::Refusal> {
        self.as_a_person(|state, now| person::delete(state, tenant, id, now))
    }

    /// A person edits a journal in Xero and saves it (checked as Xero checks a save).
    pub fn edit_journal(
        &self,
        tenant: &str,
        id: &str,
        edit: &JournalEdit,
    ) -> Result<(), person::Refusal> {
        self.as_a_person(|state, now| person::edit(state, tenant, id, edit, now))
    }

    fn as_a_person(
        &self,
        change: impl FnOnce(&mut SimState, chrono::DateTime<chrono::Utc>) -> Result<(), person::Refusal>,
    ) -> Result<(), person::Refusal> {
        let now = self.shared.clock.now();
        let done = change(&mut self.shared.lock(), now);
        self.shared.bump();
        done
    }

    /// One stored journal, by its ManualJournalID.
    pub fn journal(&self, id: &str) -> Option<StoredJournal> {
        self.shared
            .lock()
            .journals
            .iter()
            .find(|j| j.manual_journal_id.eq_ignore_ascii_case(id))
            .cloned()
    }

    /// Every journal stored, in creation order.
    pub fn journals(&self) -> Vec<StoredJournal> {
        self.shared.lock().journals.clone()
    }

    /// Every call received, in order.
    pub fn calls(&self) -> Vec<RecordedCall> {
        self.shared.lock().calls.clone()
    }

    /// Calls and journals per tenant.
    pub fn counts(&self) -> BTreeMap<String, TenantCounts> {
        inspect::counts(&self.shared.lock())
    }

    /// Calls of `tenant` in flight now.
    pub fn in_flight(&self, tenant: &str) -> u32 {
        self.shared.lock().limits.in_flight(tenant)
    }

    /// Waits (without polling on a timer) until `condition` holds.
    pub async fn wait_until(&self, mut condition: impl FnMut(&SimHandle) -> bool) {
        let mut events = self.shared.events.subscribe();
        while !condition(self) {
            if events.changed().await.is_err() {
                return;
            }
        }
    }
}
