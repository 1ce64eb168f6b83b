//! What an alert says: one JSON object with a `text` field (so a Slack or Teams incoming webhook
//! shows it as it is) beside the structured fields a program reads — `kind`, `export`, `run`,
//! `counts`, `message`, `organisation`, `link` and `raised_at`. Free text (a division, Xero's
//! message) goes into `message` exactly; in `text`, `&`, `<` and `>` are written as entities, as
//! Slack asks, so no text from SRM or Xero can become a mention or a link there.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{Alert, Kind};

/// The longest `message` quoted in `text` (the structured `message` is always whole).
const TEXT_MESSAGE_CHARS: usize = 2_000;

/// The JSON body posted to the webhook (and the email's words).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Payload {
    /// One paragraph for people.
    pub text: String,
    /// The headline (an email's subject), without free text.
    pub title: String,
    /// Which alert: `export_problems`, `schedule_problems`, `reconnect_needed`,
    /// `schedule_failed`, `day_limit`.
    pub kind: &'static str,
    /// What it is about, stable: alerts are sent once per kind and subject.
    pub subject: String,
    /// The export, when there is one.
    pub export: Option<u64>,
    /// The scheduled run, when it is about one.
    pub run: Option<i64>,
    /// Journals per state (an export), or accepted and held back (a scheduled run).
    pub counts: Option<serde_json::Value>,
    /// What happened, in words, exactly as found.
    pub message: String,
    /// The Xero organisation.
    pub organisation: Option<String>,
    /// Where to look.
    pub link: String,
    /// When it was raised.
    pub raised_at: DateTime<Utc>,
}

/// Writes `text` so Slack shows it as text: `&`, `<`, `>` as entities (Slack's own rule).
pub fn escaped(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            other => out.push(other),
        }
    }
    out
}

/// At most `max` characters of `text`, with `…` when cut.
fn clipped(text: &str, max: usize) -> String {
    let mut out: String = text.chars().take(max).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

/// The headline of an alert of `kind`.
pub fn headline(alert: &Alert) -> String {
    let export = alert.export.map(|n| format!(" #{n}")).unwrap_or_default();
    match alert.kind {
        Kind::ExportProblems => format!("Export{export} finished with journals that need a person"),
        Kind::ScheduleProblems => format!(
            "The scheduled close{} left journals with problems for a person",
            if export.is_empty() {
                String::new()
            } else {
                format!(" (export{export})")
            }
        ),
        Kind::ReconnectNeeded => "Xero needs to be connected again".to_owned(),
        Kind::ScheduleFailed => "The scheduled close could not run".to_owned(),
        Kind::DayLimit => "Xero's daily call limit stopped posting".to_owned(),
    }
}

/// The payload of `alert`, raised at `raised_at`, pointing at `link`.
pub fn build(alert: &Alert, link: &str, raised_at: DateTime<Utc>) -> Payload {
    let organisation = alert
        .organisation
        .as_deref()
        .map(|o| format!(" ({})", escaped(o)))
        .unwrap_or_default();
    let title = headline(alert);
    let text = format!(
        "SRM → Xero: {title}{organisation}. {} Open Post Xero Journals: {}",
        escaped(&clipped(&alert.message, TEXT_MESSAGE_CHARS)),
        escaped(link)
    );
    Payload {
        text,
        title,
        kind: alert.kind.as_str(),
        subject: alert.subject.to_string(),
        export: alert.export,
        run: alert.run,
        counts: alert.counts.clone(),
        message: alert.message.clone(),
        organisation: alert.organisation.clone(),
        link: link.to_owned(),
        raised_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::Subject;
    use proptest::prelude::*;

    fn at() -> DateTime<Utc> {
        DateTime::from_timestamp(1_566_291_600, 0).unwrap()
    }

    fn alert(message: &str, organisation: Option<&str>) -> Alert {
        Alert {
            kind: Kind::ExportProblems,
            subject: Subject::Export(12),
            export: Some(12),
            run: None,
            counts: Some(serde_json::json!({"posted": 10, "failed": 2})),
            message: message.to_owned(),
            organisation: organisation.map(str::to_owned),
        }
    }

    /// Undoes [`escaped`].
    fn unescaped(text: &str) -> String {
        text.replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&")
    }

    #[test]
    fn an_export_alert_reads_as_a_sentence_and_carries_its_fields() {
        let payload = build(
            &alert("2 failed (Division <Turkey Creek> & co)", Some("Acme")),
            "https://acme.srm.example",
            at(),
        );
        assert_eq!(
            payload.text,
            "SRM → Xero: Export #12 finished with journals that need a person (Acme). 2 failed \
             (Division &lt;Turkey Creek&gt; &amp; co) Open Post Xero Journals: https://acme.srm.example"
        );
        let json = serde_json::to_value(&payload).unwrap();
        assert_eq!(json["kind"], "export_problems");
        assert_eq!(json["subject"], "export 12");
        assert_eq!(json["export"], 12);
        assert_eq!(json["counts"]["failed"], 2);
        assert_eq!(json["message"], "2 failed (Division <Turkey Creek> & co)");
    }

    proptest! {
        /// Whatever SRM or Xero wrote, the payload is JSON that gives it back exactly, and its
        /// `text` holds no `<` or `>` that Slack would read as a mention or a link.
        #[test]
        fn any_free_text_round_trips_and_never_becomes_markup(
            message in any::<String>(),
            organisation in proptest::option::of(any::<String>()),
        ) {
            let payload = build(&alert(&message, organisation.as_deref()), "https://srm.example/x?a=1&b=2", at());
            let text = serde_json::to_string(&payload).unwrap();
            let back: serde_json::Value = serde_json::from_str(&text).unwrap();
            prop_assert_eq!(back["message"].as_str().unwrap(), message.as_str());
            prop_assert_eq!(back["organisation"].as_str(), organisation.as_deref());
            let shown = back["text"].as_str().unwrap();
            prop_assert!(!shown.contains('<') && !shown.contains('>'));
            if message.chars().count() <= TEXT_MESSAGE_CHARS {
                prop_assert!(unescaped(shown).contains(&message));
            }
        }
    }
}
