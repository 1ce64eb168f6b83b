//! `Idempotency-Key` memory: Xero keeps a key for about 6 minutes from the first request; the
//! same key with the same request replays the first answer (errors too), the same key with a
//! different request is a 400. A key is known from the moment its first request arrives: while
//! that request is still being handled, the same key finds it running.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use sha2::{Digest as _, Sha256};

/// Xero's documented maximum key length.
pub const MAX_KEY_LEN: usize = 128;

/// A remembered answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

/// What the store says about an incoming keyed request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// Never seen (or forgotten): handle it and `remember` the answer.
    New,
    /// Seen with the same request: send this answer again.
    Replay(Answer),
    /// Seen with a different request.
    Mismatch,
    /// Seen with the same request, which is still being handled.
    Running,
}

#[derive(Debug, Clone)]
struct Entry {
    fingerprint: [u8; 32],
    /// `None` while the first request is being handled.
    answer: Option<Answer>,
    expires: DateTime<Utc>,
}

/// Keys per tenant.
#[derive(Debug, Default)]
pub struct IdempotencyStore {
    entries: HashMap<(String, String), Entry>,
}

/// Identifies a request: method, path with query, and body bytes.
pub fn fingerprint(method: &str, path_and_query: &str, body: &[u8]) -> [u8; 32] {
    let mut hash = Sha256::new();
    hash.update(method.as_bytes());
    hash.update([0]);
    hash.update(path_and_query.as_bytes());
    hash.update([0]);
    hash.update(body);
    hash.finalize().into()
}

impl IdempotencyStore {
    /// Looks a key up, forgetting expired keys first.
    pub fn lookup(
        &mut self,
        tenant: &str,
        key: &str,
        fingerprint: [u8; 32],
        now: DateTime<Utc>,
    ) -> Lookup {
        self.entries.retain(|_, e| e.expires > now);
        match self.entries.get(&(tenant.to_owned(), key.to_owned())) {
            None => Lookup::New,
            Some(e) if e.fingerprint != fingerprint => Lookup::Mismatch,
            Some(Entry {
                answer: Some(answer),
                ..
            }) => Lookup::Replay(answer.clone()),
            Some(_) => Lookup::Running,
        }
    }

    /// Takes the key for a first request arriving at `now`, kept for `window` from then.
    pub fn begin(
        &mut self,
        tenant: &str,
        key: &str,
        fingerprint: [u8; 32],
        now: DateTime<Utc>,
        window: std::time::Duration,
    ) {
        let window = Duration::from_std(window).unwrap_or(Duration::MAX);
        self.entries.insert(
            (tenant.to_owned(), key.to_owned()),
            Entry {
                fingerprint,
                answer: None,
                expires: now + window,
            },
        );
    }

    /// Remembers the first request's answer (kept until the key's window, from `begin`, ends).
    pub fn remember(&mut self, tenant: &str, key: &str, answer: Answer) {
        if let Some(entry) = self.entries.get_mut(&(tenant.to_owned(), key.to_owned())) {
            entry.answer = Some(answer);
        }
    }
}
