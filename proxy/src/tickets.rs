//! Stream tickets: `EventSource` cannot send an `Authorization` header, and a caller token in a
//! URL ends up in access logs, so the component first trades its token (in the header) for a
//! ticket — random, good for [`TICKET_LIFETIME`], usable once, kept in memory only — and opens
//! the event stream with `?ticket=`. The stream ends when the token that got the ticket expires.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, TimeDelta, Utc};

use crate::auth::Caller;
use crate::config::random_text;

/// How long a ticket may wait for its stream.
pub const TICKET_LIFETIME: TimeDelta = TimeDelta::seconds(30);

/// The tickets handed out and not yet used, by ticket.
#[derive(Debug, Default)]
pub struct Tickets {
    open: Mutex<HashMap<String, Issued>>,
}

#[derive(Debug)]
struct Issued {
    caller: Caller,
    expires_at: DateTime<Utc>,
}

/// Why a ticket was refused (a 401 each).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TicketError {
    /// No `?ticket=`.
    #[error("a stream ticket is required (?ticket=…): get one with POST /api/stream-tickets")]
    Missing,
    /// Never issued, already used, or expired.
    #[error(
        "the stream ticket is unknown, used or expired: get a new one with POST /api/stream-tickets for every connection"
    )]
    Refused,
}

impl Tickets {
    /// A new ticket for `caller`, good until the instant answered.
    pub fn issue(&self, caller: &Caller, now: DateTime<Utc>) -> (String, DateTime<Utc>) {
        let ticket = random_text::<32>();
        let expires_at = now + TICKET_LIFETIME;
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.retain(|_, issued| issued.expires_at > now);
        open.insert(
            ticket.clone(),
            Issued {
                caller: caller.clone(),
                expires_at,
            },
        );
        (ticket, expires_at)
    }

    /// Uses `ticket` up: the caller it was issued to, if it is still good at `now`.
    pub fn redeem(&self, ticket: Option<&str>, now: DateTime<Utc>) -> Result<Caller, TicketError> {
        let ticket = ticket
            .filter(|t| !t.is_empty())
            .ok_or(TicketError::Missing)?;
        let issued = self
            .open
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(ticket)
            .ok_or(TicketError::Refused)?;
        if issued.expires_at <= now || issued.caller.expires_at <= now {
            return Err(TicketError::Refused);
        }
        Ok(issued.caller)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(expires_at: DateTime<Utc>) -> Caller {
        Caller {
            sub: "u1".into(),
            name: "Pat".into(),
            scopes: vec!["xero:post".into()],
            expires_at,
        }
    }

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + secs, 0).unwrap()
    }

    #[test]
    fn a_ticket_is_good_once_and_for_thirty_seconds() {
        let tickets = Tickets::default();
        let (ticket, expires_at) = tickets.issue(&caller(at(3600)), at(0));
        assert_eq!(expires_at, at(30));
        assert!(ticket.len() >= 40, "{ticket}");
        assert_eq!(tickets.redeem(Some(&ticket), at(29)), Ok(caller(at(3600))));
        assert_eq!(
            tickets.redeem(Some(&ticket), at(29)),
            Err(TicketError::Refused)
        );
        let (late, _) = tickets.issue(&caller(at(3600)), at(0));
        assert_eq!(
            tickets.redeem(Some(&late), at(30)),
            Err(TicketError::Refused)
        );
        assert_eq!(tickets.redeem(None, at(0)), Err(TicketError::Missing));
        assert_eq!(
            tickets.redeem(Some("forged"), at(0)),
            Err(TicketError::Refused)
        );
    }

    #[test]
    fn tickets_are_random_and_expired_ones_are_forgotten() {
        let tickets = Tickets::default();
        let (a, _) = tickets.issue(&caller(at(3600)), at(0));
        let (b, _) = tickets.issue(&caller(at(3600)), at(0));
        assert_ne!(a, b);
        tickets.issue(&caller(at(3600)), at(31));
        assert_eq!(tickets.open.lock().unwrap().len(), 1);
    }

    #[test]
    fn a_ticket_of_a_token_that_expired_meanwhile_is_refused() {
        let tickets = Tickets::default();
        let (ticket, _) = tickets.issue(&caller(at(10)), at(0));
        assert_eq!(
            tickets.redeem(Some(&ticket), at(10)),
            Err(TicketError::Refused)
        );
    }
}
