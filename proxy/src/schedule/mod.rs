//! The unattended daily close: at each run of `SRM_XERO_SCHEDULE` the proxy reads SRM's feed
//! from the day after the last exported posting date up to yesterday in `SRM_XERO_TIMEZONE`,
//! plans it with `shared` as the component does, and accepts only the valid journals as a
//! normal export (created by "schedule"), leaving journals with problems for a person.
//!
//! [`cron`] says when; the rest comes with the runs.

pub mod cron;
