//! The demo data: the seeded G/L generator (determinism, balance per source document, the
//! deliberate problems), the feed's paging over HTTP, and the demo organisations' shape.

mod common;

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rust_decimal::Decimal;
use srm_xero_tests::demo::feed;
use srm_xero_tests::demo::gl::{GlConfig, ProblemKind, deliberate_problems, generate};
use srm_xero_tests::demo::org::{ACME_TENANT_ID, codes, demo_organisations};

fn config(seed: u64) -> GlConfig {
    GlConfig::demo(seed, NaiveDate::from_ymd_opt(2019, 8, 20).unwrap())
}

fn amount(text: &str) -> Decimal {
    text.parse().unwrap()
}

#[test]
fn the_same_seed_gives_a_byte_identical_feed_and_another_seed_does_not() {
    let a = serde_json::to_string(&generate(&config(7))).unwrap();
    let b = serde_json::to_string(&generate(&config(7))).unwrap();
    assert_eq!(a, b);
    assert_ne!(a, serde_json::to_string(&generate(&config(8))).unwrap());
}

#[test]
fn the_feed_covers_ninety_days_three_divisions_and_every_rental_source() {
    let postings = generate(&config(7));
    let days: std::collections::BTreeSet<_> = postings.iter().map(|p| p.date).collect();
    assert_eq!(days.len(), 90);
    assert_eq!(
        *days.last().unwrap(),
        NaiveDate::from_ymd_opt(2019, 8, 19).unwrap()
    );
    let divisions: std::collections::BTreeSet<_> =
        postings.iter().map(|p| p.division.as_str()).collect();
    assert_eq!(
        divisions.into_iter().collect::<Vec<_>>(),
        ["1", "2", "Turkey Creek"]
    );
    for source in ["AR", "CR", "AP", "IA", "GJ"] {
        assert!(postings.iter().any(|p| p.source == source), "{source}");
    }
    for account in [
        codes::RENTAL,
        codes::DAMAGE_WAIVER,
        codes::DELIVERY,
        codes::FUEL,
        codes::SALES_TAX,
        codes::ENVIRONMENTAL,
    ] {
        assert!(postings.iter().any(|p| p.account == account), "{account}");
    }
    let ids: std::collections::HashSet<_> = postings.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids.len(), postings.len(), "posting ids are unique");
    assert!(postings[0].id.starts_with("GL-000123457"));
    for p in &postings {
        let (d, c) = (amount(&p.debit), amount(&p.credit));
        assert!(
            p.debit.split('.').nth(1).unwrap().len() == 2
                && p.credit.split('.').nth(1).unwrap().len() == 2
        );
        assert!(
            (d.is_zero()) ^ (c.is_zero()),
            "exactly one side non-zero: {p:?}"
        );
    }
}

#[test]
fn every_source_document_balances_except_the_listed_one_cent_problem() {
    let cfg = config(7);
    let mut totals: BTreeMap<String, Decimal> = BTreeMap::new();
    for p in generate(&cfg) {
        *totals.entry(p.reference.clone()).or_default() += amount(&p.debit) - amount(&p.credit);
    }
    let unbalanced: Vec<(&String, &Decimal)> =
        totals.iter().filter(|(_, t)| !t.is_zero()).collect();
    let problems = deliberate_problems(&cfg);
    let cent = problems
        .iter()
        .find(|p| p.kind == ProblemKind::OneCentImbalance)
        .unwrap();
    assert_eq!(unbalanced, [(&cent.reference, &Decimal::new(1, 2))]);
}

#[test]
fn the_deliberate_problems_are_present_and_point_at_real_postings() {
    let cfg = config(7);
    let postings = generate(&cfg);
    let problems = deliberate_problems(&cfg);
    let kinds: Vec<ProblemKind> = problems.iter().map(|p| p.kind).collect();
    for kind in [
        ProblemKind::UnmappedAccount,
        ProblemKind::ArchivedAccount,
        ProblemKind::InsideLockDate,
        ProblemKind::OneCentImbalance,
    ] {
        assert!(kinds.contains(&kind), "{kind:?}");
    }
    let find = |id: &str| postings.iter().find(|p| p.id == id).unwrap();
    for problem in &problems {
        let posting = find(&problem.posting_ids[0]);
        match problem.kind {
            ProblemKind::UnmappedAccount => assert_eq!(posting.account, codes::UNMAPPED),
            ProblemKind::ArchivedAccount => assert_eq!(posting.account, codes::ARCHIVED_RENTAL),
            ProblemKind::InsideLockDate => assert_eq!(posting.date, cfg.lock_date),
            ProblemKind::OneCentImbalance => assert_eq!(posting.reference, problem.reference),
        }
    }
    let org = &demo_organisations(
        chrono::DateTime::parse_from_rfc3339("2019-08-20T09:00:00Z")
            .unwrap()
            .to_utc(),
    )[0];
    assert!(org.account(codes::UNMAPPED).is_none());
    assert_eq!(
        org.account(codes::ARCHIVED_RENTAL).unwrap().status,
        "ARCHIVED"
    );
    assert_eq!(org.period_lock_date, Some(cfg.lock_date));
}

#[test]
fn the_demo_chart_has_the_rental_accounts_system_accounts_and_division_tracking() {
    let org = &demo_organisations(
        chrono::DateTime::parse_from_rfc3339("2019-08-20T09:00:00Z")
            .unwrap()
            .to_utc(),
    )[0];
    assert_eq!(org.tenant_id, ACME_TENANT_ID);
    let system: Vec<&str> = org
        .accounts
        .iter()
        .map(|a| a.system_account.as_str())
        .filter(|s| !s.is_empty())
        .collect();
    assert_eq!(
        system,
        ["DEBTORS", "CREDITORS", "RETAINEDEARNINGS", "ROUNDING"]
    );
    assert!(org.accounts.iter().any(|a| a.account_type == "BANK"));
    let options: Vec<&str> = org.tracking[0]
        .options
        .iter()
        .map(|o| o.name.as_str())
        .collect();
    assert_eq!(
        (org.tracking[0].name.as_str(), options),
        ("Division", vec!["Vancouver", "Calgary", "Turkey Creek"])
    );
}

#[test]
fn pages_chain_by_cursor_to_exactly_the_filtered_postings() {
    let cfg = config(7);
    let from = NaiveDate::from_ymd_opt(2019, 8, 1).unwrap();
    let to = NaiveDate::from_ymd_opt(2019, 8, 10).unwrap();
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = feed::page(&cfg, from, Some(to), cursor.as_deref(), 100).unwrap();
        assert_eq!(page.company, "Acme Equipment Rentals");
        seen.extend(page.postings);
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    let expected: Vec<_> = generate(&cfg)
        .into_iter()
        .filter(|p| p.date >= from && p.date <= to)
        .collect();
    assert!(expected.len() > 100, "more than one page");
    assert_eq!(seen, expected);
    assert!(
        feed::page(&cfg, from, None, Some("c10.20190801.20190810"), 100).is_err(),
        "a cursor is bound to its query"
    );
}

#[tokio::test]
async fn the_simulator_serves_the_feed_in_designs_json_shape() {
    let t = common::start().await;
    let url = format!("{}?from=2019-08-19", t.sim.urls().gl_feed);
    let body: serde_json::Value = t.http.get(url).send().await.unwrap().json().await.unwrap();
    assert_eq!(body["currency"], "CAD");
    assert!(body["next_cursor"].is_null());
    let first = &body["postings"][0];
    for field in [
        "id",
        "date",
        "account",
        "division",
        "account_description",
        "debit",
        "credit",
        "source",
        "reference",
        "store",
        "memo",
    ] {
        assert!(first[field].is_string(), "{field}: {first}");
    }
    assert_eq!(first["date"], "2019-08-19");
    let bad = t.http.get(t.sim.urls().gl_feed).send().await.unwrap();
    assert_eq!(bad.status(), reqwest::StatusCode::BAD_REQUEST);
}
