//! Every way a call can fail, said so the user knows what happened and what to do.

use std::fmt::Write as _;

use srm_xero_shared::FeedError;
use srm_xero_shared::api::{ApiError, JournalProblems, MAX_POSTINGS_PER_EXPORT};

use crate::format::count;

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
    /// The journals the proxy refused, each with its problems (a 422 about journals).
    pub journals: Vec<JournalProblems>,
}

impl Failure {
    pub(crate) fn new(kind: FailureKind, message: impl Into<String>) -> Failure {
        Failure {
            kind,
            message: message.into(),
            journals: Vec::new(),
        }
    }

    /// The failure of a backend that does not offer a call (tests).
    pub fn unavailable() -> Failure {
        Failure::new(FailureKind::Other, "This is not available here.")
    }

    /// Classifies a proxy answer that is not a success (its body an [`ApiError`], or not).
    pub fn from_answer(status: u16, body: &str) -> Failure {
        let error: Option<ApiError> = serde_json::from_str(body).ok();
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
                for journal in error.iter().flat_map(|e| &e.journals) {
                    let n = journal.problems.len();
                    let _ = write!(
                        text,
                        " Journal {} has {n} problem{} now: press Preview again to see {} with {} fix.",
                        journal.key,
                        if n == 1 { "" } else { "s" },
                        if n == 1 { "it" } else { "them" },
                        if n == 1 { "its" } else { "their" },
                    );
                }
                let mut failure = Failure::new(FailureKind::Refused, text);
                failure.journals = error.map(|e| e.journals).unwrap_or_default();
                failure
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

    /// A success whose body is not what this page expects.
    pub fn unreadable(error: &serde_json::Error) -> Failure {
        Failure::new(
            FailureKind::Other,
            format!(
                "The Xero proxy's answer could not be read ({error}). The proxy and this page may be different versions: reload the page."
            ),
        )
    }
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

/// A feed page that does not parse.
pub fn feed_invalid(error: &FeedError, page: usize) -> Failure {
    Failure::new(
        FailureKind::FeedInvalid,
        format!(
            "SRM's G/L feed could not be read (page {page}): {error}. Nothing was posted; tell SRM support."
        ),
    )
}

/// A dropped CSV file that cannot be used.
pub fn file_invalid(name: &str, error: &FeedError) -> Failure {
    Failure::new(
        FailureKind::FeedInvalid,
        format!(
            "The file {name} is not SRM's G/L detail report: {error}. Nothing was posted; correct the file and drop it again."
        ),
    )
}

/// `count` postings read from `source` can go in one export; else why not, and what to do:
/// nothing is sent then (`fix` says how to make it smaller).
pub fn within_limit(count_read: usize, source: &str, fix: &str) -> Result<(), Failure> {
    let read = u64::try_from(count_read).unwrap_or(u64::MAX);
    if read <= MAX_POSTINGS_PER_EXPORT {
        return Ok(());
    }
    Err(Failure::new(
        FailureKind::FeedInvalid,
        format!(
            "{source} holds {} postings or more, more than the {} one export can hold: nothing was sent. {fix}",
            count(read),
            count(MAX_POSTINGS_PER_EXPORT)
        ),
    ))
}

/// A dropped file the browser could not read.
pub fn file_unreadable(name: &str) -> Failure {
    Failure::new(
        FailureKind::FeedInvalid,
        format!("The file {name} could not be read. Choose it again."),
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
        assert_eq!(refused.journals.len(), 1);
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
        let too_many =
            within_limit(1_000_001, "SRM's G/L feed", "Choose a later date.").unwrap_err();
        assert_eq!(
            too_many.message,
            "SRM's G/L feed holds 1,000,001 postings or more, more than the 1,000,000 one export can hold: nothing was sent. Choose a later date."
        );
        assert!(within_limit(1_000_000, "SRM's G/L feed", "").is_ok());
        let garbled = Failure::from_answer(500, "<html>");
        assert!(garbled.message.contains("status 500"));
        assert!(
            Failure::proxy_down("https://p.example")
                .message
                .contains("cannot be reached")
        );
        let unreadable = serde_json::from_str::<u8>("\"x\"").unwrap_err();
        assert!(
            Failure::unreadable(&unreadable)
                .message
                .contains("different versions: reload the page")
        );
    }
}
