//! Test infrastructure for srm-xero: the Xero OpenAPI contract checks, a Xero simulator faithful
//! enough to test the product against, and the demo data (organisations and SRM G/L feed).

pub mod browser;
pub mod consent;
pub mod demo;
pub mod openapi;
pub mod rng;
pub mod sim;
