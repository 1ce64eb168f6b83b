//! The proxy's JSON API: the types the proxy serves and the component reads, defined once.
//!
//! Paths (all under the proxy's origin; `/api/*` needs the caller token as a Bearer token):
//! - `GET /api/connection` → [`ConnectionStatus`]; `POST /api/connection/start` (admin) →
//!   [`ConnectStart`]; `POST /api/connection/organisation` (admin, [`ChooseOrganisation`]);
//!   `DELETE /api/connection` (admin).
//! - `GET /api/reference` → [`ReferenceSnapshot`]; `POST /api/reference/refresh` → the same.
//! - `GET /api/mapping` → [`MappingDocument`]; `PUT /api/mapping` (admin, [`MappingChange`]) →
//!   [`MappingDocument`]; `GET /api/mapping/history` → `Vec<`[`MappingHistoryEntry`]`>` (newest first).
//! - Outside `/api`: `GET /auth/xero/callback` (Xero's redirect; answers a page that tells the
//!   opener [`ConnectionMessage`] by `postMessage` and closes), `GET /health`,
//!   `GET /api/openapi.json` (no token), and the component's assets (`/embed.js`, …).
//! - `POST /api/exported` ([`ExportedLookup`], at most [`EXPORTED_LOOKUP_IDS`] ids a request) →
//!   [`ExportedPostings`].
//! - Accept, in pieces that each fit the body limit: `POST /api/drafts` ([`NewDraft`]) → 201
//!   [`DraftCreated`]; `POST /api/drafts/{draft}/postings` ([`DraftPiece`], at most
//!   [`PIECE_POSTINGS`] postings) → [`DraftReceived`]; `POST /api/drafts/{draft}/accept`
//!   ([`DraftAccept`]) → 201 [`ExportCreated`]; `DELETE /api/drafts/{draft}` → 204.
//! - `GET /api/exports?number=&date=` → `Vec<`[`ExportSummary`]`>`;
//!   `GET /api/exports/{n}` → [`ExportDetail`];
//!   `GET /api/exports/{n}/progress?since=S` → [`Progress`] (and `/events?ticket=…&since=S`,
//!   the same as server-sent events named `progress`, opened with a single-use ticket from
//!   `POST /api/stream-tickets` → 201 [`StreamTicket`], as `EventSource` cannot send the token);
//!   `GET /api/exports/{n}/journals/{key}` → [`JournalDetail`];
//!   `POST /api/exports/{n}/retry` ([`RetryRequest`]) → [`ExportDetail`];
//!   `POST /api/exports/{n}/journals/{key}/void` ([`VoidRequest`]) → [`JournalDetail`];
//!   `POST /api/exports/{n}/journals/{key}/resolve` ([`ResolveRequest`]) → [`JournalDetail`];
//!   `POST /api/exports/{n}/journals/{key}/repost` → 201 [`ExportCreated`] (a journal voided or
//!   deleted in Xero, its postings as a new export).
//! - `GET /api/reconciliation?from=&to=` ([`ReconciliationQuery`]) → [`Reconciliation`].
//! - `GET /api/schedule` → [`ScheduleStatus`]; `POST /api/schedule/run` (admin) → the finished
//!   [`ScheduleRun`].
//!
//! Every error answer is an [`ApiError`].

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::feed::Posting;
use crate::mapping::MappingSettings;
use crate::money::Money;
use crate::objects::objects_only;
use crate::plan::{JournalKey, PlannedJournal};
use crate::problem::Problem;
use crate::xero::reference::ReferenceData;

pub use crate::reconcile::{
    Change, Difference, LineTracking, Reconciliation, ReconciliationRow, XeroJournalChange,
};

objects_only!(serialize and deserialize:
    ChooseOrganisation,
    ExportedLookup,
    NewDraft,
    DraftPiece,
    DraftAccept,
    RetryRequest,
    VoidRequest,
    ResolveRequest,
    MappingChange,
);

/// The one error format of every `/api` answer that is not a success.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiError {
    /// A stable machine-readable code: `unauthorized`, `forbidden`, `bad_request`,
    /// `invalid`, `not_found`, `conflict`, `not_connected`, `reconnect_needed`,
    /// `payload_too_large`, `xero_unavailable`, `internal` (all three 409s are conflicts).
    pub error: String,
    /// A sentence for people, naming what is wrong.
    pub message: String,
    /// Per-journal problems, when the refusal is about journals.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub journals: Vec<JournalProblems>,
}

/// Why one journal was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JournalProblems {
    /// The journal.
    pub key: JournalKey,
    /// What is wrong with it.
    pub problems: Vec<Problem>,
}

/// Where the tenant's Xero connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ConnectionState {
    /// Never connected, or disconnected.
    Disconnected,
    /// Consent given for several organisations: an admin must choose one.
    ChoosingOrganisation,
    /// Connected and healthy.
    Connected,
    /// Xero refused the refresh token: an admin must connect again. Exports wait meanwhile.
    ReconnectNeeded,
}

crate::text_names!(ConnectionState, "connection state", {
    Disconnected => "disconnected",
    ChoosingOrganisation => "choosing_organisation",
    Connected => "connected",
    ReconnectNeeded => "reconnect_needed",
});

/// A Xero organisation the token set can reach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrganisationRef {
    /// Xero's tenant id.
    pub tenant_id: String,
    /// The organisation's name.
    pub name: String,
}

/// `GET /api/connection`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectionStatus {
    /// Where it stands.
    pub state: ConnectionState,
    /// The organisation journals go to.
    pub organisation: Option<OrganisationRef>,
    /// The organisations to choose from, while choosing.
    #[serde(default)]
    pub choices: Vec<OrganisationRef>,
    /// Scopes Xero granted.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// When the tokens were last refreshed.
    pub last_refreshed_at: Option<DateTime<Utc>>,
    /// Who connected it.
    pub connected_by: Option<String>,
    /// What went wrong, in words, when not healthy.
    pub message: Option<String>,
}

/// `POST /api/connection/start`: where to send the admin's popup.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectStart {
    /// Xero's consent page, with state and PKCE bound to this caller.
    pub authorize_url: String,
}

/// `POST /api/stream-tickets` (201): a ticket that opens one progress event stream, because
/// `EventSource` cannot send the caller token in a header. Random, kept in the proxy's memory
/// only, usable once within 30 s; the stream it opens ends when the caller token that got it
/// expires. Get a fresh one for every (re)connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StreamTicket {
    /// Opaque: `GET /api/exports/{n}/events?ticket=…`.
    pub ticket: String,
    /// When it stops being accepted.
    pub expires_at: DateTime<Utc>,
}

/// `POST /api/connection/organisation`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(remote = "Self")]
pub struct ChooseOrganisation {
    /// One of the choices' tenant ids.
    pub tenant_id: String,
}

/// `GET /api/reference`: Xero's reference data as the proxy last read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReferenceSnapshot {
    /// Accounts, tax rates, tracking, organisation.
    pub reference: ReferenceData,
    /// When it was read from Xero.
    pub fetched_at: DateTime<Utc>,
}

/// `GET /api/mapping`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MappingDocument {
    /// The settings.
    pub settings: MappingSettings,
    /// Increases with every change; a change names the version it was made from.
    pub version: u64,
    /// Who changed it last.
    pub updated_by: Option<String>,
    /// When.
    pub updated_at: Option<DateTime<Utc>>,
}

/// `PUT /api/mapping`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(remote = "Self")]
pub struct MappingChange {
    /// The new settings.
    pub settings: MappingSettings,
    /// The version they were edited from (a stale one is a 409). Any JSON number with no
    /// fraction is accepted (`136` or `136.0`), as JSON Schema counts both as integers.
    #[serde(deserialize_with = "whole_number")]
    pub version: u64,
}

/// A `u64` from any JSON number without a fraction: JSON Schema (and so the OpenAPI document)
/// counts `136.0` as the integer 136, so the API accepts it too. Floats are accepted up to 2^53,
/// where every whole number is still exact.
fn whole_number<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<u64, D::Error> {
    struct Whole;
    impl serde::de::Visitor<'_> for Whole {
        type Value = u64;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a whole number of at least 0")
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<u64, E> {
            Ok(v)
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<u64, E> {
            u64::try_from(v).map_err(|_| E::invalid_value(serde::de::Unexpected::Signed(v), &self))
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<u64, E> {
            const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
            if v.fract() == 0.0 && (0.0..=EXACT).contains(&v) {
                // Whole, non-negative and at most 2^53: the conversion is exact.
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                Ok(v as u64)
            } else {
                Err(E::invalid_value(serde::de::Unexpected::Float(v), &self))
            }
        }
    }
    deserializer.deserialize_any(Whole)
}

/// One saved version of the mapping settings: who changed them and when.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MappingHistoryEntry {
    /// The version this change created.
    pub version: u64,
    /// The settings as saved.
    pub settings: MappingSettings,
    /// Who saved them (the caller token's `name`).
    pub changed_by: String,
    /// When.
    pub changed_at: DateTime<Utc>,
}

/// What the OAuth callback page posts to its opener (`window.opener.postMessage`), to each
/// allowed origin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConnectionMessage {
    /// Always `srm-xero-connection`, so the component can recognise it.
    #[serde(rename = "type")]
    pub kind: String,
    /// Whether the connection was made (or an organisation is now to be chosen).
    pub ok: bool,
    /// The connection's state after the callback, when it worked.
    pub state: Option<ConnectionState>,
    /// What happened, in words.
    pub message: String,
}

/// The `type` of a [`ConnectionMessage`].
pub const CONNECTION_MESSAGE_TYPE: &str = "srm-xero-connection";

/// `POST /api/exported`: which of these postings are already exported (at most
/// [`EXPORTED_LOOKUP_IDS`] a request: ask about a big feed in pieces).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(remote = "Self")]
pub struct ExportedLookup {
    /// Posting ids read from the feed.
    pub posting_ids: Vec<String>,
}

/// The answer to [`ExportedLookup`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportedPostings {
    /// Posting id → the export whose posted or in-flight journal holds it.
    pub exported: HashMap<String, u64>,
    /// The latest posting date ever exported (the default "Sync from" is the day after).
    pub last_exported_date: Option<NaiveDate>,
}

/// The most postings one export (one Accept) may hold. The component says so before it sends
/// anything when a feed or file holds more; the proxy refuses a draft that would grow beyond it.
pub const MAX_POSTINGS_PER_EXPORT: u64 = 1_000_000;

/// The most postings in one [`DraftPiece`]: a posting is about 250 bytes of JSON, so a piece is
/// about 1.2 MB, under the default 2 MiB body limit (the component also keeps each piece under
/// [`PIECE_BYTES`], whatever the postings' free text).
pub const PIECE_POSTINGS: usize = 5_000;

/// The most bytes of postings the component puts in one [`DraftPiece`] (half the default body
/// limit).
pub const PIECE_BYTES: usize = 1 << 20;

/// The most posting ids in one [`ExportedLookup`].
pub const EXPORTED_LOOKUP_IDS: usize = 20_000;

/// `POST /api/drafts`: an Accept begins. Its postings follow in pieces; nothing is an export
/// until [`DraftAccept`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(remote = "Self")]
pub struct NewDraft {
    /// Sync from this date.
    pub from: NaiveDate,
}

/// The answer to [`NewDraft`] (201).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DraftCreated {
    /// The draft's id (opaque; only its creator may use it).
    pub draft: String,
    /// At most this many postings a piece ([`PIECE_POSTINGS`]).
    pub piece_postings: u32,
    /// At most this many postings in all ([`MAX_POSTINGS_PER_EXPORT`]).
    pub max_postings: u64,
    /// A draft not accepted by then is dropped.
    pub expires_at: DateTime<Utc>,
}

/// `POST /api/drafts/{draft}/postings`: one piece of the postings. Sending a piece again (after
/// a lost answer) is harmless: a posting already held with the same content is taken once; the
/// same id with other content is refused (409) naming it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(remote = "Self")]
pub struct DraftPiece {
    /// The postings, read from the feed or the file.
    pub postings: Vec<Posting>,
}

/// The answer to [`DraftPiece`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DraftReceived {
    /// Distinct postings the draft holds now.
    pub received: u64,
}

/// `POST /api/drafts/{draft}/accept`: the journals the user accepted (by key). The proxy plans
/// the draft's postings again, one run of posting dates at a time, against the current mapping,
/// the lock dates re-read from Xero and the exported set; each accepted journal must come out of
/// that plan and be postable (422 per journal otherwise; 409 when its postings are in another
/// live journal). The export is stored whole, or nothing is: an accepted draft is consumed (its
/// postings become the export's), a refused one stays as it was until it expires or is deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(remote = "Self")]
pub struct DraftAccept {
    /// The accepted journals.
    pub journals: Vec<JournalKey>,
}

/// The answer to [`DraftAccept`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportCreated {
    /// The Export Transaction #.
    pub number: u64,
}

/// An export's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ExportStatus {
    /// Some journal is pending, posting, failed or needs attention.
    Open,
    /// Every journal is posted or voided.
    Exported,
}

crate::text_names!(ExportStatus, "export status", {
    Open => "open",
    Exported => "exported",
});

/// A journal's state in the export ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum JournalState {
    /// Waiting to be sent.
    Pending,
    /// Sent; the answer is not in yet (or was lost and is being checked).
    Posting,
    /// In Xero.
    Posted,
    /// Refused; see its messages.
    Failed,
    /// Given up by a person, with a reason.
    Voided,
    /// Its outcome could not be confirmed after several Idempotency-Keys: a person checks Xero,
    /// then marks it posted with the ManualJournalID found there, or voids it. Its postings stay
    /// held meanwhile, and nothing sends it again.
    NeedsAttention,
}

crate::text_names!(JournalState, "journal state", {
    Pending => "pending",
    Posting => "posting",
    Posted => "posted",
    Failed => "failed",
    Voided => "voided",
    NeedsAttention => "needs_attention",
});

/// Journals per state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Counts {
    /// Pending.
    pub pending: u32,
    /// Posting.
    pub posting: u32,
    /// Posted.
    pub posted: u32,
    /// Failed.
    pub failed: u32,
    /// Voided.
    pub voided: u32,
    /// Needs attention: outcome unconfirmed, a person must check Xero.
    #[serde(default)]
    pub needs_attention: u32,
}

impl Counts {
    /// All journals.
    pub fn total(&self) -> u32 {
        JournalState::ALL.iter().map(|s| self.of(*s)).sum()
    }

    /// Journals in `state`.
    pub fn of(&self, state: JournalState) -> u32 {
        match state {
            JournalState::Pending => self.pending,
            JournalState::Posting => self.posting,
            JournalState::Posted => self.posted,
            JournalState::Failed => self.failed,
            JournalState::Voided => self.voided,
            JournalState::NeedsAttention => self.needs_attention,
        }
    }

    /// The count of `state`, to change.
    pub fn of_mut(&mut self, state: JournalState) -> &mut u32 {
        match state {
            JournalState::Pending => &mut self.pending,
            JournalState::Posting => &mut self.posting,
            JournalState::Posted => &mut self.posted,
            JournalState::Failed => &mut self.failed,
            JournalState::Voided => &mut self.voided,
            JournalState::NeedsAttention => &mut self.needs_attention,
        }
    }

    /// Journals the worker still has to send or settle (pending or posting).
    pub fn remaining(&self) -> u32 {
        self.pending + self.posting
    }
}

/// The query of `GET /api/exports`: an Export Transaction #, or days — `date` for one, `from`
/// and `to` for a range (inclusive, either end open). An export matches a day when it was synced
/// from it or made on it. Nothing set: the latest exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ExportSearch {
    /// The Export Transaction #.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<u64>,
    /// One day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    /// The first day of a range.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<NaiveDate>,
    /// The last day of a range.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to: Option<NaiveDate>,
}

impl ExportSearch {
    /// The days asked for, as an inclusive range with open ends; `None` when no day is set.
    pub fn days(&self) -> Option<(Option<NaiveDate>, Option<NaiveDate>)> {
        match (self.date, self.from, self.to) {
            (Some(day), _, _) => Some((Some(day), Some(day))),
            (None, None, None) => None,
            (None, from, to) => Some((from, to)),
        }
    }

    /// The query string, `?` included (empty when nothing is set).
    pub fn query(&self) -> String {
        let mut query = String::new();
        let mut add = |name: &str, value: String| {
            query.push(if query.is_empty() { '?' } else { '&' });
            query.push_str(name);
            query.push('=');
            query.push_str(&value);
        };
        if let Some(n) = self.number {
            add("number", n.to_string());
        }
        for (name, day) in [("date", self.date), ("from", self.from), ("to", self.to)] {
            if let Some(day) = day {
                add(name, day.to_string());
            }
        }
        query
    }
}

/// One export in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportSummary {
    /// The Export Transaction #.
    pub number: u64,
    /// Synced from.
    pub from_date: NaiveDate,
    /// When Accept was pressed.
    pub created_at: DateTime<Utc>,
    /// Who pressed it.
    pub created_by: String,
    /// Open or exported.
    pub status: ExportStatus,
    /// Journals per state.
    pub counts: Counts,
    /// The Xero organisation it was accepted for (its journals go nowhere else); `None` for an
    /// export accepted before organisations were recorded and not sent yet.
    #[serde(default)]
    pub organisation: Option<OrganisationRef>,
}

/// Why posting is paused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Waiting {
    /// In words: "Xero's rate limit (minute)", "reconnect needed", …
    pub reason: String,
    /// When posting resumes, when known.
    pub until: Option<DateTime<Utc>>,
}

/// `GET /api/exports/{n}/progress?since=S`, and each server-sent event (`/events?…&since=S`: the
/// first event carries the changes since `S`, each later one the changes since the one before).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Progress {
    /// The export.
    pub number: u64,
    /// Open or exported.
    pub status: ExportStatus,
    /// Journals per state.
    pub counts: Counts,
    /// Why posting is paused, if it is.
    pub waiting: Option<Waiting>,
    /// Seconds until the remaining journals are posted, at the current pace.
    pub eta_seconds: Option<u64>,
    /// Increases with every change, so late events can be recognised and dropped; never reused,
    /// not even across a restart of the proxy.
    pub sequence: u64,
    /// The journals of this export that changed since the `since` asked for (or since the event
    /// before), each once, as its row is now.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<JournalRow>,
    /// Whether `changes` holds every change since then. `false` (no `since` given, or one the
    /// proxy can no longer account for): read the export again.
    #[serde(default)]
    pub complete: bool,
}

/// Who voided a journal, when and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VoidInfo {
    /// Who.
    pub by: String,
    /// When.
    pub at: DateTime<Utc>,
    /// Why.
    pub reason: String,
}

/// One journal in an export's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JournalRow {
    /// The journal key.
    pub key: JournalKey,
    /// The posting date.
    pub date: NaiveDate,
    /// "Division 1", …
    pub group: String,
    /// The narration sent to Xero.
    pub narration: String,
    /// The journal's total (its debits).
    pub total: Money,
    /// Lines.
    pub line_count: u32,
    /// Its state.
    pub state: JournalState,
    /// Xero's ManualJournalID, once posted.
    pub xero_id: Option<String>,
    /// A link to the journal in Xero, once posted.
    pub xero_url: Option<String>,
    /// Xero's messages (and ours), when failed.
    #[serde(default)]
    pub messages: Vec<String>,
    /// Who voided it, when and why.
    pub voided: Option<VoidInfo>,
}

/// `GET /api/exports/{n}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExportDetail {
    /// The export.
    pub summary: ExportSummary,
    /// Its journals.
    pub journals: Vec<JournalRow>,
    /// Why posting is paused, if it is.
    pub waiting: Option<Waiting>,
    /// The journals are as they were at this change ([`Progress::sequence`]): follow the
    /// progress `?since=` it to learn what changed after.
    #[serde(default)]
    pub sequence: u64,
}

/// One event in a journal's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HistoryEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// Who (a person's name, or "srm-xero" for the worker).
    pub who: String,
    /// What happened, in words.
    pub what: String,
}

/// `GET /api/exports/{n}/journals/{key}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct JournalDetail {
    /// Its row.
    pub row: JournalRow,
    /// Its lines and source posting ids, as planned and sent.
    pub journal: PlannedJournal,
    /// Its source SRM postings.
    pub postings: Vec<Posting>,
    /// Created, posted, failed, retried, voided: by whom and when.
    pub history: Vec<HistoryEntry>,
}

/// `POST /api/exports/{n}/retry`: failed journals, re-planned by the proxy with today's mapping
/// from the postings it stored with the export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(remote = "Self")]
pub struct RetryRequest {
    /// The failed journals to retry.
    pub journals: Vec<JournalKey>,
}

/// `POST /api/exports/{n}/journals/{key}/void`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(remote = "Self")]
pub struct VoidRequest {
    /// Why (required, shown in the history).
    pub reason: String,
}

/// `POST /api/exports/{n}/journals/{key}/resolve`: a journal that needs attention was found in
/// Xero by a person; the proxy checks it there (same organisation, narration carrying the
/// journal's key) and marks the journal posted with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(remote = "Self")]
pub struct ResolveRequest {
    /// The ManualJournalID found in Xero.
    pub manual_journal_id: String,
}

/// Why a run of the close started.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RunTrigger {
    /// Its time came round (`SRM_XERO_SCHEDULE`).
    Schedule,
    /// It was missed while the proxy was down, and ran once at start-up.
    StartUp,
    /// An admin started it (`POST /api/schedule/run`).
    Admin,
}

crate::text_names!(RunTrigger, "run trigger", {
    Schedule => "schedule",
    StartUp => "start_up",
    Admin => "admin",
});

/// How a run of the close ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RunOutcome {
    /// Still running.
    Running,
    /// It accepted journals as an export.
    Posted,
    /// It found nothing to post (its message says why).
    Nothing,
    /// It could not run (its message says why).
    Failed,
}

crate::text_names!(RunOutcome, "run outcome", {
    Running => "running",
    Posted => "posted",
    Nothing => "nothing",
    Failed => "failed",
});

/// One run of the unattended close.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScheduleRun {
    /// The run's number.
    pub id: u64,
    /// Why it ran.
    pub trigger: RunTrigger,
    /// The scheduled time it ran for (none for an admin's run).
    pub due_at: Option<DateTime<Utc>>,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// Who started it ("schedule", or the admin's name).
    pub started_by: String,
    /// When it ended.
    pub finished_at: Option<DateTime<Utc>>,
    /// The first day it read.
    pub from: Option<NaiveDate>,
    /// The last day it read (yesterday where the company is).
    pub to: Option<NaiveDate>,
    /// How it ended.
    pub outcome: RunOutcome,
    /// The export it made, when it accepted journals.
    pub export: Option<u64>,
    /// Journals it accepted.
    pub accepted: u32,
    /// Journals it left for a person (problems).
    pub held_back: u32,
    /// Of the journals it accepted, those posted by now.
    pub posted: Option<u32>,
    /// What happened, or why it could not run, in words.
    pub message: Option<String>,
}

/// `GET /api/schedule`: the unattended close.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScheduleStatus {
    /// The cron expression (5 fields), when the close is scheduled.
    pub expression: Option<String>,
    /// The IANA time zone it and "yesterday" are read in.
    pub timezone: String,
    /// Whether the proxy reads SRM's feed itself (`SRM_XERO_FEED_URL`): without it nothing runs.
    pub feed: bool,
    /// When the next run is due.
    pub next_run: Option<DateTime<Utc>>,
    /// Whether a run is going on now.
    pub running: bool,
    /// Runs waiting for the one going on (two runs never overlap).
    pub queued: u32,
    /// The latest runs, newest first.
    pub runs: Vec<ScheduleRun>,
}

/// The query of `GET /api/reconciliation`: the days to compare (inclusive).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::IntoParams))]
#[cfg_attr(feature = "openapi", into_params(parameter_in = Query))]
pub struct ReconciliationQuery {
    /// The first day (`YYYY-MM-DD`).
    pub from: NaiveDate,
    /// The last day (`YYYY-MM-DD`).
    pub to: NaiveDate,
}

impl ReconciliationQuery {
    /// The query string, `?` included.
    pub fn query(&self) -> String {
        format!("?from={}&to={}", self.from, self.to)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(json: &str) -> Result<u64, String> {
        serde_json::from_str::<MappingChange>(&format!(
            r#"{{"settings": {{}}, "version": {json}}}"#
        ))
        .map(|c| c.version)
        .map_err(|e| e.to_string())
    }

    #[test]
    fn a_mapping_version_is_any_whole_json_number() {
        assert_eq!(version("136"), Ok(136));
        assert_eq!(version("136.0"), Ok(136));
        assert_eq!(version("1.36e2"), Ok(136));
        assert_eq!(version("0"), Ok(0));
        assert_eq!(version("18446744073709551615"), Ok(u64::MAX));
        for bad in ["136.5", "-1", "-1.0", "1e300", "\"136\"", "null"] {
            let error = version(bad).unwrap_err();
            assert!(
                error.contains("whole number") || error.contains("invalid type"),
                "{bad}: {error}"
            );
        }
    }
}
