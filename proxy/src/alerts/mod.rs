//! Alerts that reach people: an export that finished with failed or needs-attention journals, a
//! scheduled run that left journals with problems or could not run, a connection that needs a
//! reconnect, Xero's daily call limit stopping posting.
//!
//! [`raise`] records an alert once per kind and subject (`UNIQUE (kind, subject)`: raising it
//! again does nothing) with one delivery per destination, in one short SQLite write, and wakes
//! the [`deliver`] task — so posting never waits for a webhook. That task posts the JSON
//! ([`payload`]) to `SRM_XERO_ALERT_WEBHOOK` and emails it ([`email`]), retrying each
//! destination with backoff (1 s, doubling, at most 15 minutes) by the proxy's clock, for a day.
//! The destinations' URLs hold secrets: logs name the destination (`webhook`, `email`), never
//! its URL.

pub mod email;
pub mod payload;
mod store;

use std::collections::HashSet;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use secrecy::{ExposeSecret as _, SecretString};
use srm_xero_shared::api::{ConnectionState, Counts};
use tokio::sync::Notify;
use tokio::task::JoinSet;

use crate::AppState;
use email::Mailer;

/// What an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An export settled with failed or needs-attention journals.
    ExportProblems,
    /// A scheduled run left journals with problems for a person.
    ScheduleProblems,
    /// Xero refused the connection's tokens: an admin must connect again.
    ReconnectNeeded,
    /// A scheduled run could not run.
    ScheduleFailed,
    /// Xero's daily call limit stopped posting.
    DayLimit,
}

impl Kind {
    /// The stored (and sent) name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::ExportProblems => "export_problems",
            Kind::ScheduleProblems => "schedule_problems",
            Kind::ReconnectNeeded => "reconnect_needed",
            Kind::ScheduleFailed => "schedule_failed",
            Kind::DayLimit => "day_limit",
        }
    }
}

/// What one alert of a kind is about: at most one alert per kind and subject is ever sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// An export.
    Export(u64),
    /// A scheduled run.
    Run(i64),
    /// A day (Xero's daily limit).
    Day(NaiveDate),
    /// A connection, by when its tokens were last refreshed: one alert until it is connected
    /// again.
    Connection(DateTime<Utc>),
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Subject::Export(n) => write!(f, "export {n}"),
            Subject::Run(n) => write!(f, "run {n}"),
            Subject::Day(day) => write!(f, "day {day}"),
            Subject::Connection(at) => write!(f, "connection refreshed {}", at.to_rfc3339()),
        }
    }
}

/// One alert to raise.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Which kind.
    pub kind: Kind,
    /// About what (with the kind, its identity).
    pub subject: Subject,
    /// The export, when there is one.
    pub export: Option<u64>,
    /// The scheduled run, when it is about one.
    pub run: Option<i64>,
    /// Counts worth reading (journals per state, or accepted and held back).
    pub counts: Option<serde_json::Value>,
    /// What happened, in words (free text from SRM and Xero included, as found).
    pub message: String,
    /// The Xero organisation's name.
    pub organisation: Option<String>,
}

/// Where alerts go, built once at start-up.
#[derive(Debug, Clone, Default)]
pub struct Destinations {
    webhook: Option<SecretString>,
    mailer: Option<Mailer>,
    http: Option<reqwest::Client>,
}

/// How long a webhook may take to answer.
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest wait between two tries of one delivery.
const MAX_BACKOFF: TimeDelta = TimeDelta::minutes(15);
/// How long a delivery is tried before it is given up (and logged).
const GIVE_UP_AFTER: TimeDelta = TimeDelta::days(1);

/// A delivery channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    /// `SRM_XERO_ALERT_WEBHOOK`.
    Webhook,
    /// `SRM_XERO_SMTP_URL` to `SRM_XERO_ALERT_EMAIL`.
    Email,
}

impl Channel {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Webhook => "webhook",
            Channel::Email => "email",
        }
    }
}

impl Destinations {
    /// The destinations of the settings.
    pub fn new(settings: &crate::config::AlertSettings) -> Result<Destinations, String> {
        let http = settings
            .webhook
            .as_ref()
            .map(|_| {
                reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .timeout(WEBHOOK_TIMEOUT)
                    .user_agent(concat!("srm-xero-proxy/", env!("CARGO_PKG_VERSION")))
                    .build()
                    .map_err(|e| format!("the alert webhook's HTTP client cannot start: {e}"))
            })
            .transpose()?;
        let mailer = settings.email.as_ref().map(Mailer::new).transpose()?;
        Ok(Destinations {
            webhook: settings.webhook.clone(),
            mailer,
            http,
        })
    }

    /// The channels configured.
    pub fn channels(&self) -> Vec<Channel> {
        let mut out = Vec::new();
        if self.webhook.is_some() {
            out.push(Channel::Webhook);
        }
        if self.mailer.is_some() {
            out.push(Channel::Email);
        }
        out
    }

    /// Sends `payload` (the alert's JSON) on `channel`; the error is in words, without the
    /// destination's URL.
    async fn send(&self, channel: Channel, payload: &str) -> Result<(), String> {
        match channel {
            Channel::Webhook => {
                let (Some(url), Some(http)) = (&self.webhook, &self.http) else {
                    return Err("no webhook is configured".into());
                };
                let answer = http
                    .post(url.expose_secret())
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(payload.to_owned())
                    .send()
                    .await
                    .map_err(|e| {
                        if e.is_timeout() {
                            "the webhook did not answer in time".to_owned()
                        } else {
                            "the webhook cannot be reached".to_owned()
                        }
                    })?;
                if answer.status().is_success() {
                    Ok(())
                } else {
                    Err(format!("the webhook answered {}", answer.status()))
                }
            }
            Channel::Email => {
                let Some(mailer) = &self.mailer else {
                    return Err("no email is configured".into());
                };
                mailer.send(payload).await
            }
        }
    }
}

/// What the alerts share with the rest of the proxy: where they go and the wake-up of the
/// delivery task.
#[derive(Debug, Clone, Default)]
pub struct Alerts {
    destinations: Destinations,
    wake: Arc<Notify>,
}

impl Alerts {
    /// Alerts to these destinations.
    pub fn new(destinations: Destinations) -> Alerts {
        Alerts {
            destinations,
            wake: Arc::new(Notify::new()),
        }
    }
}

/// Where an alert points people: SRM's site (the first allowed origin), or the proxy's own page
/// in demo mode.
fn link(state: &AppState) -> String {
    if !state.config().demo
        && let Some(origin) = state.config().allowed_origins.first()
    {
        return origin.clone();
    }
    format!("{}/", state.public_url())
}

/// Raises `alert` once: recorded with its deliveries and handed to the delivery task. Raising
/// the same kind and subject again does nothing. Never waits for a destination.
pub async fn raise(state: &AppState, alert: &Alert) {
    let now = state.now();
    let payload = payload::build(alert, &link(state), now);
    let channels = state.alerts().destinations.channels();
    let (stored, text) = (alert.clone(), payload.text.clone());
    match state
        .db()
        .write(move |c| store::insert(c, &stored, &payload, &channels, now))
        .await
    {
        Ok(true) => {
            tracing::warn!(kind = alert.kind.as_str(), subject = %alert.subject, %text, "alert raised");
            state.alerts().wake.notify_one();
        }
        Ok(false) => {}
        Err(e) => tracing::error!(error = %e, kind = alert.kind.as_str(), "cannot record an alert"),
    }
}

/// Raises the export alert when export `number` has settled (nothing pending or posting) with
/// failed or needs-attention journals.
pub async fn export_settled(
    state: &AppState,
    number: u64,
    counts: &Counts,
    organisation: Option<&str>,
) {
    if counts.remaining() > 0 || counts.failed + counts.needs_attention == 0 {
        return;
    }
    let message = format!(
        "{} posted, {} failed, {} need attention, {} voided: open export #{number} to retry, \
         resolve or void them.",
        counts.posted, counts.failed, counts.needs_attention, counts.voided
    );
    raise(
        state,
        &Alert {
            kind: Kind::ExportProblems,
            subject: Subject::Export(number),
            export: Some(number),
            run: None,
            counts: serde_json::to_value(counts).ok(),
            message,
            organisation: organisation.map(str::to_owned),
        },
    )
    .await;
}

/// Raises the reconnect alert when the connection needs one (once per connection).
pub async fn reconnect_if_needed(state: &AppState) {
    let Ok(status) = state.connections().status().await else {
        return;
    };
    if status.state != ConnectionState::ReconnectNeeded {
        return;
    }
    let since = status.last_refreshed_at.unwrap_or_else(|| state.now());
    raise(
        state,
        &Alert {
            kind: Kind::ReconnectNeeded,
            subject: Subject::Connection(since),
            export: None,
            run: None,
            counts: None,
            message: status.message.unwrap_or_else(|| {
                "Xero no longer accepts this connection: an admin must connect again. Exports wait meanwhile.".into()
            }),
            organisation: status.organisation.map(|o| o.name),
        },
    )
    .await;
}

/// Raises the daily-limit alert (once per day in the close's time zone).
pub async fn day_limit(state: &AppState, until: DateTime<Utc>) {
    let zone = state.config().close.zone;
    let organisation = state.hub().organisation().map(|o| o.name);
    raise(
        state,
        &Alert {
            kind: Kind::DayLimit,
            subject: Subject::Day(state.now().with_timezone(&zone).date_naive()),
            export: None,
            run: None,
            counts: None,
            message: format!(
                "Xero's daily call limit is used up: posting waits until about {} (UTC) and then \
                 carries on by itself.",
                until.format("%Y-%m-%d %H:%M")
            ),
            organisation,
        },
    )
    .await;
}

/// The delivery task: starts every due delivery (each on its own, so a webhook that hangs holds
/// up nothing else), records how each went, and sleeps until the next is due or an alert is
/// raised. Runs until aborted.
pub async fn deliver(state: AppState) {
    /// How often a wait for a retry looks at the clock (tests move a frozen clock).
    const TICK: Duration = Duration::from_millis(100);
    let alerts = state.alerts().clone();
    let mut sending: JoinSet<()> = JoinSet::new();
    let in_flight: Arc<Mutex<HashSet<(i64, Channel)>>> = Arc::default();
    loop {
        while sending.try_join_next().is_some() {}
        let now = state.now();
        let due = state
            .db()
            .read(move |c| store::due(c, now))
            .await
            .inspect_err(|e| tracing::error!(error = %e, "cannot read the alerts to send"))
            .unwrap_or_default();
        for delivery in due {
            let key = (delivery.alert, delivery.channel);
            if !lock(&in_flight).insert(key) {
                continue;
            }
            let (state, in_flight) = (state.clone(), Arc::clone(&in_flight));
            sending.spawn(async move {
                send_one(&state, &delivery).await;
                lock(&in_flight).remove(&key);
                state.alerts().wake.notify_one();
            });
        }
        let waiting = undelivered(&state).await.map_or(true, |n| n > 0);
        let pause = if waiting {
            TICK
        } else {
            Duration::from_mins(1)
        };
        let _ = tokio::time::timeout(pause, alerts.wake.notified()).await;
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// One try of one delivery, recorded: delivered, or due again after its backoff (given up a
/// day after the alert was raised).
async fn send_one(state: &AppState, delivery: &store::Due) {
    let sent = state
        .alerts()
        .destinations
        .send(delivery.channel, &delivery.payload)
        .await;
    let now = state.now();
    let attempts = delivery.attempts + 1;
    let (outcome, due) = (sent.clone(), delivery.clone());
    let recorded = state
        .db()
        .write(move |c| match &outcome {
            Ok(()) => store::delivered(c, &due, now),
            Err(why) => {
                let give_up = now - due.raised_at >= GIVE_UP_AFTER;
                store::failed(
                    c,
                    &due,
                    why,
                    now + backoff(attempts),
                    give_up.then_some(now),
                )
            }
        })
        .await;
    if let Err(e) = recorded {
        tracing::error!(error = %e, "cannot record an alert's delivery");
    }
    let channel = delivery.channel.as_str();
    match sent {
        Ok(()) => tracing::info!(channel, alert = delivery.alert, "alert delivered"),
        Err(why) => {
            tracing::warn!(channel, alert = delivery.alert, attempts, %why, "alert not delivered; trying again later");
        }
    }
}

/// Deliveries still to be made (neither delivered nor given up).
pub async fn undelivered(state: &AppState) -> rusqlite::Result<u64> {
    state.db().read(store::undelivered).await
}

/// The wait before try `attempt + 1`: 1 s, doubling, at most [`MAX_BACKOFF`].
pub fn backoff(attempt: u32) -> TimeDelta {
    let seconds = 1i64 << attempt.saturating_sub(1).min(20);
    TimeDelta::seconds(seconds).min(MAX_BACKOFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_to_a_quarter_of_an_hour() {
        assert_eq!(backoff(1), TimeDelta::seconds(1));
        assert_eq!(backoff(2), TimeDelta::seconds(2));
        assert_eq!(backoff(5), TimeDelta::seconds(16));
        assert_eq!(backoff(11), TimeDelta::minutes(15));
        assert_eq!(backoff(u32::MAX), TimeDelta::minutes(15));
    }

    #[test]
    fn subjects_name_what_an_alert_is_about() {
        assert_eq!(Subject::Export(12).to_string(), "export 12");
        assert_eq!(Subject::Run(3).to_string(), "run 3");
        assert_eq!(
            Subject::Day(NaiveDate::from_ymd_opt(2019, 8, 20).unwrap()).to_string(),
            "day 2019-08-20"
        );
    }
}
