//! `Idempotency-Key` memory: Xero keeps a key for about 6 minutes; the same key with the same
//! request replays the first answer (errors too), the same key with a different request is a 400.

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
}

#[derive(Debug, Clone)]
struct Entry {
    fingerprint: [u8; 32],
    answer: Answer,
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
            Some(e) if e.fingerprint == fingerprint => Lookup::Replay(e.answer.clone()),
            Some(_) => Lookup::Mismatch,
        }
    }

    /// Remembers the first answer to a key for `window`.
    pub fn remember(
        &mut self,
        tenant: &str,
        key: &str,
        fingerprint: [u8; 32],
        answer: Answer,
        now: DateTime<Utc>,
        window: std::time::Duration,
    ) {
        let window = Duration::from_std(window).unwrap_or(Duration::MAX);
        self.entries.insert(
            (tenant.to_owned(), key.to_owned()),
            Entry {
                fingerprint,
                answer,
                expires: now + window,
            },
        );
    }
}
