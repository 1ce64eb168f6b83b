//! A tenant's mapping settings: how SRM's accounts, divisions and stores become Xero's accounts
//! and tracking, and how journals are shaped. Every field has the default DESIGN.md gives.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::feed::Posting;
use crate::objects::objects_only;
use crate::plan::narration::{TemplateError, check_template};
use crate::xero::ManualJournalStatus;

objects_only!(serialize and deserialize:
    MappingSettings,
    AccountRule,
    TrackingSettings,
    DimensionMap,
    RoundingSettings,
);

/// The mapping and journal-shaping settings of one tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(remote = "Self", default, deny_unknown_fields)]
pub struct MappingSettings {
    /// Explicit account rules; an SRM account without one maps to the same Xero code.
    pub accounts: Vec<AccountRule>,
    /// Division and store → tracking.
    pub tracking: TrackingSettings,
    /// Tax type per Xero account code (none by default: lines go as `NoTax`).
    pub tax_types: BTreeMap<String, String>,
    /// Rounding of residues and of amounts with more than two decimals.
    pub rounding: RoundingSettings,
    /// Post journals, or save them as drafts.
    pub status: PostAs,
    /// Which postings share a journal.
    pub grouping: Grouping,
    /// One net line per account, or debits and credits apart.
    pub lines: LineMode,
    /// Postings before this date are never exported (a one-time cut-off).
    pub cutoff_date: Option<NaiveDate>,
    /// The journal narration; `{date}`, `{group}`, `{export}` and `{key}` are filled in. It must
    /// hold `key {key}` once, after the other placeholders ([`crate::plan::narration`]): that is
    /// how a journal is found again in Xero.
    pub narration_template: String,
    /// A link back to SRM, with `{export}` and `{key}` filled in.
    pub url_template: Option<String>,
}

impl Default for MappingSettings {
    fn default() -> Self {
        MappingSettings {
            accounts: Vec::new(),
            tracking: TrackingSettings::default(),
            tax_types: BTreeMap::new(),
            rounding: RoundingSettings::default(),
            status: PostAs::Posted,
            grouping: Grouping::DateDivision,
            lines: LineMode::Net,
            cutoff_date: None,
            narration_template: DEFAULT_NARRATION.to_owned(),
            url_template: None,
        }
    }
}

/// The default narration: readable in Xero, and carrying the key.
pub const DEFAULT_NARRATION: &str =
    "SRM daily close {date} · {group} · export {export} · key {key}";

/// One SRM account (optionally only in one division) → a Xero account code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct AccountRule {
    /// SRM's account number.
    pub srm_account: String,
    /// Only for this division, when given; a rule with a division wins over one without.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub division: Option<String>,
    /// The Xero account code.
    pub xero_code: String,
}

/// Division and store → Xero tracking.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(remote = "Self", default, deny_unknown_fields)]
pub struct TrackingSettings {
    /// How divisions are tracked (default: category "Division", options named as the divisions).
    pub division: Option<DimensionMap>,
    /// How stores are tracked (default: not at all).
    pub store: Option<DimensionMap>,
}

impl Default for TrackingSettings {
    fn default() -> Self {
        TrackingSettings {
            division: Some(DimensionMap {
                category: "Division".to_owned(),
                options: BTreeMap::new(),
            }),
            store: None,
        }
    }
}

/// One SRM dimension → one Xero tracking category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct DimensionMap {
    /// The tracking category's name in Xero.
    pub category: String,
    /// SRM value → option name; a value not listed uses its own text as the option name.
    #[serde(default)]
    pub options: BTreeMap<String, String>,
}

impl DimensionMap {
    /// The option name for an SRM value.
    pub fn option_for<'a>(&'a self, value: &'a str) -> &'a str {
        self.options.get(value).map_or(value, String::as_str)
    }
}

/// Rounding settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(remote = "Self", default, deny_unknown_fields)]
pub struct RoundingSettings {
    /// The Xero account that absorbs residues (Xero's ROUNDING system account is the natural home).
    pub account: Option<String>,
    /// The largest residue the rounding account may absorb in one journal.
    #[serde(with = "crate::amount::exact")]
    #[cfg_attr(
        feature = "openapi",
        schema(schema_with = crate::amount::openapi_schema, default = "0.05")
    )]
    pub tolerance: Decimal,
    /// Round amounts with more than two decimals to the cent (otherwise such a journal is refused).
    pub round_extra_decimals: bool,
}

impl Default for RoundingSettings {
    fn default() -> Self {
        RoundingSettings {
            account: None,
            tolerance: Decimal::new(5, 2),
            round_extra_decimals: false,
        }
    }
}

/// Post or save as draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "UPPERCASE")]
pub enum PostAs {
    /// Posted to the ledger (not allowed inside a locked period).
    Posted,
    /// Saved as drafts, for an accountant to post.
    Draft,
}

crate::text_names!(PostAs, "journal status", {
    Posted => "POSTED",
    Draft => "DRAFT",
});

impl PostAs {
    /// The Xero status to send.
    pub fn status(self) -> ManualJournalStatus {
        match self {
            PostAs::Posted => ManualJournalStatus::Posted,
            PostAs::Draft => ManualJournalStatus::Draft,
        }
    }
}

/// Which postings share a journal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Grouping {
    /// One journal per posting date.
    Date,
    /// One per posting date and division (SRM's own behaviour, the default).
    DateDivision,
    /// One per posting date and store.
    DateStore,
    /// One per posting date and source (A/R, A/P, …).
    DateSource,
}

crate::text_names!(Grouping, "grouping", {
    Date => "date",
    DateDivision => "date_division",
    DateStore => "date_store",
    DateSource => "date_source",
});

impl Grouping {
    /// The group a posting belongs to, beside its date, as shown in the narration.
    pub fn group_label(self, posting: &Posting) -> String {
        match self {
            Grouping::Date => "All divisions".to_owned(),
            Grouping::DateDivision => posting
                .division
                .as_ref()
                .map_or_else(|| "No division".to_owned(), |d| format!("Division {d}")),
            Grouping::DateStore => posting
                .store
                .as_ref()
                .map_or_else(|| "No store".to_owned(), |s| format!("Store {s}")),
            Grouping::DateSource => format!("Source {}", posting.source.code()),
        }
    }
}

/// How lines are formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum LineMode {
    /// One line per Xero account and tracking, debits and credits netted.
    Net,
    /// Debits and credits of an account kept on separate lines.
    Gross,
}

crate::text_names!(LineMode, "line mode", {
    Net => "net",
    Gross => "gross",
});

/// Where a posting's Xero account code came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CodeSource {
    /// An explicit rule.
    Rule,
    /// The default: the same code as in SRM.
    SameCode,
}

crate::text_names!(CodeSource, "code source", {
    Rule => "rule",
    SameCode => "same_code",
});

/// A settings value that cannot work.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    /// The narration would not carry the journal key where it can be found.
    #[error(transparent)]
    Narration(#[from] TemplateError),
    /// A negative rounding tolerance.
    #[error("the rounding tolerance cannot be negative")]
    NegativeTolerance,
    /// The same SRM account (and division) mapped twice.
    #[error("SRM account {0} is mapped twice")]
    DuplicateRule(String),
}

impl MappingSettings {
    /// The Xero account code for a posting's SRM account and division, and where it came from.
    pub fn xero_code<'a>(
        &'a self,
        account: &'a str,
        division: Option<&str>,
    ) -> (&'a str, CodeSource) {
        let by_division = self.accounts.iter().find(|r| {
            r.srm_account == account && r.division.is_some() && r.division.as_deref() == division
        });
        let any_division = || {
            self.accounts
                .iter()
                .find(|r| r.srm_account == account && r.division.is_none())
        };
        match by_division.or_else(any_division) {
            Some(rule) => (&rule.xero_code, CodeSource::Rule),
            None => (account, CodeSource::SameCode),
        }
    }

    /// Problems with the settings on their own (reference data is checked by validation).
    pub fn check(&self) -> Vec<SettingsError> {
        let mut errors = Vec::new();
        if let Err(e) = check_template(&self.narration_template) {
            errors.push(e.into());
        }
        if self.rounding.tolerance.is_sign_negative() && !self.rounding.tolerance.is_zero() {
            errors.push(SettingsError::NegativeTolerance);
        }
        let mut seen = std::collections::BTreeSet::new();
        for rule in &self.accounts {
            if !seen.insert((&rule.srm_account, &rule.division)) {
                let name = match &rule.division {
                    Some(d) => format!("{} (division {d})", rule.srm_account),
                    None => rule.srm_account.clone(),
                };
                errors.push(SettingsError::DuplicateRule(name));
            }
        }
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_those_of_the_design() {
        let s: MappingSettings = serde_json::from_str("{}").unwrap();
        assert_eq!(s, MappingSettings::default());
        assert_eq!(s.status, PostAs::Posted);
        assert_eq!(s.grouping, Grouping::DateDivision);
        assert_eq!(s.lines, LineMode::Net);
        assert_eq!(s.tracking.division.as_ref().unwrap().category, "Division");
        assert_eq!(s.check(), vec![]);
    }

    #[test]
    fn a_division_rule_wins_over_a_general_rule_and_the_default_is_the_same_code() {
        let s = MappingSettings {
            accounts: vec![
                AccountRule {
                    srm_account: "4000".into(),
                    division: None,
                    xero_code: "400".into(),
                },
                AccountRule {
                    srm_account: "4000".into(),
                    division: Some("2".into()),
                    xero_code: "401".into(),
                },
            ],
            ..MappingSettings::default()
        };
        assert_eq!(s.xero_code("4000", Some("2")), ("401", CodeSource::Rule));
        assert_eq!(s.xero_code("4000", Some("1")), ("400", CodeSource::Rule));
        assert_eq!(s.xero_code("5000", None), ("5000", CodeSource::SameCode));
    }

    #[test]
    fn settings_that_cannot_work_are_named() {
        let s = MappingSettings {
            narration_template: "SRM {date}".into(),
            accounts: vec![
                AccountRule {
                    srm_account: "1".into(),
                    division: None,
                    xero_code: "a".into(),
                },
                AccountRule {
                    srm_account: "1".into(),
                    division: None,
                    xero_code: "b".into(),
                },
            ],
            ..MappingSettings::default()
        };
        assert_eq!(
            s.check(),
            vec![
                SettingsError::Narration(TemplateError::NoMarker),
                SettingsError::DuplicateRule("1".into())
            ]
        );
        assert!(serde_json::from_str::<MappingSettings>(r#"{"colour":"blue"}"#).is_err());
    }
}
