//! Faults on demand for the accounting API (`/api.xro/2.0/…`): the next N calls, or every Nth
//! call (optionally only those of one HTTP method), answer an error status, wait, wait until
//! released, are handled normally — journals saved — and then lose their connection without an
//! answer, or lose it at once and are handled a few seconds later.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

/// What a faulty call does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// Answer this status (500, 503, 429 …) without handling the call. A 429 carries
    /// `Retry-After: retry_after` (default 1) and `X-Rate-Limit-Problem: minute`.
    Status {
        status: u16,
        #[serde(default)]
        retry_after: Option<u64>,
    },
    /// Wait this long (real time: meant for client timeouts), then handle the call normally.
    Delay { ms: u64 },
    /// Keep the call in flight until `SimHandle::release_held` (or `POST /_sim/release`).
    Hold,
    /// Handle the call — journals are saved — then close the connection without answering.
    DropAfterSave,
    /// Close the connection at once, and handle the call `after_ms` later by the simulator's
    /// clock (a reset between a load balancer and the client while Xero carries on): counted in
    /// flight meanwhile, its Idempotency-Key taken from the start, so the same key meanwhile finds
    /// it running and afterwards gets its answer. A GET is answered and dropped.
    DropThenSave { after_ms: u64 },
}

/// A fault request: `count` calls matching `method` (any when `None`) get `kind` — the next
/// ones, or with `every` N only each Nth matching call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    #[serde(flatten)]
    pub kind: FaultKind,
    #[serde(default = "one")]
    pub count: u32,
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub every: Option<u32>,
    /// Matching calls seen so far (for `every`).
    #[serde(skip)]
    seen: u32,
}

fn one() -> u32 {
    1
}

impl Fault {
    /// The next `count` API calls of any method get `kind`.
    pub fn next(count: u32, kind: FaultKind) -> Self {
        Fault {
            kind,
            count,
            method: None,
            every: None,
            seen: 0,
        }
    }

    /// Every `n`th API call from now on (the `n`th, the `2n`th, …) gets `kind`.
    pub fn every(n: u32, kind: FaultKind) -> Self {
        Fault {
            every: Some(n.max(1)),
            ..Fault::next(u32::MAX, kind)
        }
    }

    /// The next `count` API calls answer `status` (no `Retry-After` of its own choosing).
    pub fn status(count: u32, status: u16) -> Self {
        Fault::next(
            count,
            FaultKind::Status {
                status,
                retry_after: None,
            },
        )
    }

    /// Only calls with this HTTP method (e.g. "PUT") are affected.
    #[must_use]
    pub fn only(mut self, method: &str) -> Self {
        self.method = Some(method.to_ascii_uppercase());
        self
    }
}

/// Pending faults, applied in the order they were added.
#[derive(Debug, Default)]
pub struct FaultQueue {
    queue: VecDeque<Fault>,
}

impl FaultQueue {
    pub fn push(&mut self, fault: Fault) {
        if fault.count > 0 {
            self.queue.push_back(fault);
        }
    }

    pub fn clear(&mut self) {
        self.queue.clear();
    }

    /// Faults not yet used up.
    pub fn pending(&self) -> Vec<Fault> {
        self.queue.iter().cloned().collect()
    }

    /// Takes the fault for a call with `method`, if one is queued for it (a periodic fault
    /// counts the call either way).
    pub fn take(&mut self, method: &str) -> Option<FaultKind> {
        let index = self.queue.iter_mut().position(|f| {
            let matches = f
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method));
            match f.every {
                Some(n) if matches => {
                    f.seen += 1;
                    f.seen % n == 0
                }
                _ => matches,
            }
        })?;
        let fault = &mut self.queue[index];
        let kind = fault.kind;
        fault.count -= 1;
        if fault.count == 0 {
            self.queue.remove(index);
        }
        Some(kind)
    }
}
