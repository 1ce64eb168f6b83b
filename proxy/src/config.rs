//! Start-up settings: DESIGN.md's table, each an environment variable and a flag (clap), read once.
//!
//! [`Args`] is what clap reads (every value as text); [`Config::from_args`] turns it into typed,
//! checked settings. A missing or malformed setting is one [`ConfigError`] line naming it, and
//! start-up stops. Secrets are held in `secrecy` wrappers and never printed.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use base64::Engine as _;
use clap::Parser;
use secrecy::{ExposeSecret as _, SecretBox, SecretString};

/// The variable that holds the listen address.
pub const BIND_VAR: &str = "SRM_XERO_BIND";

/// Where the proxy listens when [`BIND_VAR`] is not set: loopback only.
pub const DEFAULT_BIND: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 8080);

/// The scopes asked for by default (a granular-scope app, XERO.md).
pub const DEFAULT_SCOPES: &str =
    "offline_access accounting.manualjournals accounting.settings.read";

/// The largest request body accepted by default (bytes).
pub const DEFAULT_BODY_LIMIT: usize = 2 * 1024 * 1024;

/// The flags whose values are secrets: given on the command line, any user of the machine can
/// read them in the process list, so start-up warns (environment variables are the way).
const SECRET_FLAGS: [(&str, &str); 6] = [
    ("caller_secret", "--caller-secret"),
    ("token_key", "--token-key"),
    ("xero_client_secret", "--xero-client-secret"),
    ("feed_token", "--feed-token"),
    ("alert_webhook", "--alert-webhook"),
    ("smtp_url", "--smtp-url"),
];
/// The longest an operator may trust Xero to remember an Idempotency-Key (Xero keeps one about
/// 6 minutes, XERO.md; a call sent again after Xero forgot its key would be saved twice).
pub const MAX_KEY_LIFE_SECS: u64 = 350;

/// The proxy's settings as given: environment variables or flags.
#[derive(Clone, Parser)] // No Debug: it holds secrets as plain text.
#[command(
    name = "srm-xero-proxy",
    version,
    about = "The per-tenant proxy between SRM's Post Xero Journals page and Xero",
    long_about = "The per-tenant proxy between SRM's Post Xero Journals page and Xero: it checks \
                  SRM's caller tokens, holds the Xero OAuth tokens (encrypted), reads Xero's \
                  reference data, keeps the mapping settings and serves the component.\n\n\
                  Every setting is an environment variable and a flag; the flag wins."
)]
pub struct Args {
    /// Listen address (IP and port).
    #[arg(long, env = "SRM_XERO_BIND", value_name = "ADDR")]
    pub bind: Option<String>,
    /// Folder of the SQLite database (created if missing) [default: ./data].
    #[arg(long, env = "SRM_XERO_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// The proxy's public base URL; the OAuth redirect URI is {it}/auth/xero/callback
    /// [default: http://{bind}].
    #[arg(long, env = "SRM_XERO_PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// SRM origins allowed by CORS and told about a finished connection, comma-separated
    /// (e.g. https://acme.srm.example) [default: none].
    #[arg(long, env = "SRM_XERO_ALLOWED_ORIGINS", value_name = "ORIGINS")]
    pub allowed_origins: Option<String>,
    /// The HS256 secret shared with SRM that signs caller tokens (at least 32 characters).
    /// Required outside demo mode.
    #[arg(
        long,
        env = "SRM_XERO_CALLER_SECRET",
        value_name = "SECRET",
        hide_env_values = true
    )]
    pub caller_secret: Option<String>,
    /// 32 bytes, base64, that encrypt the Xero tokens at rest (AES-256-GCM); e.g.
    /// `openssl rand -base64 32`. Required outside demo mode.
    #[arg(
        long,
        env = "SRM_XERO_TOKEN_KEY",
        value_name = "BASE64",
        hide_env_values = true
    )]
    pub token_key: Option<String>,
    /// The Xero app's client id. Required outside demo mode.
    #[arg(long, env = "XERO_CLIENT_ID", value_name = "ID")]
    pub xero_client_id: Option<String>,
    /// The Xero app's client secret. Required outside demo mode.
    #[arg(
        long,
        env = "XERO_CLIENT_SECRET",
        value_name = "SECRET",
        hide_env_values = true
    )]
    pub xero_client_secret: Option<String>,
    /// Scopes requested from Xero, space-separated (apps created before 2 March 2026 may use
    /// accounting.transactions instead of accounting.manualjournals).
    #[arg(long, env = "XERO_SCOPES", value_name = "SCOPES", default_value = DEFAULT_SCOPES)]
    pub xero_scopes: String,
    /// Base URL of login.xero.com (the consent page).
    #[arg(
        long,
        env = "XERO_LOGIN_URL",
        value_name = "URL",
        default_value = "https://login.xero.com"
    )]
    pub xero_login_url: String,
    /// Base URL of identity.xero.com (tokens and revocation).
    #[arg(
        long,
        env = "XERO_IDENTITY_URL",
        value_name = "URL",
        default_value = "https://identity.xero.com"
    )]
    pub xero_identity_url: String,
    /// Base URL of api.xero.com (connections and the accounting API).
    #[arg(
        long,
        env = "XERO_API_URL",
        value_name = "URL",
        default_value = "https://api.xero.com"
    )]
    pub xero_api_url: String,
    /// Folder of the component's built assets (embed.js, the .js and the .wasm), served at the root.
    #[arg(
        long,
        env = "SRM_XERO_DIST_DIR",
        value_name = "DIR",
        default_value = "./dist"
    )]
    pub dist_dir: PathBuf,
    /// Largest request body accepted, in bytes (larger is 413).
    #[arg(long, env = "SRM_XERO_BODY_LIMIT", value_name = "BYTES")]
    pub body_limit: Option<String>,
    /// The longest lifetime (exp − iat) of a caller token accepted, in seconds [default: 43200,
    /// 12 hours].
    #[arg(long, env = "SRM_XERO_TOKEN_MAX_LIFETIME", value_name = "SECONDS")]
    pub token_max_lifetime: Option<String>,
    /// Clock difference allowed between SRM and the proxy on a caller token's exp, iat and nbf,
    /// in seconds [default: 60].
    #[arg(long, env = "SRM_XERO_TOKEN_LEEWAY", value_name = "SECONDS")]
    pub token_leeway: Option<String>,
    /// API requests one caller (the token's sub) may make in a minute; more are answered 429
    /// [default: 600].
    #[arg(long, env = "SRM_XERO_RATE_LIMIT", value_name = "PER_MINUTE")]
    pub rate_limit: Option<String>,
    /// Re-reads of Xero's reference data (POST /api/reference/refresh) one caller may ask for in
    /// a minute [default: 4].
    #[arg(long, env = "SRM_XERO_REFRESH_LIMIT", value_name = "PER_MINUTE")]
    pub refresh_limit: Option<String>,
    /// How long an API request may take before it is answered 503, in seconds (event streams
    /// excepted) [default: 120].
    #[arg(long, env = "SRM_XERO_REQUEST_TIMEOUT", value_name = "SECONDS")]
    pub request_timeout: Option<String>,
    /// Progress event streams open at once; more are answered 429 [default: 64].
    #[arg(long, env = "SRM_XERO_MAX_STREAMS", value_name = "COUNT")]
    pub max_streams: Option<String>,
    /// Seconds after its first send that a call whose answer was lost is sent again under the
    /// same Idempotency-Key (Xero keeps a key about 6 minutes); after that its journals are
    /// looked up in Xero instead [default: 300; at most 350].
    #[arg(long, env = "SRM_XERO_IDEMPOTENCY_KEY_LIFE", value_name = "SECONDS")]
    pub idempotency_key_life: Option<String>,
    /// SRM's G/L feed for the proxy's own reads (the unattended close): same pages and
    /// from/to/cursor parameters as the element's gl-feed-url [default: none].
    #[arg(
        long,
        env = "SRM_XERO_FEED_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub feed_url: Option<String>,
    /// The bearer credential the proxy sends to SRM_XERO_FEED_URL [default: none].
    #[arg(
        long,
        env = "SRM_XERO_FEED_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub feed_token: Option<String>,
    /// When the unattended close runs: a cron expression of 5 fields (minute hour day-of-month
    /// month day-of-week) in SRM_XERO_TIMEZONE, e.g. "30 6 * * *" [default: none, no schedule].
    #[arg(long, env = "SRM_XERO_SCHEDULE", value_name = "CRON")]
    pub schedule: Option<String>,
    /// The IANA time zone of the schedule and of "yesterday" (never today: the day is still
    /// open) [default: UTC].
    #[arg(long, env = "SRM_XERO_TIMEZONE", value_name = "ZONE")]
    pub timezone: Option<String>,
    /// A URL that receives alerts as a JSON POST with a `text` field (Slack and Teams incoming
    /// webhooks work as they are) [default: none].
    #[arg(
        long,
        env = "SRM_XERO_ALERT_WEBHOOK",
        value_name = "URL",
        hide_env_values = true
    )]
    pub alert_webhook: Option<String>,
    /// The SMTP server alerts are emailed through, e.g. smtps://user:password@mail.example:465
    /// or smtp://mail.example:587?tls=required [default: none].
    #[arg(
        long,
        env = "SRM_XERO_SMTP_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub smtp_url: Option<String>,
    /// Who receives alert emails (comma-separated addresses); the first is also the sender
    /// [default: none].
    #[arg(long, env = "SRM_XERO_ALERT_EMAIL", value_name = "ADDRESSES")]
    pub alert_email: Option<String>,
    /// Demo mode: secrets not given are generated for this run, and a mock SRM Daily Close page
    /// with a demo admin's caller token is served at /. Never use it for a real tenant.
    #[arg(long, env = "SRM_XERO_DEMO", value_name = "BOOL", num_args = 0..=1,
          default_missing_value = "true", value_parser = clap::builder::BoolishValueParser::new())]
    pub demo: Option<bool>,
}

/// The 32-byte key that encrypts Xero tokens at rest.
#[derive(Clone)]
pub struct TokenKey(std::sync::Arc<SecretBox<[u8; 32]>>);

impl TokenKey {
    /// Wraps raw key bytes.
    pub fn new(bytes: [u8; 32]) -> Self {
        TokenKey(std::sync::Arc::new(SecretBox::new(Box::new(bytes))))
    }

    /// Parses base64 (standard alphabet) holding exactly 32 bytes.
    pub fn from_base64(text: &str) -> Option<Self> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .ok()?;
        let key: [u8; 32] = bytes.try_into().ok()?;
        Some(TokenKey::new(key))
    }

    /// A fresh random key.
    pub fn generate() -> Self {
        TokenKey::new(random_bytes())
    }

    /// The key bytes (for the cipher only).
    pub(crate) fn bytes(&self) -> &[u8; 32] {
        self.0.expose_secret()
    }
}

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenKey([REDACTED])")
    }
}

/// How to reach Xero and who we are there.
#[derive(Debug, Clone)]
pub struct XeroSettings {
    /// The app's client id (not a secret: it is in every authorize URL).
    pub client_id: String,
    /// The app's client secret.
    pub client_secret: SecretString,
    /// Requested scopes.
    pub scopes: Vec<String>,
    /// login.xero.com
    pub login_url: String,
    /// identity.xero.com
    pub identity_url: String,
    /// api.xero.com
    pub api_url: String,
}

/// How caller tokens are judged (DESIGN.md "Embedding contract").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenRules {
    /// The longest `exp − iat` accepted.
    pub max_lifetime: Duration,
    /// Clock difference allowed on `exp`, `iat` and `nbf`.
    pub leeway: Duration,
}

impl Default for TokenRules {
    fn default() -> Self {
        TokenRules {
            max_lifetime: Duration::from_hours(12),
            leeway: Duration::from_mins(1),
        }
    }
}

/// What one caller, and all of them together, may ask of the proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// API requests per caller (`sub`) a minute.
    pub per_caller_per_minute: u32,
    /// `POST /api/reference/refresh` per caller a minute.
    pub refreshes_per_minute: u32,
    /// How long an API request may take (event streams excepted).
    pub request_timeout: Duration,
    /// Event streams open at once.
    pub max_streams: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            per_caller_per_minute: 600,
            refreshes_per_minute: 4,
            request_timeout: Duration::from_mins(2),
            max_streams: 64,
        }
    }
}

/// SRM's G/L feed as the proxy reads it. The URL may carry credentials of its own, so it is
/// held as a secret and logged by host only.
#[derive(Debug, Clone)]
pub struct FeedSettings {
    /// `SRM_XERO_FEED_URL`.
    pub url: SecretString,
    /// `SRM_XERO_FEED_TOKEN`, sent as `Authorization: Bearer`.
    pub token: Option<SecretString>,
}

/// Where alerts go. Both URLs may hold secrets (a Slack webhook's path is its credential, an
/// SMTP URL its password): they are never logged.
#[derive(Debug, Clone, Default)]
pub struct AlertSettings {
    /// `SRM_XERO_ALERT_WEBHOOK`.
    pub webhook: Option<SecretString>,
    /// `SRM_XERO_SMTP_URL` and `SRM_XERO_ALERT_EMAIL`.
    pub email: Option<EmailSettings>,
}

/// Alert emails.
#[derive(Debug, Clone)]
pub struct EmailSettings {
    /// The SMTP server's URL (lettre's form).
    pub smtp_url: SecretString,
    /// Who receives them (checked addresses); the first is also the sender.
    pub to: Vec<String>,
}

/// The unattended close (issue 16): the feed the proxy reads, when it runs, the time zone of
/// its days, and where alerts go. Everything is optional: without it the proxy works as before.
#[derive(Debug, Clone)]
pub struct CloseSettings {
    /// SRM's G/L feed for the proxy's own reads.
    pub feed: Option<FeedSettings>,
    /// When the close runs.
    pub schedule: Option<crate::schedule::cron::Schedule>,
    /// The time zone of the schedule and of "yesterday".
    pub zone: chrono_tz::Tz,
    /// Where alerts go.
    pub alerts: AlertSettings,
}

impl Default for CloseSettings {
    fn default() -> Self {
        CloseSettings {
            feed: None,
            schedule: None,
            zone: chrono_tz::Tz::UTC,
            alerts: AlertSettings::default(),
        }
    }
}

/// Typed, checked settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Listen address.
    pub bind: SocketAddr,
    /// Folder of the SQLite database.
    pub data_dir: PathBuf,
    /// Public base URL, without a trailing slash; `None` means `http://{bound address}`.
    pub public_url: Option<String>,
    /// Origins allowed by CORS (`scheme://host[:port]`).
    pub allowed_origins: Vec<String>,
    /// HS256 secret for caller tokens.
    pub caller_secret: SecretString,
    /// Encrypts Xero tokens at rest.
    pub token_key: TokenKey,
    /// Xero.
    pub xero: XeroSettings,
    /// The component's built assets.
    pub dist_dir: PathBuf,
    /// Largest request body, bytes.
    pub body_limit: usize,
    /// How caller tokens are judged.
    pub tokens: TokenRules,
    /// Request rates, timeout and streams.
    pub limits: Limits,
    /// How long a call's Idempotency-Key is trusted to live at Xero (`None`: the worker's
    /// default, 5 minutes).
    pub idempotency_key_life: Option<Duration>,
    /// The unattended close and alerts.
    pub close: CloseSettings,
    /// Demo mode: serves the mock SRM page at `/`.
    pub demo: bool,
}

/// A setting that stops start-up: one line naming it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{name}: {problem}")]
pub struct ConfigError {
    /// The environment variable's name (its flag is the same in kebab case).
    pub name: &'static str,
    /// What is wrong, in plain words (never the secret's value).
    pub problem: String,
}

fn error(name: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        name,
        problem: problem.into(),
    }
}

/// Random bytes from the operating system.
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the operating system provides random bytes");
    bytes
}

/// A random URL-safe text of `N` random bytes.
pub fn random_text<const N: usize>() -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<N>())
}

/// Parses a listen address such as `127.0.0.1:8080` or `[::1]:8080`; `None` means the default.
pub fn bind_address(value: Option<&str>) -> Result<SocketAddr, ConfigError> {
    let Some(value) = value else {
        return Ok(DEFAULT_BIND);
    };
    value.trim().parse().map_err(|_| {
        error(
            BIND_VAR,
            format!("{value:?} is not an IP address and port such as 127.0.0.1:8080"),
        )
    })
}

fn base_url(name: &'static str, value: &str) -> Result<String, ConfigError> {
    let trimmed = value.trim().trim_end_matches('/');
    let parsed = reqwest::Url::parse(trimmed)
        .map_err(|_| error(name, format!("{value:?} is not a URL such as https://host")))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(error(name, format!("{value:?} is not an http(s) URL")));
    }
    Ok(trimmed.to_owned())
}

fn origins(value: &str) -> Result<Vec<String>, ConfigError> {
    const NAME: &str = "SRM_XERO_ALLOWED_ORIGINS";
    let mut out = Vec::new();
    for origin in value.split(',').map(str::trim).filter(|o| !o.is_empty()) {
        let url = base_url(NAME, origin)?;
        let parsed = reqwest::Url::parse(&url).map_err(|_| error(NAME, "not a URL"))?;
        if parsed.path() != "/" || parsed.query().is_some() {
            return Err(error(
                NAME,
                format!("{origin:?} is not an origin (scheme://host[:port], no path)"),
            ));
        }
        out.push(parsed.origin().ascii_serialization());
    }
    Ok(out)
}

fn required(
    name: &'static str,
    value: Option<String>,
    demo: bool,
    generate: impl FnOnce() -> String,
) -> Result<String, ConfigError> {
    match value.filter(|v| !v.trim().is_empty()) {
        Some(v) => Ok(v),
        None if demo => Ok(generate()),
        None => Err(error(name, "required (outside demo mode)")),
    }
}

/// A whole number of at least `min` (`None`: `default`).
fn number<T: std::str::FromStr + PartialOrd + fmt::Display + Copy>(
    name: &'static str,
    value: Option<&str>,
    min: T,
    unit: &str,
    default: T,
) -> Result<T, ConfigError> {
    let Some(text) = value else {
        return Ok(default);
    };
    text.trim()
        .parse::<T>()
        .ok()
        .filter(|n| *n >= min)
        .ok_or_else(|| {
            error(
                name,
                format!("{text:?} is not a whole number of {unit} of at least {min}"),
            )
        })
}

fn seconds(
    name: &'static str,
    value: Option<&str>,
    min: u64,
    default: Duration,
) -> Result<Duration, ConfigError> {
    number(name, value, min, "seconds", default.as_secs()).map(Duration::from_secs)
}

/// Whether `host` is this machine (an IP on loopback, or `localhost`).
fn is_loopback_host(host: &str) -> bool {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.eq_ignore_ascii_case("localhost")
        || bare
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl TokenRules {
    fn from_args(args: &Args) -> Result<Self, ConfigError> {
        let defaults = TokenRules::default();
        Ok(TokenRules {
            max_lifetime: seconds(
                "SRM_XERO_TOKEN_MAX_LIFETIME",
                args.token_max_lifetime.as_deref(),
                60,
                defaults.max_lifetime,
            )?,
            leeway: seconds(
                "SRM_XERO_TOKEN_LEEWAY",
                args.token_leeway.as_deref(),
                0,
                defaults.leeway,
            )?,
        })
    }
}

/// A set value (blank counts as unset).
fn given(value: Option<&String>) -> Option<&str> {
    value.map(|v| v.trim()).filter(|v| !v.is_empty())
}

/// An http(s) URL with a host; the error never repeats it (it may hold a secret).
fn secret_url(name: &'static str, value: &str) -> Result<SecretString, ConfigError> {
    let parsed = reqwest::Url::parse(value).map_err(|_| {
        error(
            name,
            "is not a URL (the value is not repeated here: it may hold a secret)",
        )
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(error(name, "is not an http(s) URL with a host"));
    }
    Ok(SecretString::from(value.to_owned()))
}

impl CloseSettings {
    fn from_args(args: &Args) -> Result<Self, ConfigError> {
        let zone = match given(args.timezone.as_ref()) {
            None => chrono_tz::Tz::UTC,
            Some(name) => {
                crate::schedule::cron::zone(name).map_err(|e| error("SRM_XERO_TIMEZONE", e))?
            }
        };
        let schedule = given(args.schedule.as_ref())
            .map(|text| {
                crate::schedule::cron::Schedule::parse(text, zone)
                    .map_err(|e| error("SRM_XERO_SCHEDULE", e))
            })
            .transpose()?;
        let token = given(args.feed_token.as_ref()).map(|t| SecretString::from(t.to_owned()));
        let feed = match (given(args.feed_url.as_ref()), token) {
            (Some(url), token) => Some(FeedSettings {
                url: secret_url("SRM_XERO_FEED_URL", url)?,
                token,
            }),
            (None, Some(_)) => {
                return Err(error(
                    "SRM_XERO_FEED_TOKEN",
                    "is set but SRM_XERO_FEED_URL is not: set the feed's URL too",
                ));
            }
            (None, None) => None,
        };
        let webhook = given(args.alert_webhook.as_ref())
            .map(|url| secret_url("SRM_XERO_ALERT_WEBHOOK", url))
            .transpose()?;
        let email = match (
            given(args.smtp_url.as_ref()),
            given(args.alert_email.as_ref()),
        ) {
            (Some(url), Some(to)) => Some(EmailSettings {
                smtp_url: crate::alerts::email::check_url(url)
                    .map_err(|e| error("SRM_XERO_SMTP_URL", e))?,
                to: crate::alerts::email::check_addresses(to)
                    .map_err(|e| error("SRM_XERO_ALERT_EMAIL", e))?,
            }),
            (Some(_), None) => {
                return Err(error(
                    "SRM_XERO_ALERT_EMAIL",
                    "is needed with SRM_XERO_SMTP_URL: who receives the alerts",
                ));
            }
            (None, Some(_)) => {
                return Err(error(
                    "SRM_XERO_SMTP_URL",
                    "is needed with SRM_XERO_ALERT_EMAIL: the server alerts are sent through",
                ));
            }
            (None, None) => None,
        };
        Ok(CloseSettings {
            feed,
            schedule,
            zone,
            alerts: AlertSettings { webhook, email },
        })
    }
}

impl Limits {
    fn from_args(args: &Args) -> Result<Self, ConfigError> {
        let defaults = Limits::default();
        Ok(Limits {
            per_caller_per_minute: number(
                "SRM_XERO_RATE_LIMIT",
                args.rate_limit.as_deref(),
                1,
                "requests",
                defaults.per_caller_per_minute,
            )?,
            refreshes_per_minute: number(
                "SRM_XERO_REFRESH_LIMIT",
                args.refresh_limit.as_deref(),
                1,
                "refreshes",
                defaults.refreshes_per_minute,
            )?,
            request_timeout: seconds(
                "SRM_XERO_REQUEST_TIMEOUT",
                args.request_timeout.as_deref(),
                1,
                defaults.request_timeout,
            )?,
            max_streams: number(
                "SRM_XERO_MAX_STREAMS",
                args.max_streams.as_deref(),
                1,
                "streams",
                defaults.max_streams,
            )?,
        })
    }
}

impl Config {
    /// Reads the process's flags and environment; clap handles `--help` and `--version`. A
    /// secret given as a flag is used, with a warning on standard error (never its value).
    pub fn from_env() -> Result<Self, ConfigError> {
        use clap::{CommandFactory as _, FromArgMatches as _};
        let matches = Args::command().get_matches();
        for flag in secrets_on_command_line(&matches) {
            eprintln!(
                "srm-xero-proxy: warning: {flag} was given on the command line, where every user of this machine can read it in the process list; set its environment variable instead"
            );
        }
        let args =
            Args::from_arg_matches(&matches).map_err(|e| error("arguments", e.to_string()))?;
        Self::from_args(args)
    }

    /// Checks and types the settings.
    pub fn from_args(args: Args) -> Result<Self, ConfigError> {
        let demo = args.demo.unwrap_or(false);
        let bind = bind_address(args.bind.as_deref())?;
        let tokens = TokenRules::from_args(&args)?;
        let limits = Limits::from_args(&args)?;
        let close = CloseSettings::from_args(&args)?;
        let public_url = args
            .public_url
            .as_deref()
            .map(|u| base_url("SRM_XERO_PUBLIC_URL", u))
            .transpose()?;
        let allowed_origins = origins(args.allowed_origins.as_deref().unwrap_or_default())?;
        let caller_secret = required("SRM_XERO_CALLER_SECRET", args.caller_secret, demo, || {
            random_text::<32>()
        })?;
        if caller_secret.len() < 32 {
            return Err(error(
                "SRM_XERO_CALLER_SECRET",
                "must be at least 32 characters",
            ));
        }
        let token_key = match args.token_key.filter(|v| !v.trim().is_empty()) {
            Some(text) => TokenKey::from_base64(&text)
                .ok_or_else(|| error("SRM_XERO_TOKEN_KEY", "must be 32 bytes of base64"))?,
            None if demo => TokenKey::generate(),
            None => return Err(error("SRM_XERO_TOKEN_KEY", "required (outside demo mode)")),
        };
        let client_id = required("XERO_CLIENT_ID", args.xero_client_id, demo, || {
            format!("DEMO{}", random_text::<12>())
        })?;
        let client_secret = required("XERO_CLIENT_SECRET", args.xero_client_secret, demo, || {
            random_text::<24>()
        })?;
        let scopes: Vec<String> = args
            .xero_scopes
            .split_whitespace()
            .map(String::from)
            .collect();
        if scopes.is_empty() {
            return Err(error("XERO_SCOPES", "must name at least one scope"));
        }
        let body_limit = match args.body_limit.as_deref() {
            None => DEFAULT_BODY_LIMIT,
            Some(text) => text
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| *n >= 1024)
                .ok_or_else(|| {
                    error(
                        "SRM_XERO_BODY_LIMIT",
                        format!("{text:?} is not a number of bytes of at least 1024"),
                    )
                })?,
        };
        let idempotency_key_life = args
            .idempotency_key_life
            .as_deref()
            .map(|text| {
                text.trim()
                    .parse::<u64>()
                    .ok()
                    .filter(|n| (1..=MAX_KEY_LIFE_SECS).contains(n))
                    .map(Duration::from_secs)
                    .ok_or_else(|| {
                        error(
                            "SRM_XERO_IDEMPOTENCY_KEY_LIFE",
                            format!(
                                "{text:?} is not a number of seconds from 1 to {MAX_KEY_LIFE_SECS} \
                                 (Xero keeps a key about 6 minutes)"
                            ),
                        )
                    })
            })
            .transpose()?;
        Ok(Config {
            bind,
            data_dir: args.data_dir.unwrap_or_else(|| PathBuf::from("./data")),
            public_url,
            allowed_origins,
            caller_secret: SecretString::from(caller_secret),
            token_key,
            xero: XeroSettings {
                client_id,
                client_secret: SecretString::from(client_secret),
                scopes,
                login_url: base_url("XERO_LOGIN_URL", &args.xero_login_url)?,
                identity_url: base_url("XERO_IDENTITY_URL", &args.xero_identity_url)?,
                api_url: base_url("XERO_API_URL", &args.xero_api_url)?,
            },
            dist_dir: args.dist_dir,
            body_limit,
            tokens,
            limits,
            idempotency_key_life,
            close,
            demo,
        })
    }

    /// Demo mode generates its own secrets and mints an admin's token for anyone who loads its
    /// page, so it must stay on this machine and talk to a simulated Xero: `bound` (the address
    /// actually listened on) and the three Xero URLs must be loopback.
    pub fn check_demo(&self, bound: SocketAddr) -> Result<(), ConfigError> {
        if !self.demo {
            return Ok(());
        }
        if !bound.ip().is_loopback() {
            return Err(error(
                BIND_VAR,
                format!(
                    "demo mode listens on loopback only (127.0.0.1 or ::1), not {}",
                    bound.ip()
                ),
            ));
        }
        for (name, url) in [
            ("XERO_LOGIN_URL", &self.xero.login_url),
            ("XERO_IDENTITY_URL", &self.xero.identity_url),
            ("XERO_API_URL", &self.xero.api_url),
        ] {
            let host = reqwest::Url::parse(url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_owned))
                .unwrap_or_default();
            if !is_loopback_host(&host) {
                return Err(error(
                    name,
                    format!(
                        "demo mode talks to a simulated Xero on this machine, not {host:?} (cargo xtask demo starts one)"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// The caller-token secret (for signing in the demo and in tests).
    pub fn caller_secret(&self) -> &str {
        self.caller_secret.expose_secret()
    }
}

/// The secret flags that `matches` took from the command line (not the environment).
pub fn secrets_on_command_line(matches: &clap::ArgMatches) -> Vec<&'static str> {
    SECRET_FLAGS
        .iter()
        .filter(|(id, _)| matches.value_source(id) == Some(clap::parser::ValueSource::CommandLine))
        .map(|(_, flag)| *flag)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(extra: &[&str]) -> Result<Config, ConfigError> {
        let mut all = vec!["srm-xero-proxy"];
        all.extend_from_slice(extra);
        Config::from_args(Args::try_parse_from(all).expect("clap parses"))
    }

    const GOOD: [&str; 8] = [
        "--caller-secret",
        "0123456789abcdef0123456789abcdef",
        "--token-key",
        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        "--xero-client-id",
        "client",
        "--xero-client-secret",
        "secret",
    ];

    #[test]
    fn an_unset_bind_address_is_loopback_port_8080() {
        assert_eq!(bind_address(None), Ok("127.0.0.1:8080".parse().unwrap()));
    }

    #[test]
    fn a_malformed_bind_address_is_one_line_naming_the_setting() {
        for bad in ["localhost", "127.0.0.1", "127.0.0.1:http", ""] {
            let line = bind_address(Some(bad)).unwrap_err().to_string();
            assert!(line.starts_with("SRM_XERO_BIND: "), "{line}");
            assert!(!line.contains('\n'), "{line}");
        }
    }

    #[test]
    fn good_settings_parse_with_the_defaults_of_the_design() {
        let config = args(&GOOD).unwrap();
        assert_eq!(config.bind, DEFAULT_BIND);
        assert_eq!(config.data_dir, PathBuf::from("./data"));
        assert_eq!(config.xero.api_url, "https://api.xero.com");
        assert_eq!(config.xero.scopes.len(), 3);
        assert_eq!(config.allowed_origins, Vec::<String>::new());
        assert!(!config.demo);
    }

    #[test]
    fn missing_secrets_are_named_outside_demo_mode_and_generated_inside_it() {
        let line = args(&[]).unwrap_err().to_string();
        assert_eq!(line, "SRM_XERO_CALLER_SECRET: required (outside demo mode)");
        let demo = args(&["--demo"]).unwrap();
        assert!(demo.demo);
        assert!(demo.caller_secret().len() >= 32);
    }

    #[test]
    fn a_short_token_key_is_refused_without_echoing_it() {
        let mut bad = GOOD.to_vec();
        bad[3] = "c2hvcnQ=";
        let line = args(&bad).unwrap_err().to_string();
        assert_eq!(line, "SRM_XERO_TOKEN_KEY: must be 32 bytes of base64");
    }

    #[test]
    fn origins_are_normalised_and_paths_refused() {
        let mut list = GOOD.to_vec();
        list.extend([
            "--allowed-origins",
            "https://a.example/, http://b.example:8081",
        ]);
        assert_eq!(
            args(&list).unwrap().allowed_origins,
            ["https://a.example", "http://b.example:8081"]
        );
        let mut bad = GOOD.to_vec();
        bad.extend(["--allowed-origins", "https://a.example/page"]);
        assert!(
            args(&bad)
                .unwrap_err()
                .to_string()
                .starts_with("SRM_XERO_ALLOWED_ORIGINS: ")
        );
    }

    #[test]
    fn the_key_life_stays_under_the_minutes_xero_keeps_a_key() {
        assert_eq!(args(&GOOD).unwrap().idempotency_key_life, None);
        let mut list = GOOD.to_vec();
        list.extend(["--idempotency-key-life", "250"]);
        assert_eq!(
            args(&list).unwrap().idempotency_key_life,
            Some(Duration::from_secs(250))
        );
        let mut bad = GOOD.to_vec();
        bad.extend(["--idempotency-key-life", "360"]);
        let line = args(&bad).unwrap_err().to_string();
        assert!(
            line.starts_with("SRM_XERO_IDEMPOTENCY_KEY_LIFE: \"360\" is not"),
            "{line}"
        );
    }

    #[test]
    fn debug_output_never_shows_a_secret() {
        let config = args(&GOOD).unwrap();
        let text = format!("{config:?}");
        assert!(!text.contains("0123456789abcdef"), "{text}");
        assert!(!text.contains("AAECAwQF"), "{text}");
        assert!(!text.contains("\"secret\""), "{text}");
    }

    #[test]
    fn the_limits_and_token_rules_have_defaults_and_name_a_bad_value() {
        let config = args(&GOOD).unwrap();
        assert_eq!(config.tokens, TokenRules::default());
        assert_eq!(config.tokens.max_lifetime, Duration::from_hours(12));
        assert_eq!(config.tokens.leeway, Duration::from_mins(1));
        assert_eq!(config.limits, Limits::default());
        let mut set = GOOD.to_vec();
        set.extend([
            "--token-max-lifetime",
            "3600",
            "--token-leeway",
            "0",
            "--rate-limit",
            "5",
            "--max-streams",
            "2",
        ]);
        let config = args(&set).unwrap();
        assert_eq!(config.tokens.max_lifetime, Duration::from_hours(1));
        assert_eq!(config.tokens.leeway, Duration::ZERO);
        assert_eq!(config.limits.per_caller_per_minute, 5);
        assert_eq!(config.limits.max_streams, 2);
        for (flag, value, line) in [
            (
                "--rate-limit",
                "0",
                "SRM_XERO_RATE_LIMIT: \"0\" is not a whole number of requests of at least 1",
            ),
            (
                "--token-leeway",
                "1.5",
                "SRM_XERO_TOKEN_LEEWAY: \"1.5\" is not a whole number of seconds of at least 0",
            ),
            (
                "--request-timeout",
                "soon",
                "SRM_XERO_REQUEST_TIMEOUT: \"soon\" is not a whole number of seconds of at least 1",
            ),
        ] {
            let mut bad = GOOD.to_vec();
            bad.extend([flag, value]);
            assert_eq!(args(&bad).unwrap_err().to_string(), line);
        }
    }

    #[test]
    fn demo_mode_refuses_real_xero_urls_and_a_bind_beyond_loopback() {
        let mut demo = args(&["--demo"]).unwrap();
        let loopback: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        // Xero's own URLs are the defaults: a demo must be pointed at a simulator.
        let line = demo.check_demo(loopback).unwrap_err().to_string();
        assert!(
            line.starts_with("XERO_LOGIN_URL: demo mode talks to a simulated Xero"),
            "{line}"
        );
        for url in [
            &mut demo.xero.login_url,
            &mut demo.xero.identity_url,
            &mut demo.xero.api_url,
        ] {
            *url = "http://127.0.0.1:9999".into();
        }
        assert_eq!(demo.check_demo(loopback), Ok(()));
        assert_eq!(demo.check_demo("[::1]:8080".parse().unwrap()), Ok(()));
        let line = demo
            .check_demo("0.0.0.0:8080".parse().unwrap())
            .unwrap_err()
            .to_string();
        assert_eq!(
            line,
            "SRM_XERO_BIND: demo mode listens on loopback only (127.0.0.1 or ::1), not 0.0.0.0"
        );
        demo.xero.api_url = "https://api.xero.com".into();
        let line = demo.check_demo(loopback).unwrap_err().to_string();
        assert!(line.starts_with("XERO_API_URL: "), "{line}");
        // Outside demo mode, anything goes.
        let real = args(&GOOD).unwrap();
        assert_eq!(real.check_demo("0.0.0.0:8080".parse().unwrap()), Ok(()));
    }

    #[test]
    fn secrets_given_as_flags_are_named_and_environment_ones_are_not() {
        use clap::CommandFactory as _;
        let matches = Args::command()
            .try_get_matches_from(["srm-xero-proxy", "--caller-secret", "x", "--token-key", "y"])
            .unwrap();
        assert_eq!(
            secrets_on_command_line(&matches),
            ["--caller-secret", "--token-key"]
        );
        let none = Args::command()
            .try_get_matches_from(["srm-xero-proxy", "--xero-client-id", "id"])
            .unwrap();
        assert!(secrets_on_command_line(&none).is_empty());
    }

    #[test]
    fn the_close_and_its_alerts_are_optional_and_a_bad_one_is_named_without_its_secret() {
        let none = args(&GOOD).unwrap().close;
        assert!(none.feed.is_none() && none.schedule.is_none());
        assert_eq!(none.zone, chrono_tz::Tz::UTC);
        assert!(none.alerts.webhook.is_none() && none.alerts.email.is_none());

        let mut set = GOOD.to_vec();
        set.extend([
            "--feed-url",
            "https://srm.example/api/gl?tenant=acme",
            "--feed-token",
            "feed-secret",
            "--schedule",
            "30 6 * * 1-5",
            "--timezone",
            "America/Vancouver",
            "--alert-webhook",
            "https://hooks.example/services/T0/B0/hook-secret",
            "--smtp-url",
            "smtps://alerts:smtp-secret@mail.example:465",
            "--alert-email",
            "books@acme.example, owner@acme.example",
        ]);
        let config = args(&set).unwrap();
        let close = &config.close;
        assert_eq!(
            close.schedule.as_ref().unwrap().expression(),
            "30 6 * * 1-5"
        );
        assert_eq!(close.zone, chrono_tz::Tz::America__Vancouver);
        assert_eq!(
            close.alerts.email.as_ref().unwrap().to,
            ["books@acme.example", "owner@acme.example"]
        );
        let shown = format!("{config:?}");
        for secret in ["feed-secret", "hook-secret", "smtp-secret", "tenant=acme"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }

        for (flag, value, line) in [
            (
                "--schedule",
                "6 * *",
                "SRM_XERO_SCHEDULE: \"6 * *\" has 3 fields",
            ),
            (
                "--timezone",
                "Atlantis",
                "SRM_XERO_TIMEZONE: \"Atlantis\" is not an IANA",
            ),
            (
                "--feed-token",
                "t",
                "SRM_XERO_FEED_TOKEN: is set but SRM_XERO_FEED_URL is not",
            ),
            (
                "--alert-webhook",
                "hooks.example/secret-path",
                "SRM_XERO_ALERT_WEBHOOK: is not a URL",
            ),
            (
                "--smtp-url",
                "smtps://u:p@mail.example",
                "SRM_XERO_ALERT_EMAIL: is needed",
            ),
            (
                "--alert-email",
                "books@acme.example",
                "SRM_XERO_SMTP_URL: is needed",
            ),
        ] {
            let mut bad = GOOD.to_vec();
            bad.extend([flag, value]);
            let text = args(&bad).unwrap_err().to_string();
            assert!(text.starts_with(line), "{flag}: {text}");
            assert!(!text.contains("secret-path"), "{text}");
        }
        let mut bad = GOOD.to_vec();
        bad.extend([
            "--smtp-url",
            "smtps://u:p@mail.example",
            "--alert-email",
            "not an address",
        ]);
        let text = args(&bad).unwrap_err().to_string();
        assert!(
            text.starts_with("SRM_XERO_ALERT_EMAIL: \"not an address\""),
            "{text}"
        );
    }
}
