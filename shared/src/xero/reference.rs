//! Xero reference data: accounts, tax rates, tracking categories and the organisation.
//!
//! Only the fields planning and validation use: Xero sends many more per account (and the page
//! would download and parse them all), and unknown fields are ignored when read.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Everything validation needs to know about the organisation.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReferenceData {
    /// The chart of accounts.
    pub accounts: Vec<Account>,
    /// Tax rates.
    pub tax_rates: Vec<TaxRate>,
    /// Tracking categories with their options.
    pub tracking_categories: Vec<TrackingCategory>,
    /// The organisation (name, currency, lock dates).
    pub organisation: Organisation,
}

/// An account of the chart.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct Account {
    /// Xero's id.
    #[serde(rename = "AccountID", default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// The code journal lines use (some bank accounts have none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The account's name.
    #[serde(default)]
    pub name: String,
    /// BANK, CURRENT, CURRLIAB, EQUITY, EXPENSE, REVENUE, SALES, …
    #[serde(rename = "Type", default, skip_serializing_if = "Option::is_none")]
    pub account_type: Option<String>,
    /// ACTIVE, ARCHIVED or DELETED (absent means ACTIVE).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// ASSET, EQUITY, EXPENSE, LIABILITY or REVENUE.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<String>,
    /// The account's default tax type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_type: Option<String>,
    /// DEBTORS, CREDITORS, ROUNDING, RETAINEDEARNINGS, … or absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system_account: Option<String>,
}

impl Account {
    /// The status, `ACTIVE` when Xero left it out.
    pub fn status(&self) -> &str {
        self.status.as_deref().unwrap_or("ACTIVE")
    }
}

/// A tax rate.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct TaxRate {
    /// The rate's name.
    #[serde(default)]
    pub name: String,
    /// The code lines carry.
    #[serde(default)]
    pub tax_type: String,
    /// ACTIVE, DELETED, ARCHIVED, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Usable on ASSET accounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub can_apply_to_assets: Option<bool>,
    /// Usable on EQUITY accounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub can_apply_to_equity: Option<bool>,
    /// Usable on EXPENSE accounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub can_apply_to_expenses: Option<bool>,
    /// Usable on LIABILITY accounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub can_apply_to_liabilities: Option<bool>,
    /// Usable on REVENUE accounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub can_apply_to_revenue: Option<bool>,
}

impl TaxRate {
    /// Whether the rate may be used on an account of this class (unknown flags allow).
    pub fn applies_to_class(&self, class: &str) -> bool {
        let flag = match class {
            "ASSET" => self.can_apply_to_assets,
            "EQUITY" => self.can_apply_to_equity,
            "EXPENSE" => self.can_apply_to_expenses,
            "LIABILITY" => self.can_apply_to_liabilities,
            "REVENUE" => self.can_apply_to_revenue,
            _ => None,
        };
        flag.unwrap_or(true)
    }
}

/// A tracking category and its options.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct TrackingCategory {
    /// Xero's id.
    #[serde(
        rename = "TrackingCategoryID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub tracking_category_id: Option<String>,
    /// The category's name (what lines name).
    #[serde(default)]
    pub name: String,
    /// ACTIVE or ARCHIVED.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The options.
    #[serde(default)]
    pub options: Vec<TrackingOption>,
}

/// An option of a tracking category.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct TrackingOption {
    /// Xero's id.
    #[serde(
        rename = "TrackingOptionID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub tracking_option_id: Option<String>,
    /// The option's name (what lines name).
    #[serde(default)]
    pub name: String,
    /// ACTIVE or ARCHIVED.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

/// The organisation.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "PascalCase")]
pub struct Organisation {
    /// Xero's id.
    #[serde(
        rename = "OrganisationID",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub organisation_id: Option<String>,
    /// Display name.
    #[serde(default)]
    pub name: String,
    /// Currency code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_currency: Option<String>,
    /// Country code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
    /// Nothing on or before this date may be posted (drafts may). Written as Xero writes
    /// dates: `/Date(milliseconds+0000)/`.
    #[serde(
        default,
        with = "super::dates::ms_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = Option<String>, example = "/Date(1562371200000+0000)/")
    )]
    pub period_lock_date: Option<NaiveDate>,
    /// Nothing on or before this date may be posted by anyone (drafts may). Written as Xero
    /// writes dates: `/Date(milliseconds+0000)/`.
    #[serde(
        default,
        with = "super::dates::ms_option",
        skip_serializing_if = "Option::is_none"
    )]
    #[cfg_attr(
        feature = "openapi",
        schema(value_type = Option<String>, example = "/Date(1562371200000+0000)/")
    )]
    pub end_of_year_lock_date: Option<NaiveDate>,
}

/// `GET /Accounts` answer.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Accounts {
    /// The accounts.
    pub accounts: Vec<Account>,
}

/// `GET /TaxRates` answer.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TaxRates {
    /// The rates.
    pub tax_rates: Vec<TaxRate>,
}

/// `GET /TrackingCategories` answer.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TrackingCategories {
    /// The categories.
    pub tracking_categories: Vec<TrackingCategory>,
}

/// `GET /Organisation` answer.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Organisations {
    /// One organisation.
    pub organisations: Vec<Organisation>,
}
