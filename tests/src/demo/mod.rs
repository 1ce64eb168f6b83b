//! The demo data: the demo Xero organisations and the demo SRM G/L (generator and feed).

pub mod feed;
pub mod gl;
pub mod org;
