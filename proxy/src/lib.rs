//! The per-tenant proxy between SRM's page and Xero.
//!
//! [`build`] binds and serves (port 0 in tests) and hands back an [`App`] with its address and a
//! graceful shutdown; [`router`] is the whole HTTP surface, testable with `oneshot` and no socket;
//! `main.rs` only reads [`config`] and calls [`build`]. One module per concern: [`config`],
//! [`auth`] (caller tokens), [`error`], [`db`] (SQLite + migrations), [`crypto`] (tokens at rest),
//! [`xero`] (client, OAuth, connection), [`reference`], [`mapping`], [`ledger`] (exports in
//! SQLite), [`exports`] (creating and acting on them), [`sequence`] (numbering changes),
//! [`worker`] (posting), [`routes`], [`limits`] (rates, timeout, streams), [`tickets`]
//! (event-stream tickets), [`headers`], [`assets`], [`demo`]; the unattended close: [`feed`]
//! (SRM's feed read by the proxy), [`schedule`], [`alerts`], [`reconcile`], [`repost`].

pub mod alerts;
pub mod assets;
pub mod auth;
pub mod clock;
pub mod config;
pub mod crypto;
pub mod db;
pub mod demo;
pub mod error;
pub mod exports;
pub mod feed;
pub mod headers;
pub mod ledger;
pub mod limits;
pub mod mapping;
pub mod process;
pub mod reconcile;
pub mod reference;
pub mod repost;
pub mod routes;
pub mod schedule;
pub mod sequence;
pub mod tickets;
pub mod worker;
pub mod xero;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRef};
use axum::http::{HeaderName, HeaderValue, Method, Request, header};
use axum::routing::get;
use chrono::{DateTime, Utc};
use secrecy::ExposeSecret as _;
use tokio::net::TcpListener;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

use auth::{CallerKey, Expected};
use clock::Clock;
use config::Config;
use crypto::Sealer;
use db::Db;
use xero::XeroClient;
use xero::connection::Connections;
use xero::oauth::OAuth;

/// How often the background task checks whether an idle connection needs a refresh.
pub const MAINTENANCE_EVERY: Duration = Duration::from_mins(15);

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The one application state, cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    public_url: String,
    message_origins: Vec<String>,
    clock: Clock,
    db: Db,
    xero: XeroClient,
    connections: Connections,
    hub: worker::Hub,
    assets: assets::Assets,
    guards: limits::Guards,
    tickets: tickets::Tickets,
    alerts: alerts::Alerts,
    feed: Option<feed::FeedReader>,
    runs: schedule::Runs,
    accept_turn: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("public_url", &self.inner.public_url)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// The state for `config`, reachable at `public_url`, reading time from `clock`.
    pub fn new(config: Config, public_url: String, clock: Clock) -> Result<Self, StartError> {
        let db =
            Db::open(&config.data_dir, clock()).map_err(|e| StartError::Line(e.to_string()))?;
        let hub = worker::Hub::new(Arc::clone(db.sequence()));
        let xero = XeroClient::new(&config.xero)
            .map_err(|e| StartError::Line(format!("the HTTP client cannot start: {e}")))?;
        let oauth = OAuth::new(&config.xero, &format!("{public_url}/auth/xero/callback"))
            .map_err(|e| StartError::Line(format!("SRM_XERO_PUBLIC_URL: {e}")))?;
        let connections = Connections::new(
            db.clone(),
            Sealer::new(&config.token_key),
            oauth,
            xero.clone(),
            clock.clone(),
        );
        let mut message_origins = config.allowed_origins.clone();
        if message_origins.is_empty() || config.demo {
            // The demo page is served by the proxy itself.
            if let Ok(url) = reqwest::Url::parse(&public_url) {
                message_origins.push(url.origin().ascii_serialization());
            }
        }
        let assets = assets::Assets::load(&config.dist_dir);
        let guards = limits::Guards::new(&config.limits, &clock);
        let destinations =
            alerts::Destinations::new(&config.close.alerts).map_err(StartError::Line)?;
        let feed = config
            .close
            .feed
            .as_ref()
            .map(feed::FeedReader::new)
            .transpose()
            .map_err(StartError::Line)?;
        Ok(AppState {
            inner: Arc::new(Inner {
                assets,
                config,
                public_url,
                message_origins,
                clock,
                db,
                xero,
                connections,
                hub,
                guards,
                tickets: tickets::Tickets::default(),
                alerts: alerts::Alerts::new(destinations),
                feed,
                runs: schedule::Runs::default(),
                accept_turn: tokio::sync::Mutex::new(()),
            }),
        })
    }

    /// Now, by the state's clock.
    pub fn now(&self) -> DateTime<Utc> {
        (self.inner.clock)()
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    /// The Xero client.
    pub fn xero(&self) -> &XeroClient {
        &self.inner.xero
    }

    /// The Xero connection.
    pub fn connections(&self) -> &Connections {
        &self.inner.connections
    }

    /// The worker's hub: wake-ups, changes, waiting, pace.
    pub fn hub(&self) -> &worker::Hub {
        &self.inner.hub
    }

    /// The settings.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The proxy's public base URL.
    pub fn public_url(&self) -> &str {
        &self.inner.public_url
    }

    /// Origins the OAuth callback page posts its message to.
    pub fn message_origins(&self) -> &[String] {
        &self.inner.message_origins
    }

    /// Where the component's assets are.
    pub fn dist_dir(&self) -> &Path {
        &self.inner.config.dist_dir
    }

    /// The component's assets as read at start-up.
    pub fn assets(&self) -> &assets::Assets {
        &self.inner.assets
    }

    /// The caller-token secret.
    pub fn caller_secret(&self) -> &str {
        self.inner.config.caller_secret.expose_secret()
    }

    /// Rate limits, the stream cap and the request timeout.
    pub fn guards(&self) -> &limits::Guards {
        &self.inner.guards
    }

    /// The event-stream tickets handed out.
    pub fn tickets(&self) -> &tickets::Tickets {
        &self.inner.tickets
    }

    /// Where alerts go.
    pub fn alerts(&self) -> &alerts::Alerts {
        &self.inner.alerts
    }

    /// SRM's G/L feed as the proxy reads it, when configured.
    pub fn feed(&self) -> Option<&feed::FeedReader> {
        self.inner.feed.as_ref()
    }

    /// The close's runs (one at a time).
    pub fn runs(&self) -> &schedule::Runs {
        &self.inner.runs
    }

    /// Held by the Accept that is planning (one at a time: the number it plans with is the
    /// number it stores).
    pub fn accept_turn(&self) -> &tokio::sync::Mutex<()> {
        &self.inner.accept_turn
    }
}

impl FromRef<AppState> for CallerKey {
    fn from_ref(state: &AppState) -> Self {
        CallerKey {
            secret: state.inner.config.caller_secret.clone(),
            clock: state.inner.clock.clone(),
            expected: Expected {
                audience: state.inner.public_url.clone(),
                rules: state.inner.config.tokens,
            },
            rate: Arc::clone(&state.inner.guards.api),
        }
    }
}

/// Why the proxy could not start: one line naming the setting or the cause.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// A setting.
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    /// Anything else, already phrased.
    #[error("{0}")]
    Line(String),
}

/// Every route the proxy answers, with its layers.
pub fn router(state: AppState) -> Router {
    router_with(state, Router::new())
}

/// [`router`] plus `extra` routes (the demo mounts its G/L feed this way).
pub fn router_with(state: AppState, extra: Router) -> Router {
    let api = routes::api().route_layer(axum::middleware::from_fn_with_state(
        state.clone(),
        limits::timeout,
    ));
    let mut app = api
        .route("/health", get(routes::health::health))
        .route("/auth/xero/start", get(routes::callback::start))
        .route("/auth/xero/callback", get(routes::callback::callback));
    if state.config().demo {
        app = app
            .route("/", get(demo::page))
            .route("/srm/backoffice/daily-close", get(demo::page));
    }
    let cors = cors(&state.config().allowed_origins);
    let limit = state.config().body_limit;
    app.fallback(assets::serve)
        .with_state(state)
        .merge(extra)
        .layer(DefaultBodyLimit::max(limit))
        .layer(cors)
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                let id = request
                    .headers()
                    .get(&REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                // The path only: a query string may carry an OAuth code.
                tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %id)
            }),
        )
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
        .layer(headers::nosniff())
}

fn cors(origins: &[String]) -> CorsLayer {
    let list: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(o).ok())
        .collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(list))
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .expose_headers([REQUEST_ID])
        .max_age(Duration::from_mins(10))
}

/// Choices beyond the settings.
pub struct Options {
    /// The time everything is judged at.
    pub clock: Clock,
    /// More routes (the demo's G/L feed).
    pub extra_routes: Router,
    /// How often the background task looks at the connection; `None` turns it off.
    pub maintenance_every: Option<Duration>,
    /// How the posting worker paces itself.
    pub worker: worker::WorkerSettings,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            clock: clock::system(),
            extra_routes: Router::new(),
            maintenance_every: Some(MAINTENANCE_EVERY),
            worker: worker::WorkerSettings::default(),
        }
    }
}

/// A running proxy.
#[derive(Debug)]
pub struct App {
    addr: SocketAddr,
    state: AppState,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
    maintenance: Option<tokio::task::JoinHandle<()>>,
    worker: Option<tokio::task::JoinHandle<()>>,
    /// Alert deliveries and the schedule.
    background: Vec<tokio::task::JoinHandle<()>>,
}

impl App {
    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://{addr}`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The application state (for tests and the demo).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Stops accepting, lets requests in flight finish, and waits.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(task) = self.maintenance.take() {
            task.abort();
        }
        for task in self.background.drain(..) {
            task.abort();
        }
        // Journals of a call cut short stay `posting`; the next start looks them up in Xero.
        if let Some(task) = self.worker.take() {
            task.abort();
        }
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.server.take() {
            Some(server) => server.await.unwrap_or(Ok(())),
            None => Ok(()),
        }
    }
}

impl Drop for App {
    fn drop(&mut self) {
        if let Some(task) = &self.maintenance {
            task.abort();
        }
        for task in &self.background {
            task.abort();
        }
        if let Some(task) = &self.worker {
            task.abort();
        }
        if let Some(task) = &self.server {
            task.abort();
        }
    }
}

/// Binds `config.bind` and serves.
pub async fn build(config: Config) -> Result<App, StartError> {
    build_with(config, Options::default()).await
}

/// [`build`] with options.
pub async fn build_with(config: Config, options: Options) -> Result<App, StartError> {
    let listener = TcpListener::bind(config.bind).await.map_err(|e| {
        StartError::Line(format!(
            "{}: cannot listen on {}: {e}",
            config::BIND_VAR,
            config.bind
        ))
    })?;
    serve_on(listener, config, options)
}

/// Serves on a listener already bound (the demo binds first to register its redirect URI).
pub fn serve_on(
    listener: TcpListener,
    config: Config,
    options: Options,
) -> Result<App, StartError> {
    let addr = listener
        .local_addr()
        .map_err(|e| StartError::Line(format!("{}: {e}", config::BIND_VAR)))?;
    config.check_demo(addr)?;
    let public_url = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{addr}"));
    let state = AppState::new(config, public_url, options.clock)?;
    let app = router_with(state.clone(), options.extra_routes);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    let maintenance = options.maintenance_every.map(|every| {
        let state = state.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            loop {
                ticks.tick().await;
                if let Err(e) = state.connections().maintain().await {
                    tracing::debug!(error = %e, "connection maintenance");
                }
                alerts::reconnect_if_needed(&state).await;
            }
        })
    });
    let mut settings = options.worker;
    if let Some(life) = state.config().idempotency_key_life {
        settings.key_life = life;
    }
    let worker = Some(tokio::spawn(worker::run(state.clone(), settings)));
    // Drafts that expired while the proxy was down go now, a step at a time.
    tokio::spawn(exports::accept::sweep(state.clone()));
    let background = vec![
        tokio::spawn(alerts::deliver(state.clone())),
        tokio::spawn(schedule::scheduler(state.clone())),
    ];
    tracing::info!(%addr, "srm-xero-proxy listening");
    Ok(App {
        addr,
        state,
        stop: Some(stop),
        server: Some(server),
        maintenance,
        worker,
        background,
    })
}
