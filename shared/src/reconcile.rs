//! Do SRM and Xero agree? The journals this proxy posted, as it posted them (the SRM side),
//! against the same journals as Xero has them now (the Xero side): per Xero account, tracking
//! options and day, and per journal what changed in Xero after it was posted — voided, deleted,
//! or edited (its date, status, lines or amounts differ). Pure: both sides in, the report out.
//!
//! A difference is a group of cells (account, tracking, day) whose sides differ, with the
//! journals behind it: journals that changed in the same cells are one difference.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::api::OrganisationRef;
use crate::money::Money;
use crate::plan::{JournalKey, PlannedJournal};
use crate::xero::{ManualJournal, ManualJournalStatus, TrackingRef};

/// A tracking option on a line, by name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LineTracking {
    /// The tracking category's name ("Division").
    pub category: String,
    /// The option's name ("Vancouver").
    pub option: String,
}

/// One cell of the table: a Xero account with its tracking options on one day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReconciliationRow {
    /// The day.
    pub date: NaiveDate,
    /// The Xero account code.
    pub account_code: String,
    /// Its tracking options (empty: none).
    pub tracking: Vec<LineTracking>,
    /// What this proxy posted (debits positive, credits negative).
    pub srm: Money,
    /// What the same journals hold in Xero now.
    pub xero: Money,
    /// `xero − srm`.
    pub difference: Money,
}

/// What happened to a journal in Xero after it was posted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// Voided in Xero.
    Voided,
    /// Deleted in Xero, or no longer there.
    Deleted,
    /// Its date, status, lines or amounts were changed in Xero.
    Edited,
}

crate::text_names!(Change, "change", {
    Voided => "voided",
    Deleted => "deleted",
    Edited => "edited",
});

/// A journal this proxy posted that changed in Xero.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct XeroJournalChange {
    /// The export that posted it.
    pub export: u64,
    /// Its journal key.
    pub key: JournalKey,
    /// Xero's ManualJournalID.
    pub manual_journal_id: String,
    /// A link to it in Xero.
    pub xero_url: String,
    /// Its date as posted.
    pub date: NaiveDate,
    /// What happened.
    pub change: Change,
    /// What differs, in words.
    pub detail: String,
}

/// Cells where SRM and Xero disagree, with the journals behind them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Difference {
    /// The cells (each with its difference).
    pub rows: Vec<ReconciliationRow>,
    /// The journals that changed there.
    pub journals: Vec<XeroJournalChange>,
}

/// `GET /api/reconciliation?from=…&to=…`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reconciliation {
    /// The first day compared.
    pub from: NaiveDate,
    /// The last day compared.
    pub to: NaiveDate,
    /// The Xero organisation read.
    pub organisation: OrganisationRef,
    /// When Xero was read.
    pub read_at: DateTime<Utc>,
    /// Journals this proxy posted in those days, compared.
    pub journals: u32,
    /// Every cell, SRM against Xero.
    pub rows: Vec<ReconciliationRow>,
    /// Every journal that changed in Xero after it was posted.
    pub changes: Vec<XeroJournalChange>,
    /// Where the two sides disagree; empty when they agree.
    pub differences: Vec<Difference>,
}

/// One journal this proxy posted, as the ledger holds it.
#[derive(Debug, Clone, Copy)]
pub struct Posted<'a> {
    /// The export that posted it.
    pub export: u64,
    /// Xero's ManualJournalID.
    pub manual_journal_id: &'a str,
    /// The journal as sent.
    pub journal: &'a PlannedJournal,
}

/// A cell's identity.
type Cell = (NaiveDate, String, Vec<LineTracking>);

fn tracking_of(refs: &[TrackingRef]) -> Vec<LineTracking> {
    let mut out: Vec<LineTracking> = refs
        .iter()
        .map(|t| LineTracking {
            category: t.name.clone(),
            option: t.option.clone(),
        })
        .collect();
    out.sort();
    out
}

/// A journal's amounts per cell (zero cells left out).
fn cells(
    date: NaiveDate,
    lines: impl Iterator<Item = (String, Vec<LineTracking>, Money)>,
) -> BTreeMap<Cell, Money> {
    let mut out: BTreeMap<Cell, Money> = BTreeMap::new();
    for (code, tracking, amount) in lines {
        *out.entry((date, code.to_uppercase(), tracking))
            .or_default() += amount;
    }
    out.retain(|_, amount| !amount.is_zero());
    out
}

fn ours_cells(journal: &PlannedJournal) -> BTreeMap<Cell, Money> {
    cells(
        journal.date,
        journal
            .lines
            .iter()
            .map(|l| (l.account_code.clone(), tracking_of(&l.tracking), l.amount)),
    )
}

fn theirs_cells(journal: &ManualJournal, fallback_date: NaiveDate) -> BTreeMap<Cell, Money> {
    cells(
        journal.date.unwrap_or(fallback_date),
        journal.journal_lines.iter().map(|l| {
            (
                l.account_code.clone().unwrap_or_default(),
                tracking_of(&l.tracking),
                l.line_amount,
            )
        }),
    )
}

/// What one journal is on the Xero side: its change (if any), why, and its cells now.
fn judge(
    posted: &Posted<'_>,
    theirs: Option<&ManualJournal>,
) -> (Option<(Change, String)>, BTreeMap<Cell, Money>) {
    let Some(theirs) = theirs else {
        return (
            Some((Change::Deleted, "Xero no longer has it".to_owned())),
            BTreeMap::new(),
        );
    };
    match theirs.status {
        Some(ManualJournalStatus::Voided) => {
            return (
                Some((Change::Voided, "voided in Xero".to_owned())),
                BTreeMap::new(),
            );
        }
        Some(ManualJournalStatus::Deleted) => {
            return (
                Some((Change::Deleted, "deleted in Xero".to_owned())),
                BTreeMap::new(),
            );
        }
        _ => {}
    }
    let journal = posted.journal;
    let now = theirs_cells(theirs, journal.date);
    let mut what = Vec::new();
    let sent_status = journal.status.status();
    if let Some(status) = theirs.status.filter(|s| *s != sent_status) {
        what.push(format!("its status is {status:?}, not {sent_status:?}"));
    }
    if let Some(date) = theirs.date.filter(|d| *d != journal.date) {
        what.push(format!("its date is {date}, not {}", journal.date));
    }
    let then = ours_cells(journal);
    let (then_by_line, now_by_line) = (undated(&then), undated(&now));
    if then_by_line != now_by_line {
        let (sent, held) = (
            then.values()
                .filter(|m| m.is_positive())
                .copied()
                .sum::<Money>(),
            now.values()
                .filter(|m| m.is_positive())
                .copied()
                .sum::<Money>(),
        );
        what.push(if sent == held {
            "its lines were changed".to_owned()
        } else {
            format!("its debits are {held}, not {sent}")
        });
    }
    // A journal in another status than it was sent in is not on the books as sent.
    let counted = if theirs.status.is_some_and(|s| s != sent_status) {
        BTreeMap::new()
    } else {
        now
    };
    let change = (!what.is_empty()).then(|| {
        (
            Change::Edited,
            format!("edited in Xero: {}", what.join("; ")),
        )
    });
    (change, counted)
}

/// Cells without their day: what an edit of the lines changes.
fn undated(cells: &BTreeMap<Cell, Money>) -> BTreeMap<(&str, &[LineTracking]), Money> {
    let mut out: BTreeMap<(&str, &[LineTracking]), Money> = BTreeMap::new();
    for ((_, code, tracking), amount) in cells {
        *out.entry((code.as_str(), tracking.as_slice())).or_default() += *amount;
    }
    out.retain(|_, m| !m.is_zero());
    out
}

/// Compares `ours` (every journal this proxy posted dated `from..=to`) with `theirs` (Xero's
/// journals read back, by ManualJournalID in lower case; a journal missing there is deleted).
pub fn compare<S: std::hash::BuildHasher>(
    from: NaiveDate,
    to: NaiveDate,
    ours: &[Posted<'_>],
    theirs: &HashMap<String, ManualJournal, S>,
    xero_url: impl Fn(&str) -> String,
) -> (
    Vec<ReconciliationRow>,
    Vec<XeroJournalChange>,
    Vec<Difference>,
) {
    let in_range = |cell: &Cell| cell.0 >= from && cell.0 <= to;
    let mut table: BTreeMap<Cell, (Money, Money)> = BTreeMap::new();
    let mut changes = Vec::new();
    // Per changed journal: the cells where its two sides differ.
    let mut moved: Vec<(XeroJournalChange, BTreeSet<Cell>)> = Vec::new();
    for posted in ours {
        let then = ours_cells(posted.journal);
        let (change, now) = judge(posted, theirs.get(&posted.manual_journal_id.to_lowercase()));
        for (cell, amount) in then.iter().filter(|(c, _)| in_range(c)) {
            table.entry(cell.clone()).or_default().0 += *amount;
        }
        for (cell, amount) in now.iter().filter(|(c, _)| in_range(c)) {
            table.entry(cell.clone()).or_default().1 += *amount;
        }
        if let Some((change, detail)) = change {
            let differing: BTreeSet<Cell> = then
                .keys()
                .chain(now.keys())
                .filter(|c| in_range(c) && then.get(*c) != now.get(*c))
                .cloned()
                .collect();
            let record = XeroJournalChange {
                export: posted.export,
                key: posted.journal.key.clone(),
                manual_journal_id: posted.manual_journal_id.to_owned(),
                xero_url: xero_url(posted.manual_journal_id),
                date: posted.journal.date,
                change,
                detail,
            };
            changes.push(record.clone());
            moved.push((record, differing));
        }
    }
    let row = |(cell, (srm, xero)): (&Cell, &(Money, Money))| ReconciliationRow {
        date: cell.0,
        account_code: cell.1.clone(),
        tracking: cell.2.clone(),
        srm: *srm,
        xero: *xero,
        difference: *xero - *srm,
    };
    let rows: Vec<ReconciliationRow> = table.iter().map(row).collect();
    let off: BTreeSet<&Cell> = table
        .iter()
        .filter(|(_, (srm, xero))| srm != xero)
        .map(|(cell, _)| cell)
        .collect();
    let differences = group(&moved, &off, &table, row);
    (rows, changes, differences)
}

/// The root of `i`'s set (union-find, halving the path as it goes).
fn root(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// Groups the changed journals that share a differing cell, each group with its cells.
fn group(
    moved: &[(XeroJournalChange, BTreeSet<Cell>)],
    off: &BTreeSet<&Cell>,
    table: &BTreeMap<Cell, (Money, Money)>,
    row: impl Fn((&Cell, &(Money, Money))) -> ReconciliationRow,
) -> Vec<Difference> {
    // Union-find over the journals, joined through the cells they share.
    let mut parent: Vec<usize> = (0..moved.len()).collect();
    let mut first_at: HashMap<&Cell, usize> = HashMap::new();
    for (i, (_, cells)) in moved.iter().enumerate() {
        for cell in cells.iter().filter(|c| off.contains(c)) {
            match first_at.get(cell) {
                Some(&j) => {
                    let (a, b) = (root(&mut parent, i), root(&mut parent, j));
                    parent[a] = b;
                }
                None => {
                    first_at.insert(cell, i);
                }
            }
        }
    }
    let mut groups: BTreeMap<usize, (BTreeSet<&Cell>, Vec<XeroJournalChange>)> = BTreeMap::new();
    for (i, (journal, cells)) in moved.iter().enumerate() {
        let shown: Vec<&Cell> = cells.iter().filter(|c| off.contains(c)).collect();
        if shown.is_empty() {
            continue;
        }
        let entry = groups.entry(root(&mut parent, i)).or_default();
        entry.0.extend(shown);
        entry.1.push(journal.clone());
    }
    groups
        .into_values()
        .map(|(cells, journals)| Difference {
            rows: cells
                .into_iter()
                .filter_map(|c| table.get_key_value(c).map(&row))
                .collect(),
            journals,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::{CodeSource, PostAs};
    use crate::plan::PlannedLine;
    use crate::xero::ManualJournalLine;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2019, 8, d).unwrap()
    }

    fn line(code: &str, division: Option<&str>, cents: i64) -> PlannedLine {
        PlannedLine {
            account_code: code.into(),
            code_source: CodeSource::SameCode,
            srm_accounts: Vec::new(),
            description: format!("SRM {code}"),
            amount: Money::from_cents(cents),
            tracking: division
                .map(|d| TrackingRef {
                    name: "Division".into(),
                    option: d.into(),
                    ..TrackingRef::default()
                })
                .into_iter()
                .collect(),
            tax_type: None,
            rounding: false,
        }
    }

    fn journal(id: &str, date: NaiveDate, lines: Vec<PlannedLine>) -> PlannedJournal {
        PlannedJournal {
            key: JournalKey::from_posting_ids([id]),
            date,
            group: "Division".into(),
            narration: format!("SRM · key {id}"),
            url: None,
            status: PostAs::Posted,
            lines,
            postings: vec![id.into()],
            problems: Vec::new(),
        }
    }

    /// The journal as Xero reads it back untouched.
    fn read_back(journal: &PlannedJournal) -> ManualJournal {
        ManualJournal {
            status: Some(ManualJournalStatus::Posted),
            journal_lines: journal
                .lines
                .iter()
                .map(|l| ManualJournalLine {
                    line_amount: l.amount,
                    account_code: Some(l.account_code.clone()),
                    tracking: l.tracking.clone(),
                    ..ManualJournalLine::default()
                })
                .collect(),
            ..journal.to_xero()
        }
    }

    fn url(id: &str) -> String {
        format!("https://go.xero.com/Journal/View.aspx?invoiceID={id}")
    }

    fn three() -> Vec<PlannedJournal> {
        vec![
            journal(
                "a",
                day(19),
                vec![
                    line("1200", Some("Vancouver"), 12_500),
                    line("4000", Some("Vancouver"), -12_500),
                ],
            ),
            journal(
                "b",
                day(19),
                vec![
                    line("1200", Some("Calgary"), 4_000),
                    line("4000", Some("Calgary"), -4_000),
                ],
            ),
            journal(
                "c",
                day(20),
                vec![line("1200", None, 1_000), line("4100", None, -1_000)],
            ),
        ]
    }

    fn posted(journals: &[PlannedJournal]) -> Vec<Posted<'_>> {
        journals
            .iter()
            .map(|j| Posted {
                export: 1,
                manual_journal_id: j.postings[0].as_str(),
                journal: j,
            })
            .collect()
    }

    #[test]
    fn journals_read_back_untouched_agree_to_the_cent() {
        let ours = three();
        let theirs: HashMap<String, ManualJournal> = ours
            .iter()
            .map(|j| (j.postings[0].clone(), read_back(j)))
            .collect();
        let (rows, changes, differences) = compare(day(1), day(31), &posted(&ours), &theirs, url);
        assert!(changes.is_empty() && differences.is_empty(), "{changes:?}");
        assert_eq!(rows.len(), 6);
        assert!(
            rows.iter()
                .all(|r| r.srm == r.xero && r.difference.is_zero())
        );
        assert_eq!(rows[0].account_code, "1200");
        assert_eq!(rows[0].tracking[0].option, "Calgary");
    }

    #[test]
    fn a_voided_journal_and_an_edited_one_are_two_differences_with_their_amounts() {
        let ours = three();
        let mut theirs: HashMap<String, ManualJournal> = ours
            .iter()
            .map(|j| (j.postings[0].clone(), read_back(j)))
            .collect();
        theirs.get_mut("a").unwrap().status = Some(ManualJournalStatus::Voided);
        let edited = theirs.get_mut("c").unwrap();
        edited.journal_lines[0].line_amount = Money::from_cents(1_500);
        edited.journal_lines[1].line_amount = Money::from_cents(-1_500);
        let (rows, changes, differences) = compare(day(1), day(31), &posted(&ours), &theirs, url);
        let kinds: Vec<(&str, Change)> = changes
            .iter()
            .map(|c| (c.manual_journal_id.as_str(), c.change))
            .collect();
        assert_eq!(kinds, [("a", Change::Voided), ("c", Change::Edited)]);
        assert_eq!(
            changes[1].detail,
            "edited in Xero: its debits are 15.00, not 10.00"
        );
        assert_eq!(differences.len(), 2);
        let voided = &differences[0];
        assert_eq!(voided.journals[0].manual_journal_id, "a");
        assert_eq!(
            voided
                .rows
                .iter()
                .map(|r| (r.account_code.as_str(), r.srm, r.xero, r.difference))
                .collect::<Vec<_>>(),
            [
                (
                    "1200",
                    Money::from_cents(12_500),
                    Money::ZERO,
                    Money::from_cents(-12_500)
                ),
                (
                    "4000",
                    Money::from_cents(-12_500),
                    Money::ZERO,
                    Money::from_cents(12_500)
                ),
            ]
        );
        let edit = &differences[1];
        assert_eq!(edit.journals[0].xero_url, url("c"));
        assert_eq!(
            edit.rows
                .iter()
                .map(|r| (r.account_code.as_str(), r.difference))
                .collect::<Vec<_>>(),
            [
                ("1200", Money::from_cents(500)),
                ("4100", Money::from_cents(-500))
            ]
        );
        // Calgary's journal still agrees, in the table too.
        assert!(
            rows.iter()
                .filter(|r| r.tracking.iter().any(|t| t.option == "Calgary"))
                .all(|r| r.difference.is_zero())
        );
    }

    #[test]
    fn a_journal_gone_from_xero_or_moved_to_another_day_is_named() {
        let ours = three();
        let mut theirs: HashMap<String, ManualJournal> = ours
            .iter()
            .map(|j| (j.postings[0].clone(), read_back(j)))
            .collect();
        theirs.remove("b");
        theirs.get_mut("c").unwrap().date = Some(day(21));
        // The 20th only: the journal moved to the 21st leaves it.
        let (_, changes, differences) =
            compare(day(20), day(20), &posted(&ours[2..]), &theirs, url);
        assert_eq!(
            changes[0].detail,
            "edited in Xero: its date is 2019-08-21, not 2019-08-20"
        );
        assert_eq!(
            differences[0]
                .rows
                .iter()
                .map(|r| r.xero)
                .collect::<Vec<_>>(),
            [Money::ZERO, Money::ZERO]
        );
        let (_, changes, _) = compare(day(19), day(19), &posted(&ours[1..2]), &theirs, url);
        assert_eq!(
            (changes[0].change, changes[0].detail.as_str()),
            (Change::Deleted, "Xero no longer has it")
        );
        // Two journals that changed in the same cell are one difference.
        theirs.insert("b".into(), read_back(&ours[1]));
        for id in ["a", "b"] {
            let lines = &mut theirs.get_mut(id).unwrap().journal_lines;
            for line in lines.iter_mut() {
                line.tracking.clear();
            }
        }
        let (_, changes, differences) =
            compare(day(19), day(19), &posted(&ours[..2]), &theirs, url);
        assert_eq!(changes.len(), 2);
        assert_eq!(differences.len(), 1);
        assert_eq!(differences[0].journals.len(), 2);
    }

    /// Property tests run natively (proptest does not build for the browser).
    #[cfg(not(target_arch = "wasm32"))]
    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            /// Any journals read back as posted agree everywhere, and the table balances.
            #[test]
            fn what_xero_holds_as_posted_always_agrees(
                amounts in proptest::collection::vec((1u32..28, 1i64..1_000_000, 0usize..3), 1..40),
            ) {
                let divisions = [None, Some("Vancouver"), Some("Turkey Creek · key x")];
                let ours: Vec<PlannedJournal> = amounts
                    .iter()
                    .enumerate()
                    .map(|(n, (d, cents, division))| {
                        journal(&format!("j{n}"), day(*d), vec![
                            line("1200", divisions[*division], *cents),
                            line("4000", divisions[*division], -*cents),
                        ])
                    })
                    .collect();
                let theirs: HashMap<String, ManualJournal> =
                    ours.iter().map(|j| (j.postings[0].clone(), read_back(j))).collect();
                let (rows, changes, differences) = compare(day(1), day(31), &posted(&ours), &theirs, url);
                prop_assert!(changes.is_empty() && differences.is_empty());
                prop_assert_eq!(rows.iter().map(|r| r.srm).sum::<Money>(), Money::ZERO);
                prop_assert!(rows.iter().all(|r| r.difference.is_zero()));
            }
        }
    }
}
