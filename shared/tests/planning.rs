//! Planning postings into journals, and every validation problem with its data and fix.

mod common;

#[cfg(target_arch = "wasm32")]
wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

use std::collections::HashMap;

use common::{day, posting, reference};
use srm_xero_shared::mapping::{AccountRule, Grouping, LineMode, PostAs};
use srm_xero_shared::problem::{LockKind, Severity};
use srm_xero_shared::xero::ManualJournalStatus;
use srm_xero_shared::xero::reference::ReferenceData;
use srm_xero_shared::{MappingSettings, Money, Plan, PlanRequest, Posting, Problem, plan};

fn plan_with(postings: &[Posting], settings: &MappingSettings) -> Plan {
    plan_against(postings, settings, &reference())
}

fn plan_against(
    postings: &[Posting],
    settings: &MappingSettings,
    reference: &ReferenceData,
) -> Plan {
    plan(&PlanRequest {
        postings,
        settings,
        exported: &HashMap::new(),
        from: day("2019-08-01"),
        export_number: Some(12),
        reference,
    })
}

/// One balanced A/R invoice on a day in division 1.
fn invoice(prefix: &str, date: &str, amount: &str) -> Vec<Posting> {
    vec![
        posting(&format!("{prefix}-1"), date, "1200", Some("1"), amount),
        posting(
            &format!("{prefix}-2"),
            date,
            "4000",
            Some("1"),
            &format!("-{amount}"),
        ),
    ]
}

fn only_problems(postings: &[Posting], settings: &MappingSettings) -> Vec<Problem> {
    let plan = plan_with(postings, settings);
    assert_eq!(plan.journals.len(), 1, "{plan:#?}");
    plan.journals[0].problems.clone()
}

both_targets! {
    fn a_clean_day_becomes_one_balanced_journal_per_division() {
        let mut postings = invoice("A", "2019-08-19", "1250.00");
        postings.push(posting("B-1", "2019-08-19", "1200", Some("2"), "10.00"));
        postings.push(posting("B-2", "2019-08-19", "4000", Some("2"), "-10.00"));
        let plan = plan_with(&postings, &MappingSettings::default());
        assert_eq!(plan.journals.len(), 2);
        let first = &plan.journals[0];
        assert_eq!(first.problems, vec![]);
        assert_eq!(first.group, "Division 1");
        assert_eq!(first.debits(), Money::from_cents(125_000));
        assert_eq!(first.credits(), Money::from_cents(125_000));
        assert_eq!(first.postings, vec!["A-1".to_owned(), "A-2".to_owned()]);
        assert_eq!(first.narration, format!("SRM daily close 2019-08-19 · Division 1 · export 12 · key {}", first.key));
        assert_eq!(first.lines[0].description, "SRM 1200 Account 1200");
        assert_eq!(first.lines[0].tracking[0].name, "Division");
        assert_eq!(first.lines[0].tracking[0].option, "1");
        let xero = first.to_xero();
        assert_eq!(xero.status, Some(ManualJournalStatus::Posted));
        assert_eq!(serde_json::to_value(&xero).unwrap()["JournalLines"][1]["LineAmount"], serde_json::json!(-1250.0));
        assert!(serde_json::to_string(&xero).unwrap().contains(r#""LineAmount":-1250.00"#));
    }

    fn postings_before_the_date_or_cutoff_or_already_exported_are_left_out() {
        let mut postings = invoice("A", "2019-08-19", "5.00");
        postings.extend(invoice("OLD", "2019-07-01", "5.00"));
        postings.extend(invoice("CUT", "2019-08-02", "5.00"));
        let settings = MappingSettings { cutoff_date: Some(day("2019-08-10")), ..MappingSettings::default() };
        let exported = HashMap::from([("A-2".to_owned(), 7_u64)]);
        let reference = reference();
        let plan = plan(&PlanRequest {
            postings: &postings,
            settings: &settings,
            exported: &exported,
            from: day("2019-08-01"),
            export_number: None,
            reference: &reference,
        });
        assert_eq!(plan.postings_read, 6);
        assert_eq!(plan.skipped.before_from, 2);
        assert_eq!(plan.skipped.before_cutoff, 2);
        assert_eq!(plan.skipped.already_exported, vec![("A-2".to_owned(), 7)]);
        assert_eq!(plan.journals.len(), 1);
        assert!(plan.journals[0].narration.contains("export new"));
        assert!(matches!(plan.journals[0].problems[..], [Problem::Unbalanced { .. }, Problem::TooFewLines { lines: 1 }]));
    }

    fn an_unbalanced_journal_carries_both_totals_and_the_difference() {
        let mut postings = invoice("A", "2019-08-19", "100.00");
        postings.push(posting("A-3", "2019-08-19", "4100", Some("1"), "-0.01"));
        let problems = only_problems(&postings, &MappingSettings::default());
        let expected = Problem::Unbalanced {
            debits: Money::from_cents(10_000),
            credits: Money::from_cents(10_001),
            difference: Money::from_cents(-1),
        };
        assert_eq!(problems, vec![expected.clone()]);
        assert_eq!(expected.to_string(), "Debits 100.00 and credits 100.01 differ by -0.01.");
        assert!(expected.fix().contains("tolerance of at least 0.01"));
    }

    fn a_residue_within_tolerance_goes_to_the_rounding_account_on_its_own_line() {
        let mut postings = invoice("A", "2019-08-19", "100.00");
        postings.push(posting("A-3", "2019-08-19", "4100", Some("1"), "-0.01"));
        let mut settings = MappingSettings::default();
        settings.rounding.account = Some("860".into());
        let plan = plan_with(&postings, &settings);
        let journal = &plan.journals[0];
        assert_eq!(journal.problems, vec![]);
        let rounding = journal.lines.last().unwrap();
        assert!(rounding.rounding);
        assert_eq!(rounding.account_code, "860");
        assert_eq!(rounding.amount, Money::from_cents(1));
        assert_eq!(journal.debits(), journal.credits());
    }

    fn extra_decimals_are_refused_unless_rounding_is_allowed() {
        let postings = invoice("A", "2019-08-19", "10.005");
        let problems = only_problems(&postings, &MappingSettings::default());
        assert!(matches!(&problems[0], Problem::ExcessPrecision { amount, .. } if amount == "10.005"), "{problems:?}");
        let mut settings = MappingSettings::default();
        settings.rounding.round_extra_decimals = true;
        let plan = plan_with(&postings, &settings);
        assert_eq!(plan.journals[0].problems, vec![]);
        assert_eq!(plan.journals[0].lines[0].amount, Money::from_cents(1001));
    }

    fn a_journal_that_nets_to_nothing_is_reported_not_sent() {
        let postings = vec![
            posting("A-1", "2019-08-19", "1200", Some("1"), "5.00"),
            posting("A-2", "2019-08-19", "1200", Some("1"), "-5.00"),
        ];
        let plan = plan_with(&postings, &MappingSettings::default());
        assert_eq!(plan.journals[0].problems, vec![Problem::NetsToZero]);
        assert_eq!(Problem::NetsToZero.severity(), Severity::Skipped);
        assert!(!plan.journals[0].is_postable());
        assert!(!plan.has_blocking());
    }

    fn an_srm_account_missing_from_xero_is_unmapped_and_a_bad_rule_is_unknown() {
        let postings = invoice("A", "2019-08-19", "5.00").into_iter().map(|mut p| {
            if p.account == "4000" { p.account = "4999".into(); }
            p
        }).collect::<Vec<_>>();
        let problems = only_problems(&postings, &MappingSettings::default());
        assert_eq!(problems, vec![Problem::UnmappedAccount { srm_account: "4999".into(), division: Some("1".into()) }]);
        assert_eq!(problems[0].to_string(), "SRM account 4999 (division 1) has no Xero account.");
        let settings = MappingSettings {
            accounts: vec![AccountRule { srm_account: "4999".into(), division: None, xero_code: "4998".into() }],
            ..MappingSettings::default()
        };
        let problems = only_problems(&postings, &settings);
        assert_eq!(problems, vec![Problem::UnknownAccount { code: "4998".into(), used_for: "mapped from SRM account 4999".into() }]);
    }

    fn archived_system_and_bank_accounts_are_flagged() {
        for (code, expected) in [
            ("4900", Problem::InactiveAccount { code: "4900".into(), name: "Old Revenue".into(), status: "ARCHIVED".into() }),
            ("610", Problem::SystemAccount { code: "610".into(), name: "Accounts Receivable".into(), system: "DEBTORS".into() }),
            ("090", Problem::BankAccount { code: "090".into(), name: "Operating Bank".into() }),
        ] {
            let postings = vec![
                posting("A-1", "2019-08-19", code, Some("1"), "5.00"),
                posting("A-2", "2019-08-19", "4000", Some("1"), "-5.00"),
            ];
            let problems = only_problems(&postings, &MappingSettings::default());
            assert_eq!(problems, vec![expected.clone()]);
            assert!(expected.fix().len() > 20, "{}", expected.fix());
        }
        assert_eq!(Problem::BankAccount { code: "090".into(), name: "x".into() }.severity(), Severity::Warning);
    }

    fn a_tax_type_must_exist_and_fit_the_account() {
        let postings = invoice("A", "2019-08-19", "5.00");
        let mut settings = MappingSettings::default();
        settings.tax_types.insert("1200".into(), "OUTPUT".into());
        settings.tax_types.insert("4000".into(), "GST99".into());
        let problems = only_problems(&postings, &settings);
        assert_eq!(problems, vec![
            Problem::TaxTypeMismatch { tax_type: "OUTPUT".into(), code: "1200".into(), class: "ASSET".into() },
            Problem::UnknownTaxType { tax_type: "GST99".into(), code: "4000".into() },
        ]);
        assert_eq!(problems[0].to_string(), "The TaxType code 'OUTPUT' cannot be used with account code '1200'.");
        settings.tax_types.insert("1200".into(), "INPUT".into());
        settings.tax_types.insert("4000".into(), "OUTPUT".into());
        assert_eq!(only_problems(&postings, &settings), vec![]);
    }

    fn tracking_options_must_exist_be_active_and_number_at_most_two() {
        let problems = only_problems(&invoice("A", "2019-08-19", "5.00").into_iter().map(|mut p| { p.division = Some("3".into()); p }).collect::<Vec<_>>(), &MappingSettings::default());
        assert_eq!(problems, vec![Problem::UnknownTrackingOption { category: "Division".into(), option: "3".into() }]);
        let mut settings = MappingSettings::default();
        settings.tracking.store = Some(srm_xero_shared::mapping::DimensionMap { category: "Location".into(), options: std::collections::BTreeMap::new() });
        let postings: Vec<Posting> = invoice("A", "2019-08-19", "5.00").into_iter().map(|mut p| { p.store = Some("001".into()); p }).collect();
        let problems = only_problems(&postings, &settings);
        assert_eq!(problems, vec![Problem::UnknownTrackingCategory { category: "Location".into() }]);
    }

    fn a_posted_journal_on_or_before_the_lock_date_is_refused_but_a_draft_is_not() {
        let postings = invoice("A", "2019-07-31", "5.00");
        let settings = MappingSettings::default();
        let plan = plan(&PlanRequest {
            postings: &postings,
            settings: &settings,
            exported: &HashMap::new(),
            from: day("2019-07-01"),
            export_number: None,
            reference: &reference(),
        });
        assert_eq!(plan.journals[0].problems, vec![Problem::BeforeLockDate {
            date: day("2019-07-31"),
            lock_date: day("2019-07-31"),
            lock: LockKind::Period,
        }]);
        let draft = MappingSettings { status: PostAs::Draft, ..MappingSettings::default() };
        let plan = srm_xero_shared::plan(&PlanRequest {
            postings: &postings,
            settings: &draft,
            exported: &HashMap::new(),
            from: day("2019-07-01"),
            export_number: None,
            reference: &reference(),
        });
        assert_eq!(plan.journals[0].problems, vec![]);
        assert_eq!(plan.journals[0].to_xero().status, Some(ManualJournalStatus::Draft));
    }

    fn texts_longer_than_xero_takes_are_refused() {
        let postings = invoice("A", "2019-08-19", "5.00");
        let settings = MappingSettings { narration_template: format!("{} key {{key}}", "x".repeat(250)), ..MappingSettings::default() };
        let problems = only_problems(&postings, &settings);
        assert!(matches!(problems[..], [Problem::TooLong { length: 275, max: 255, .. }]), "{problems:?}");
        let settings = MappingSettings {
            accounts: vec![AccountRule { srm_account: "1200".into(), division: None, xero_code: "12345678901".into() }],
            ..MappingSettings::default()
        };
        let problems = only_problems(&postings, &settings);
        assert!(matches!(problems[..], [Problem::TooLong { length: 11, max: 10, .. }]), "{problems:?}");
    }

    fn grouping_and_gross_lines_follow_the_settings() {
        let mut postings = invoice("A", "2019-08-19", "5.00");
        postings.extend(invoice("B", "2019-08-19", "7.00").into_iter().map(|mut p| { p.division = Some("2".into()); p }));
        postings.push(posting("C-1", "2019-08-19", "1200", Some("2"), "-2.00"));
        postings.push(posting("C-2", "2019-08-19", "4000", Some("2"), "2.00"));
        let by_date = MappingSettings { grouping: Grouping::Date, lines: LineMode::Gross, ..MappingSettings::default() };
        let plan = plan_with(&postings, &by_date);
        assert_eq!(plan.journals.len(), 1);
        let journal = &plan.journals[0];
        assert_eq!(journal.group, "All divisions");
        // 1200 and 4000 in two divisions, division 2 with debits and credits apart: 6 lines.
        assert_eq!(journal.lines.len(), 6, "{:#?}", journal.lines);
        assert_eq!(journal.debits(), Money::from_cents(1400));
        assert_eq!(journal.problems, vec![]);
    }
}
