//! The mapping being edited: the saved document, the draft settings, and every edit the screen's
//! fields make, as a small reducer of its own (tested natively).

use std::rc::Rc;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use srm_xero_shared::MappingSettings;
use srm_xero_shared::api::MappingDocument;
use srm_xero_shared::mapping::{AccountRule, DimensionMap, Grouping, LineMode, PostAs};
use yew::Reducible;

use super::accounts::MapRow;

/// A tracked SRM dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dim {
    /// SRM divisions.
    Division,
    /// SRM stores.
    Store,
}

impl Dim {
    /// Its name in the screen's words.
    pub fn label(self) -> &'static str {
        match self {
            Dim::Division => "division",
            Dim::Store => "store",
        }
    }

    /// How the settings track it.
    pub fn get(self, settings: &MappingSettings) -> Option<&DimensionMap> {
        match self {
            Dim::Division => settings.tracking.division.as_ref(),
            Dim::Store => settings.tracking.store.as_ref(),
        }
    }

    fn slot(self, settings: &mut MappingSettings) -> &mut Option<DimensionMap> {
        match self {
            Dim::Division => &mut settings.tracking.division,
            Dim::Store => &mut settings.tracking.store,
        }
    }
}

/// One change a field of the screen makes.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    /// Map an SRM account (and division) to a Xero code; `None`: the same code.
    Rule(MapRow, Option<String>),
    /// A Xero account's tax type; `None`: no tax.
    TaxType(String, Option<String>),
    /// Track a dimension in this category; `None`: do not track it.
    Category(Dim, Option<String>),
    /// A dimension value's tracking option; `None`: the value's own name.
    TrackingOption(Dim, String, Option<String>),
    /// The rounding account; `None`: unbalanced journals are refused.
    RoundingAccount(Option<String>),
    /// The rounding tolerance as typed (used once it reads as an amount).
    Tolerance(String),
    /// Round amounts with more than two decimals.
    RoundExtra(bool),
    /// POSTED or DRAFT.
    PostAs(PostAs),
    /// Which postings share a journal.
    Grouping(Grouping),
    /// Net or gross lines.
    Lines(LineMode),
    /// The cut-off date.
    Cutoff(Option<NaiveDate>),
    /// The narration template.
    Narration(String),
    /// Throw the changes away.
    Revert,
    /// A saved (or reloaded) mapping replaces the draft.
    Saved(Rc<MappingDocument>),
}

/// The mapping as saved, and the draft being edited.
#[derive(Debug, Clone, PartialEq)]
pub struct Draft {
    /// As saved.
    pub saved: Rc<MappingDocument>,
    /// As edited (shared with the screen's parts until the next edit).
    pub settings: Rc<MappingSettings>,
    /// The tolerance field's text (it may not read as an amount yet).
    pub tolerance: String,
}

impl Draft {
    /// A draft equal to `saved`.
    pub fn new(saved: Rc<MappingDocument>) -> Draft {
        Draft {
            settings: Rc::new(saved.settings.clone()),
            tolerance: saved.settings.rounding.tolerance.to_string(),
            saved,
        }
    }

    /// Whether the draft differs from what is saved.
    pub fn changed(&self) -> bool {
        *self.settings != self.saved.settings
    }

    /// What keeps the draft from being saved, in words.
    pub fn errors(&self) -> Vec<String> {
        let mut errors: Vec<String> = self
            .settings
            .check()
            .iter()
            .map(ToString::to_string)
            .collect();
        if tolerance(&self.tolerance).is_none() {
            errors.push(format!(
                "\"{}\" is not an amount: type e.g. 0.05.",
                self.tolerance.trim()
            ));
        }
        errors
    }

    /// Applies one edit.
    pub fn apply(&mut self, edit: Edit) {
        match edit {
            Edit::Revert => *self = Draft::new(Rc::clone(&self.saved)),
            Edit::Saved(saved) => *self = Draft::new(saved),
            edit => self.edit_settings(edit),
        }
    }

    fn edit_settings(&mut self, edit: Edit) {
        let s = Rc::make_mut(&mut self.settings);
        match edit {
            Edit::Rule(row, code) => set_rule(s, &row, code),
            Edit::TaxType(code, None) => {
                s.tax_types.remove(&code);
            }
            Edit::TaxType(code, Some(tax_type)) => {
                s.tax_types.insert(code, tax_type);
            }
            Edit::Category(dim, category) => {
                let slot = dim.slot(s);
                let options = slot.take().map(|d| d.options).unwrap_or_default();
                *slot = category.map(|category| DimensionMap { category, options });
            }
            Edit::TrackingOption(dim, value, option) => {
                if let Some(map) = dim.slot(s) {
                    match option.filter(|o| *o != value) {
                        Some(option) => map.options.insert(value, option),
                        None => map.options.remove(&value),
                    };
                }
            }
            Edit::RoundingAccount(account) => s.rounding.account = account,
            Edit::Tolerance(text) => {
                if let Some(value) = tolerance(&text) {
                    s.rounding.tolerance = value;
                }
                self.tolerance = text;
            }
            Edit::RoundExtra(on) => s.rounding.round_extra_decimals = on,
            Edit::PostAs(status) => s.status = status,
            Edit::Grouping(grouping) => s.grouping = grouping,
            Edit::Lines(lines) => s.lines = lines,
            Edit::Cutoff(date) => s.cutoff_date = date,
            Edit::Narration(text) => s.narration_template = text,
            Edit::Revert | Edit::Saved(_) => {}
        }
    }
}

impl Reducible for Draft {
    type Action = Edit;

    fn reduce(self: Rc<Self>, edit: Edit) -> Rc<Self> {
        let mut next = Rc::unwrap_or_clone(self);
        next.apply(edit);
        Rc::new(next)
    }
}

fn tolerance(text: &str) -> Option<Decimal> {
    Decimal::from_str_exact(text.trim()).ok()
}

/// Sets (or with `None` removes) the rule for exactly this SRM account and division.
pub fn set_rule(settings: &mut MappingSettings, row: &MapRow, code: Option<String>) {
    settings
        .accounts
        .retain(|r| !(r.srm_account == row.account && r.division == row.division));
    if let Some(xero_code) = code.filter(|c| !c.trim().is_empty()) {
        settings.accounts.push(AccountRule {
            srm_account: row.account.clone(),
            division: row.division.clone(),
            xero_code,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn saved() -> Rc<MappingDocument> {
        Rc::new(MappingDocument {
            settings: MappingSettings::default(),
            version: 3,
            updated_by: None,
            updated_at: None,
        })
    }

    fn edited(edits: impl IntoIterator<Item = Edit>) -> Draft {
        let mut draft = Draft::new(saved());
        for edit in edits {
            draft.apply(edit);
        }
        draft
    }

    #[test]
    fn a_rule_edit_changes_exactly_one_account_and_division() {
        let row = MapRow {
            account: "4100".into(),
            division: Some("2".into()),
            description: String::new(),
        };
        let draft = edited([
            Edit::Rule(row.clone(), Some("4000".into())),
            Edit::Rule(row.clone(), Some("4010".into())),
        ]);
        assert_eq!(draft.settings.accounts.len(), 1);
        assert_eq!(draft.settings.xero_code("4100", Some("2")).0, "4010");
        assert_eq!(draft.settings.xero_code("4100", Some("1")).0, "4100");
        assert!(draft.changed());
        let draft = edited([
            Edit::Rule(row.clone(), Some("4000".into())),
            Edit::Rule(row, None),
        ]);
        assert_eq!(draft.settings.accounts, Vec::new());
        assert!(!draft.changed());
    }

    #[test]
    fn a_tolerance_is_used_once_it_reads_as_an_amount() {
        let draft = edited([Edit::Tolerance("0.1x".into())]);
        assert_eq!(draft.settings.rounding.tolerance, Decimal::new(5, 2));
        assert_eq!(
            draft.errors(),
            vec!["\"0.1x\" is not an amount: type e.g. 0.05."]
        );
        let draft = edited([Edit::Tolerance(" 0.10 ".into())]);
        assert_eq!(draft.settings.rounding.tolerance, Decimal::new(10, 2));
        assert_eq!(draft.errors(), Vec::<String>::new());
        let draft = edited([Edit::Narration("SRM {date}".into())]);
        assert_eq!(draft.errors().len(), 1, "a narration without {{key}}");
    }

    #[test]
    fn tracking_keeps_its_options_when_the_category_changes_and_undo_restores_all() {
        let draft = edited([
            Edit::Category(Dim::Store, Some("Branch".into())),
            Edit::TrackingOption(Dim::Store, "001".into(), Some("Main".into())),
            Edit::TrackingOption(Dim::Store, "002".into(), Some("002".into())),
            Edit::Category(Dim::Store, Some("Location".into())),
            Edit::PostAs(PostAs::Draft),
            Edit::Grouping(Grouping::DateStore),
            Edit::Lines(LineMode::Gross),
            Edit::RoundExtra(true),
            Edit::RoundingAccount(Some("860".into())),
            Edit::TaxType("4000".into(), Some("OUTPUT".into())),
        ]);
        let store = Dim::Store.get(&draft.settings).unwrap();
        assert_eq!(store.category, "Location");
        assert_eq!(store.option_for("001"), "Main");
        assert_eq!(
            store.options.len(),
            1,
            "an option named as its value is no option"
        );
        assert_eq!(draft.settings.status, PostAs::Draft);
        assert_eq!(draft.settings.tax_types["4000"], "OUTPUT");
        let mut undone = draft.clone();
        undone.apply(Edit::Revert);
        assert_eq!(undone, Draft::new(saved()));
        let mut untracked = draft;
        untracked.apply(Edit::Category(Dim::Store, None));
        assert_eq!(untracked.settings.tracking.store, None);
    }

    /// Free text an admin types (divisions, stores, options, templates) lands as typed.
    #[cfg(not(target_arch = "wasm32"))]
    mod typed_text {
        use proptest::prelude::*;

        use super::*;

        proptest! {
            #[test]
            fn typed_text_lands_in_the_settings_as_typed(
                value in any::<String>(),
                option in any::<String>(),
                category in any::<String>(),
                narration in any::<String>(),
            ) {
                let draft = edited([
                    Edit::Category(Dim::Division, Some(category.clone())),
                    Edit::TrackingOption(Dim::Division, value.clone(), Some(option.clone())),
                    Edit::Narration(narration.clone()),
                ]);
                let division = Dim::Division.get(&draft.settings).unwrap();
                prop_assert_eq!(&division.category, &category);
                prop_assert_eq!(division.option_for(&value), option.as_str());
                prop_assert_eq!(&draft.settings.narration_template, &narration);
                prop_assert_eq!(draft.errors().is_empty(), narration.contains("{key}"));
            }
        }
    }
}
