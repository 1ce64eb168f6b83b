//! The pure domain of srm-xero: everything that decides what reaches Xero, once.
//!
//! The browser (to preview) and the proxy (to enforce) call the same functions: parse SRM's G/L feed
//! ([`feed`]), apply the tenant's [`mapping`], [`plan`] postings into journals, [`validate`] them
//! against Xero's reference data, and speak Xero's wire format ([`xero`]). No I/O, no clocks: every
//! input, including "today", is a parameter. Builds for native and `wasm32-unknown-unknown`.

#![warn(missing_docs)]

pub mod amount;
pub mod api;
pub mod day;
pub mod feed;
pub mod mapping;
pub mod money;
pub mod names;
pub mod objects;
pub mod plan;
pub mod problem;
pub mod reconcile;
pub mod validate;
pub mod xero;

pub use feed::{FeedError, Posting, Source};
pub use mapping::MappingSettings;
pub use money::Money;
pub use plan::{JournalKey, Plan, PlanRequest, PlannedJournal, PlannedLine, plan};
pub use problem::{Problem, Severity};
pub use xero::reference::ReferenceData;
