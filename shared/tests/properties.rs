//! Invariants of planning, checked over generated postings (native only: proptest).
#![cfg(not(target_arch = "wasm32"))]

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;

use chrono::Days;
use proptest::prelude::*;
use rust_decimal::Decimal;
use srm_xero_shared::feed::{FeedPage, parse_csv, parse_page};
use srm_xero_shared::xero::TrackingRef;
use srm_xero_shared::{MappingSettings, Money, Plan, PlanRequest, Posting, Problem, plan};

const ACCOUNTS: [&str; 5] = ["1200", "2200", "4000", "4100", "4999"];

fn arb_postings() -> impl Strategy<Value = Vec<Posting>> {
    let one = (
        0_u64..6,
        0_usize..ACCOUNTS.len(),
        prop::option::of(1_u8..3),
        -500_000_i64..500_000,
    );
    prop::collection::vec(one, 0..60).prop_map(|rows| {
        rows.into_iter()
            .enumerate()
            .map(|(i, (day, account, division, cents))| {
                let date = common::day("2019-08-01")
                    .checked_add_days(Days::new(day))
                    .unwrap();
                let amount = Decimal::new(cents, 2).to_string();
                let mut p = common::posting(
                    &format!("GL-{i:06}"),
                    "2019-08-01",
                    ACCOUNTS[account],
                    None,
                    &amount,
                );
                p.date = date;
                p.division = division.map(|d| d.to_string());
                p
            })
            .collect()
    })
}

fn plan_all(postings: &[Posting], settings: &MappingSettings) -> Plan {
    plan(&PlanRequest {
        postings,
        settings,
        exported: &HashMap::new(),
        from: common::day("2019-08-01"),
        export_number: Some(1),
        reference: &common::reference(),
    })
}

fn csv_of(postings: &[Posting]) -> String {
    let mut out = String::from(
        "id,date,account,division,account_description,debit,credit,source,reference,store,memo\n",
    );
    for p in postings {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{}",
            p.id,
            p.date.format("%m/%d/%Y"),
            p.account,
            p.division.as_deref().unwrap_or(""),
            p.account_description,
            p.debit,
            p.credit,
            p.source,
            p.reference,
            p.store.as_deref().unwrap_or(""),
            p.memo
        );
    }
    out
}

proptest! {
    #[test]
    fn every_journal_balances_or_says_by_exactly_how_much_it_does_not(postings in arb_postings()) {
        for journal in plan_all(&postings, &MappingSettings::default()).journals {
            let residue: Money = journal.lines.iter().map(|l| l.amount).sum();
            let unbalanced = journal.problems.iter().find_map(|p| match p {
                Problem::Unbalanced { debits, credits, difference } => Some((*debits, *credits, *difference)),
                _ => None,
            });
            match unbalanced {
                None => prop_assert_eq!(journal.debits(), journal.credits()),
                Some((debits, credits, difference)) => {
                    prop_assert_eq!(difference, residue);
                    prop_assert_eq!(debits - credits, difference);
                    prop_assert!(!residue.is_zero());
                }
            }
        }
    }

    #[test]
    fn planning_conserves_each_account_and_tracking_total(postings in arb_postings()) {
        let settings = MappingSettings::default();
        let mut expected: BTreeMap<(String, Vec<TrackingRef>), Decimal> = BTreeMap::new();
        for p in &postings {
            let tracking = p.division.iter().map(|d| TrackingRef { name: "Division".into(), option: d.clone(), ..TrackingRef::default() }).collect();
            *expected.entry((p.account.clone(), tracking)).or_default() += p.signed_amount();
        }
        expected.retain(|_, v| !v.is_zero());
        let mut planned: BTreeMap<(String, Vec<TrackingRef>), Decimal> = BTreeMap::new();
        for journal in plan_all(&postings, &settings).journals {
            for line in journal.lines.iter().filter(|l| !l.rounding) {
                *planned.entry((line.account_code.clone(), line.tracking.clone())).or_default() += line.amount.amount();
            }
        }
        planned.retain(|_, v| !v.is_zero());
        prop_assert_eq!(planned, expected);
    }

    #[test]
    fn no_posting_lands_in_two_journals_and_none_is_lost(postings in arb_postings()) {
        let plan = plan_all(&postings, &MappingSettings::default());
        let mut seen = HashSet::new();
        for journal in &plan.journals {
            for id in &journal.postings {
                prop_assert!(seen.insert(id.clone()), "{} is in two journals", id);
            }
        }
        prop_assert_eq!(seen.len(), postings.len());
    }

    #[test]
    fn journals_and_keys_do_not_depend_on_input_order(postings in arb_postings(), seed in any::<u64>()) {
        let mut shuffled = postings.clone();
        // A deterministic shuffle from the seed.
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17;
            let j = usize::try_from(state % (i as u64 + 1)).unwrap();
            shuffled.swap(i, j);
        }
        let settings = MappingSettings::default();
        prop_assert_eq!(plan_all(&postings, &settings).journals, plan_all(&shuffled, &settings).journals);
    }

    #[test]
    fn csv_and_json_forms_of_the_same_postings_plan_identically(postings in arb_postings()) {
        let page = FeedPage { company: "c".into(), currency: "CAD".into(), postings: postings.clone(), next_cursor: None };
        let from_json = parse_page(&serde_json::to_string(&page).unwrap()).unwrap().postings;
        let from_csv = parse_csv(&csv_of(&postings)).unwrap();
        prop_assert_eq!(&from_json, &postings);
        prop_assert_eq!(&from_csv, &postings);
        let settings = MappingSettings::default();
        prop_assert_eq!(plan_all(&from_json, &settings), plan_all(&from_csv, &settings));
    }
}
