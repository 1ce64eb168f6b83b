//! The demo SRM G/L: a deterministic, seeded generator of a rental company's postings in
//! DESIGN.md's feed format — three divisions, 90 days, balanced per source document — plus the
//! deliberate problems a bookkeeper meets, listed by `deliberate_problems`.

use chrono::{Duration, NaiveDate};
use serde::Serialize;

use super::org::{DIVISIONS, codes, demo_lock_date};
use crate::rng::SplitMix64;

/// One SRM G/L posting, fields in the feed's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Posting {
    pub id: String,
    pub date: NaiveDate,
    pub account: String,
    pub division: String,
    pub account_description: String,
    /// Decimal text with two places.
    pub debit: String,
    pub credit: String,
    pub source: String,
    pub reference: String,
    pub store: String,
    pub memo: String,
}

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlConfig {
    pub seed: u64,
    /// The last day with postings.
    pub end: NaiveDate,
    pub days: i64,
    pub company: String,
    pub currency: String,
    /// The organisation's period lock date (a deliberate problem posts on it).
    pub lock_date: NaiveDate,
    /// How many rounds of ordinary documents each division writes a day: 1 for the demo (about
    /// 24 postings a division and day); more for a close of any size (the deliberate problems
    /// are planted once).
    pub volume: u32,
}

impl GlConfig {
    /// The demo's feed as seen on `today`: 90 days ending yesterday, the demo lock date.
    pub fn demo(seed: u64, today: NaiveDate) -> Self {
        GlConfig {
            seed,
            end: today - Duration::days(1),
            days: 90,
            company: super::org::ACME_NAME.into(),
            currency: "CAD".into(),
            lock_date: demo_lock_date(today),
            volume: 1,
        }
    }

    fn first_day(&self) -> NaiveDate {
        self.end - Duration::days(self.days - 1)
    }
}

/// The kinds of deliberate problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// A posting to an SRM account no Xero account matches.
    UnmappedAccount,
    /// A posting to the account that is ARCHIVED in Xero.
    ArchivedAccount,
    /// Postings dated on the period lock date.
    InsideLockDate,
    /// One source document whose debits exceed its credits by one cent.
    OneCentImbalance,
}

/// One deliberate problem and the postings that carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub kind: ProblemKind,
    pub date: NaiveDate,
    pub division: String,
    pub reference: String,
    pub posting_ids: Vec<String>,
    pub explanation: String,
}

const STORES: [[&str; 2]; 3] = [["001", "002"], ["003", "004"], ["005", "006"]];
const MACHINES: [&str; 8] = [
    "excavator",
    "scissor lift",
    "skid steer",
    "boom lift",
    "plate compactor",
    "generator",
    "mini excavator",
    "telehandler",
];

fn money(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn description(code: &str) -> &'static str {
    match code {
        codes::CASH_CLEARING => "Cash Clearing",
        codes::AR_CLEARING => "A/R Clearing",
        codes::INVENTORY => "Inventory",
        codes::AP_CLEARING => "A/P Clearing",
        codes::SALES_TAX => "Sales Tax Payable",
        codes::RENTAL => "Rental Revenue",
        codes::SALES => "Sales Revenue",
        codes::DAMAGE_WAIVER => "Damage Waiver Revenue",
        codes::DELIVERY => "Delivery & Pickup Revenue",
        codes::FUEL => "Fuel Revenue",
        codes::ENVIRONMENTAL => "Environmental Fees",
        codes::ARCHIVED_RENTAL => "Rental Revenue - Old Fleet",
        codes::UNMAPPED => "Equipment Sales - New Line",
        codes::COST_OF_SALES => "Cost of Sales",
        codes::SHRINKAGE => "Inventory Shrinkage",
        codes::REPAIRS => "Repairs & Maintenance",
        codes::FUEL_EXPENSE => "Fuel Expense",
        _ => "Miscellaneous",
    }
}

/// Builds postings one source document at a time.
struct Writer {
    next_id: u64,
    postings: Vec<Posting>,
}

/// One document's header: date, division, store, source, reference, memo.
struct Doc<'a> {
    date: NaiveDate,
    division: &'a str,
    store: &'a str,
    source: &'a str,
    reference: String,
    memo: String,
}

impl Writer {
    /// Writes one document; each line is (account, cents) with debits positive.
    fn write(&mut self, doc: &Doc<'_>, lines: &[(&str, i64)]) -> Vec<String> {
        let mut ids = Vec::new();
        for &(account, cents) in lines.iter().filter(|(_, c)| *c != 0) {
            let id = format!("GL-{:09}", self.next_id);
            self.next_id += 1;
            self.postings.push(Posting {
                id: id.clone(),
                date: doc.date,
                account: account.into(),
                division: doc.division.into(),
                account_description: description(account).into(),
                debit: money(cents.max(0)),
                credit: money((-cents).max(0)),
                source: doc.source.into(),
                reference: doc.reference.clone(),
                store: doc.store.into(),
                memo: doc.memo.clone(),
            });
            ids.push(id);
        }
        ids
    }
}

/// Generates the postings and the deliberate problems together (one pass, so they always agree).
// One day's documents read top to bottom like SRM's posting sources; splitting would hide that.
#[allow(clippy::too_many_lines)]
pub fn generate_with_problems(config: &GlConfig) -> (Vec<Posting>, Vec<Problem>) {
    let mut rng = SplitMix64::new(config.seed);
    let mut w = Writer {
        next_id: 123_457,
        postings: Vec::new(),
    };
    let mut problems = Vec::new();
    let mut contract = 55_000 + rng.range(0, 999);
    for offset in 0..config.days {
        let date = config.first_day() + Duration::days(offset);
        let day = date.format("%Y%m%d").to_string();
        for (d, (division, _)) in DIVISIONS.iter().enumerate() {
            let mut seq = 0;
            let mut doc =
                |rng: &mut SplitMix64, source: &'static str, prefix: &str, memo: String| {
                    seq += 1;
                    Doc {
                        date,
                        division,
                        store: STORES[d][usize::from(rng.chance(50))],
                        source,
                        reference: format!("{prefix}-{day}-{d}{seq:03}"),
                        memo,
                    }
                };
            for _ in 0..config.volume.max(1) {
                for _ in 0..rng.range(2, 5) {
                    contract += 1;
                    let machine = *rng.pick(&MACHINES);
                    let rental = rng.range(15_000, 250_000);
                    let waiver = if rng.chance(60) { rental * 12 / 100 } else { 0 };
                    let delivery = if rng.chance(50) {
                        rng.range(7_500, 25_000)
                    } else {
                        0
                    };
                    let fuel = if rng.chance(40) {
                        rng.range(2_000, 15_000)
                    } else {
                        0
                    };
                    let env = rental * 2 / 100;
                    let tax = (rental + waiver + delivery + fuel + env) * 5 / 100;
                    let total = rental + waiver + delivery + fuel + env + tax;
                    let header = doc(
                        &mut rng,
                        "AR",
                        "INV",
                        format!("Contract {contract} {machine} rental"),
                    );
                    w.write(
                        &header,
                        &[
                            (codes::AR_CLEARING, total),
                            (codes::RENTAL, -rental),
                            (codes::DAMAGE_WAIVER, -waiver),
                            (codes::DELIVERY, -delivery),
                            (codes::FUEL, -fuel),
                            (codes::ENVIRONMENTAL, -env),
                            (codes::SALES_TAX, -tax),
                        ],
                    );
                }
                if rng.chance(30) {
                    let price = rng.range(1_500, 40_000);
                    let cost = price * 6 / 10;
                    let tax = price * 5 / 100;
                    let header = doc(
                        &mut rng,
                        "AR",
                        "INV",
                        "Counter sale of parts and supplies".into(),
                    );
                    w.write(
                        &header,
                        &[
                            (codes::AR_CLEARING, price + tax),
                            (codes::SALES, -price),
                            (codes::SALES_TAX, -tax),
                            (codes::COST_OF_SALES, cost),
                            (codes::INVENTORY, -cost),
                        ],
                    );
                }
                for _ in 0..rng.range(1, 3) {
                    let amount = rng.range(10_000, 300_000);
                    let header = doc(&mut rng, "CR", "RCT", "Customer payment".into());
                    w.write(
                        &header,
                        &[
                            (codes::CASH_CLEARING, amount),
                            (codes::AR_CLEARING, -amount),
                        ],
                    );
                }
                for _ in 0..rng.range(0, 2) {
                    let amount = rng.range(5_000, 120_000);
                    let (account, memo) = *rng.pick(&[
                        (codes::REPAIRS, "Hydraulic repair parts"),
                        (codes::FUEL_EXPENSE, "Fleet fuel delivery"),
                        (codes::INVENTORY, "Parts for resale"),
                    ]);
                    let header = doc(&mut rng, "AP", "AP", memo.into());
                    w.write(&header, &[(account, amount), (codes::AP_CLEARING, -amount)]);
                }
                if rng.chance(15) {
                    let amount = rng.range(500, 20_000);
                    let header = doc(&mut rng, "IA", "IA", "Cycle count adjustment".into());
                    w.write(
                        &header,
                        &[(codes::SHRINKAGE, amount), (codes::INVENTORY, -amount)],
                    );
                }
                if offset % 7 == 6 && d == 0 {
                    let amount = rng.range(20_000, 90_000);
                    let header = doc(&mut rng, "GJ", "GJ", "Accrued equipment repairs".into());
                    w.write(
                        &header,
                        &[(codes::REPAIRS, amount), (codes::AP_CLEARING, -amount)],
                    );
                }
            }
            let days_back = (config.end - date).num_days();
            let mut problem = |kind, header: &Doc<'_>, ids: Vec<String>, explanation: &str| {
                problems.push(Problem {
                    kind,
                    date,
                    division: (*division).into(),
                    reference: header.reference.clone(),
                    posting_ids: ids,
                    explanation: explanation.into(),
                });
            };
            if days_back == 2 && d == 1 {
                let header = doc(&mut rng, "AR", "INV", "New equipment line sale".into());
                let ids = w.write(
                    &header,
                    &[(codes::AR_CLEARING, 84_000), (codes::UNMAPPED, -84_000)],
                );
                problem(
                    ProblemKind::UnmappedAccount,
                    &header,
                    vec![ids[1].clone()],
                    "SRM account 4999 has no Xero account: map it or create it in Xero",
                );
            }
            if days_back == 4 && d == 0 {
                let header = doc(&mut rng, "AR", "INV", "Old fleet rental billed late".into());
                let ids = w.write(
                    &header,
                    &[
                        (codes::AR_CLEARING, 31_500),
                        (codes::ARCHIVED_RENTAL, -31_500),
                    ],
                );
                problem(
                    ProblemKind::ArchivedAccount,
                    &header,
                    vec![ids[1].clone()],
                    "Xero account 4950 is archived: map SRM 4950 to an active account",
                );
            }
            if days_back == 1 && d == 2 {
                let header = doc(
                    &mut rng,
                    "GJ",
                    "GJ",
                    "Manual fuel surcharge correction".into(),
                );
                let ids = w.write(
                    &header,
                    &[(codes::AR_CLEARING, 12_346), (codes::FUEL, -12_345)],
                );
                problem(
                    ProblemKind::OneCentImbalance,
                    &header,
                    ids,
                    "Debits exceed credits by 0.01: post through the rounding account or fix in SRM",
                );
            }
            if date == config.lock_date && d == 0 {
                let header = doc(
                    &mut rng,
                    "CR",
                    "RCT",
                    "Late receipt in a closed period".into(),
                );
                let ids = w.write(
                    &header,
                    &[(codes::CASH_CLEARING, 5_000), (codes::AR_CLEARING, -5_000)],
                );
                problem(
                    ProblemKind::InsideLockDate,
                    &header,
                    ids,
                    "The period is locked in Xero: post as DRAFT or move the lock date",
                );
            }
        }
    }
    (w.postings, problems)
}

/// The postings of `config`.
pub fn generate(config: &GlConfig) -> Vec<Posting> {
    generate_with_problems(config).0
}

/// The deliberate problems planted in `config`'s postings.
pub fn deliberate_problems(config: &GlConfig) -> Vec<Problem> {
    generate_with_problems(config).1
}
