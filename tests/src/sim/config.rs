//! The simulator's settings: the registered app, token lifetimes, limits, and the switches for
//! Xero behaviour that XERO.md marks **unconfirmed** (so a test can run either way).

use std::time::Duration;

/// Scopes a granular ("new") app may receive by default.
pub const GRANULAR_SCOPES: &str = "openid profile email offline_access accounting.manualjournals accounting.manualjournals.read accounting.settings accounting.settings.read";

/// Scopes an app created before 2 March 2026 may also receive.
pub const BROAD_SCOPES: &str = "accounting.transactions accounting.transactions.read";

/// The Xero app the simulator knows (one app per simulator).
#[derive(Debug, Clone)]
pub struct AppRegistration {
    pub client_id: String,
    pub client_secret: String,
    /// Redirect URIs compared exactly, as Xero does.
    pub redirect_uris: Vec<String>,
    /// Scopes this app may be granted; asking for anything else answers `invalid_scope`.
    pub allowed_scopes: Vec<String>,
}

impl Default for AppRegistration {
    fn default() -> Self {
        AppRegistration {
            client_id: "SIMCLIENTID0000000000000000000001".into(),
            client_secret: "sim-client-secret".into(),
            redirect_uris: vec!["http://127.0.0.1:8080/auth/xero/callback".into()],
            allowed_scopes: GRANULAR_SCOPES.split(' ').map(String::from).collect(),
        }
    }
}

impl AppRegistration {
    /// Lets this app also receive the broad `accounting.transactions` scopes (an "old" app).
    #[must_use]
    pub fn with_broad_scopes(mut self) -> Self {
        self.allowed_scopes
            .extend(BROAD_SCOPES.split(' ').map(String::from));
        self
    }
}

/// Per-tenant rate limits (XERO.md "Rate limits").
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub concurrent: u32,
    pub per_minute: u32,
    pub per_day: u32,
    pub app_per_minute: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            concurrent: 5,
            per_minute: 60,
            per_day: 5000,
            app_per_minute: 10_000,
        }
    }
}

/// The order of elements in a ManualJournals answer. XERO.md: whether Xero keeps the request's order
/// is unconfirmed, so the product must match by Narration key; `Reversed`/`Shuffled` prove it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ElementOrder {
    #[default]
    AsSent,
    Reversed,
    /// A deterministic shuffle driven by this seed.
    Shuffled(u64),
}

/// How the elements of a ManualJournals answer echo their narration. Xero echoes it as sent as far
/// as anyone knows; the others prove the product pairs elements with journals without relying on
/// that.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum NarrationEcho {
    #[default]
    AsSent,
    /// This text, then the narration.
    Prefixed(String),
    /// The narration, then this text.
    Suffixed(String),
}

impl NarrationEcho {
    /// The narration as echoed.
    pub fn echo(&self, narration: &str) -> String {
        match self {
            NarrationEcho::AsSent => narration.to_owned(),
            NarrationEcho::Prefixed(extra) => format!("{extra}{narration}"),
            NarrationEcho::Suffixed(extra) => format!("{narration}{extra}"),
        }
    }
}

/// What a request gets while an earlier request under the same Idempotency-Key is still being
/// handled (unconfirmed in XERO.md; common practice is a 409).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyInProgress {
    /// 409 Conflict: ask again later.
    #[default]
    Conflict,
    /// Held until the first request is done, then its answer.
    Wait,
}

/// What to do with a `LineAmount` of more than two decimals (unconfirmed in XERO.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ThirdDecimal {
    /// A validation error on the journal (the default: the product must never send one).
    #[default]
    Refuse,
    /// Round half away from zero to cents and carry on.
    Round,
}

/// Behaviour switches and lifetimes.
#[allow(clippy::struct_excessive_bools)] // Each bool is an independent Xero quirk switch.
#[derive(Debug, Clone)]
pub struct Settings {
    pub access_token_lifetime: Duration,
    pub refresh_grace: Duration,
    pub refresh_unused_expiry: Duration,
    pub code_lifetime: Duration,
    pub idempotency_window: Duration,
    pub limits: Limits,
    /// Approve the consent page without showing it (tests without a browser).
    pub auto_approve: bool,
    pub element_order: ElementOrder,
    pub narration_echo: NarrationEcho,
    pub key_in_progress: KeyInProgress,
    pub third_decimal: ThirdDecimal,
    /// Reported: a summarised 400 still created the valid journals of the call (without IDs).
    pub save_valid_in_failed_batch: bool,
    /// Unconfirmed: bank accounts refuse manual-journal lines.
    pub refuse_bank_accounts: bool,
    /// Reported: a Tracking entry with a Name but no Option is silently dropped (else an error).
    pub drop_tracking_without_option: bool,
    /// Unconfirmed limits; `None` means no limit.
    pub max_narration: Option<usize>,
    pub max_description: Option<usize>,
    /// Journals per page of a paged GET.
    pub page_size: usize,
    /// Unconfirmed: whether `GET /ManualJournals` lists deleted journals (with Status DELETED)
    /// or leaves them out, as it may.
    pub list_deleted: bool,
    /// `/connections` dates as in the spec's own example (`2019-12-07T18:46:19.5165400`, no
    /// offset, which fails the spec's `date-time` format) instead of RFC 3339 with `Z`.
    pub connection_dates_without_offset: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            access_token_lifetime: Duration::from_mins(30),
            refresh_grace: Duration::from_mins(30),
            refresh_unused_expiry: Duration::from_hours(60 * 24),
            code_lifetime: Duration::from_mins(5),
            idempotency_window: Duration::from_mins(6),
            limits: Limits::default(),
            auto_approve: false,
            element_order: ElementOrder::AsSent,
            narration_echo: NarrationEcho::AsSent,
            key_in_progress: KeyInProgress::Conflict,
            third_decimal: ThirdDecimal::Refuse,
            save_valid_in_failed_batch: false,
            refuse_bank_accounts: false,
            drop_tracking_without_option: true,
            max_narration: Some(4000),
            max_description: Some(4000),
            page_size: 100,
            list_deleted: true,
            connection_dates_without_offset: false,
        }
    }
}
