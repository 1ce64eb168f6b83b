//! Time as a parameter: everything that judges expiry reads a [`Clock`], so tests move time
//! instead of waiting.

use std::sync::Arc;

use chrono::{DateTime, Utc};

/// The current instant.
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The real clock.
pub fn system() -> Clock {
    Arc::new(Utc::now)
}
