//! The reducer, action by action, without a browser.

use std::rc::Rc;

use chrono::NaiveDate;
use srm_xero_shared::api::{ExportSearch, ExportStatus, JournalState, MappingDocument};
use srm_xero_shared::mapping::AccountRule;
use srm_xero_shared::{JournalKey, MappingSettings, Problem, Severity};
use yew::Reducible;

use super::*;
use crate::fixtures;

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn run(state: State, actions: impl IntoIterator<Item = Action>) -> State {
    let mut state = Rc::new(state);
    for action in actions {
        state = state.reduce(action);
    }
    Rc::unwrap_or_clone(state)
}

fn feed() -> Feed {
    Feed {
        postings: Rc::new(fixtures::postings()),
        company: Some("Acme Equipment Rentals".into()),
        currency: Some("CAD".into()),
        origin: FeedOrigin::Srm,
    }
}

/// A state with reference data, mapping, the default date and the fixture feed planned.
fn previewed() -> State {
    run(
        State::default(),
        [
            Action::ConnectionLoaded(fixtures::connected()),
            Action::ReferenceLoaded(fixtures::reference()),
            Action::MappingLoaded(fixtures::mapping()),
            Action::ExportedLoaded {
                answer: fixtures::exported(),
                for_feed: false,
            },
            Action::FeedStarted,
            Action::FeedProgress {
                pages: 1,
                postings: 7,
            },
            Action::FeedLoaded(feed()),
            Action::ExportedLoaded {
                answer: fixtures::exported(),
                for_feed: true,
            },
        ],
    )
}

#[test]
fn the_default_sync_from_is_the_day_after_the_last_exported_date_until_the_user_types_one() {
    let state = run(
        State::default(),
        [Action::ExportedLoaded {
            answer: fixtures::exported(),
            for_feed: false,
        }],
    );
    assert_eq!(state.sync_from, Some(date(2019, 8, 19)));
    assert_eq!(state.last_exported_date, Some(date(2019, 8, 18)));
    assert!(state.plan.is_none());

    let typed = run(
        state,
        [
            Action::SetSyncFrom(Some(date(2019, 8, 1))),
            Action::ExportedLoaded {
                answer: fixtures::exported(),
                for_feed: false,
            },
        ],
    );
    assert_eq!(typed.sync_from, Some(date(2019, 8, 1)));
}

#[test]
fn the_plan_waits_for_every_input_then_shows_journals_skips_and_problems() {
    let before_exported = run(
        State::default(),
        [
            Action::ReferenceLoaded(fixtures::reference()),
            Action::MappingLoaded(fixtures::mapping()),
            Action::SetSyncFrom(Some(date(2019, 8, 19))),
            Action::FeedLoaded(feed()),
        ],
    );
    assert!(
        before_exported.plan.is_none(),
        "waits for the exported lookup"
    );

    let state = previewed();
    let plan = state.plan.as_ref().expect("a plan");
    assert_eq!(plan.postings_read, 7);
    assert_eq!(plan.skipped.already_exported, vec![("GL-6".to_owned(), 11)]);
    assert_eq!(plan.journals.len(), 3);
    let groups: Vec<(&str, NaiveDate)> = plan
        .journals
        .iter()
        .map(|j| (j.group.as_str(), j.date))
        .collect();
    assert_eq!(
        groups,
        vec![
            ("Division 1", date(2019, 8, 19)),
            ("Division 2", date(2019, 8, 19)),
            ("Division 1", date(2019, 8, 20)),
        ]
    );
    let problems = &plan.journals[1].problems;
    assert!(
        matches!(&problems[..], [Problem::InactiveAccount { code, .. }] if code == "4100"),
        "{problems:?}"
    );
    assert_eq!(problems[0].severity(), Severity::Blocking);
    assert_eq!(state.currency(), Some("CAD"));
}

#[test]
fn accept_is_refused_while_a_journal_is_blocked_unless_only_valid_ones_are_posted() {
    let state = previewed();
    assert!(state.acceptable().is_err());
    let state = run(state, [Action::SetPostOnlyValid(true)]);
    let keys = state.acceptable().expect("acceptable");
    assert_eq!(keys.len(), 2);
    let postings = state.accepted_postings(&keys);
    let ids: Vec<&str> = postings.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, vec!["GL-1", "GL-2", "GL-5", "GL-7"]);

    let sending = run(state, [Action::Accepting]);
    assert!(sending.acceptable().is_err());
    let failed = run(sending, [Action::Fail(Area::Export, "proxy down".into())]);
    assert!(!failed.accepting);
    assert_eq!(failed.notice(Area::Export), Some("proxy down"));
    let dismissed = run(failed, [Action::Dismiss(Area::Export)]);
    assert_eq!(dismissed.notice(Area::Export), None);
}

#[test]
fn a_mapping_change_re_plans_at_once() {
    let state = previewed();
    let mut settings = state.mapping.as_ref().unwrap().settings.clone();
    settings.accounts.push(AccountRule {
        srm_account: "4100".into(),
        division: Some("2".into()),
        xero_code: "4000".into(),
    });
    let state = run(
        state,
        [
            Action::MappingSaving,
            Action::MappingLoaded(MappingDocument {
                settings,
                version: 4,
                ..fixtures::mapping()
            }),
        ],
    );
    assert!(!state.mapping_saving);
    let plan = state.plan.as_ref().unwrap();
    assert!(plan.journals.iter().all(|j| j.problems.is_empty()));
    assert_eq!(state.acceptable().unwrap().len(), 3);
}

#[test]
fn a_later_sync_from_date_skips_earlier_postings() {
    let state = run(previewed(), [Action::SetSyncFrom(Some(date(2019, 8, 20)))]);
    let plan = state.plan.as_ref().unwrap();
    assert_eq!(plan.skipped.before_from, 4);
    assert_eq!(plan.journals.len(), 1);
}

#[test]
fn a_feed_failure_stops_loading_and_says_why() {
    let state = run(
        State::default(),
        [
            Action::FeedStarted,
            Action::Fail(Area::Preview, "SRM session expired".into()),
        ],
    );
    assert_eq!(state.feed, FeedState::Idle);
    assert_eq!(state.notice(Area::Preview), Some("SRM session expired"));
    let again = run(state, [Action::FeedStarted]);
    assert_eq!(again.notice(Area::Preview), None);
}

#[test]
fn progress_events_that_arrive_out_of_order_are_dropped() {
    let state = run(
        State::default(),
        [
            Action::ExportOpened(fixtures::export_detail()),
            Action::Popup(PopupAction::Progress(fixtures::progress(5, 3, 0))),
            Action::Popup(PopupAction::Progress(fixtures::progress(4, 2, 1))),
            Action::Popup(PopupAction::Progress(fixtures::progress(5, 2, 1))),
        ],
    );
    let popup = state.popup.as_ref().unwrap();
    assert_eq!(popup.progress.as_ref().unwrap().sequence, 5);
    assert_eq!(popup.counts().posted, 3);
    assert_eq!(popup.counts().pending, 0);
    assert!(!popup.running());
    assert!(popup.rows_stale, "the rows are older than the counts");

    // Another export's events are not this one's.
    let mut other = fixtures::progress(9, 0, 9);
    other.number = 13;
    let state = run(state, [Action::Popup(PopupAction::Progress(other))]);
    assert_eq!(state.popup.as_ref().unwrap().counts().posted, 3);
}

#[test]
fn a_reload_mid_export_restores_the_popup_from_the_export_detail() {
    // A fresh page (the reload): nothing but the proxy's detail of the running export.
    let state = run(
        State::default(),
        [Action::ExportOpened(fixtures::export_detail())],
    );
    let popup = state.popup.as_ref().expect("the popup is open again");
    assert_eq!(popup.number(), 12);
    assert_eq!(state.export_number, "12");
    assert!(popup.running());
    assert_eq!(popup.counts().posted, 2);
    assert_eq!(popup.rows().len(), 5);
    assert_eq!(popup.live, LiveMode::Events);

    // Events carry on from there, and a refresh of the rows keeps what the user chose.
    let mut detail = fixtures::export_detail();
    detail.summary.counts = fixtures::progress(7, 3, 0).counts;
    detail.summary.status = ExportStatus::Exported;
    let state = run(
        state,
        [
            Action::Popup(PopupAction::SetFilter(Some(JournalState::Failed))),
            Action::Popup(PopupAction::Progress(fixtures::progress(7, 3, 0))),
            Action::ExportOpened(detail),
        ],
    );
    let popup = state.popup.as_ref().unwrap();
    assert!(!popup.rows_stale, "the rows caught up with the events");
    assert_eq!(popup.filter, Some(JournalState::Failed));
    assert_eq!(popup.progress.as_ref().unwrap().sequence, 7);
    assert_eq!(popup.summary.status, ExportStatus::Exported);

    // Rows read before the newest event stay stale, so they are read again.
    let state = run(
        state,
        [
            Action::Popup(PopupAction::Progress(fixtures::progress(8, 4, 0))),
            Action::ExportOpened(fixtures::export_detail()),
        ],
    );
    assert!(state.popup.as_ref().unwrap().rows_stale);
}

#[test]
fn the_list_filters_searches_and_sorts() {
    let state = run(
        State::default(),
        [Action::ExportOpened(fixtures::export_detail())],
    );
    let popup = state.popup.as_ref().unwrap();
    assert_eq!(popup.visible_rows().len(), 5);
    assert_eq!(popup.failed_keys().len(), 1);

    let state = run(
        state,
        [Action::Popup(PopupAction::SetFilter(Some(
            JournalState::Posted,
        )))],
    );
    assert_eq!(state.popup.as_ref().unwrap().visible_rows().len(), 2);

    let state = run(
        state,
        [
            Action::Popup(PopupAction::SetFilter(None)),
            Action::Popup(PopupAction::SetSearch("ARCHIVED".into())),
        ],
    );
    let rows = state.popup.as_ref().unwrap().visible_rows();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].state, JournalState::Failed);

    let state = run(
        state,
        [
            Action::Popup(PopupAction::SetSearch(String::new())),
            Action::Popup(PopupAction::SetSort(SortKey::Total)),
        ],
    );
    let totals: Vec<String> = state
        .popup
        .as_ref()
        .unwrap()
        .visible_rows()
        .iter()
        .map(|r| r.total.to_plain_string())
        .collect();
    assert_eq!(totals, ["20.00", "75.00", "500.00", "1000.50", "1250.00"]);
    let state = run(state, [Action::Popup(PopupAction::SetSort(SortKey::Total))]);
    let popup = state.popup.as_ref().unwrap();
    assert!(popup.descending);
    assert_eq!(popup.visible_rows()[0].total.to_plain_string(), "1250.00");

    let state = run(state, [Action::Popup(PopupAction::SetSort(SortKey::State))]);
    assert_eq!(
        state.popup.as_ref().unwrap().visible_rows()[0].state,
        JournalState::Failed
    );
    let state = run(
        state,
        [
            Action::Popup(PopupAction::SetLive(LiveMode::Polling)),
            Action::Popup(PopupAction::Close),
        ],
    );
    assert!(state.popup.is_none());
}

#[test]
fn a_journal_detail_opens_only_for_the_selected_journal() {
    let detail = fixtures::journal_detail();
    let state = run(
        State::default(),
        [
            Action::ExportOpened(fixtures::export_detail()),
            Action::Popup(PopupAction::SelectJournal(detail.row.key.clone())),
            Action::Popup(PopupAction::JournalLoaded(Rc::new(detail.clone()))),
        ],
    );
    let selected = state.popup.as_ref().unwrap().selected.as_ref().unwrap();
    assert_eq!(selected.1.as_deref(), Some(&detail));

    let other = fixtures::export_detail().journals[2].key.clone();
    let state = run(
        state,
        [
            Action::Popup(PopupAction::SelectJournal(other)),
            Action::Popup(PopupAction::JournalLoaded(Rc::new(detail))),
        ],
    );
    assert!(
        state
            .popup
            .as_ref()
            .unwrap()
            .selected
            .as_ref()
            .unwrap()
            .1
            .is_none()
    );
    let state = run(state, [Action::Popup(PopupAction::CloseJournal)]);
    assert!(state.popup.as_ref().unwrap().selected.is_none());
}

#[test]
fn voiding_needs_a_reason_and_a_confirmation() {
    let key = fixtures::export_detail().journals[2].key.clone();
    let state = run(
        State::default(),
        [
            Action::ExportOpened(fixtures::export_detail()),
            Action::Popup(PopupAction::StartVoid(key.clone())),
            Action::Popup(PopupAction::ConfirmVoid),
        ],
    );
    let draft = state.popup.as_ref().unwrap().void.clone().unwrap();
    assert!(!draft.confirming, "no reason, no confirmation step");
    let state = run(
        state,
        [
            Action::Popup(PopupAction::SetVoidReason("Keyed by hand".into())),
            Action::Popup(PopupAction::ConfirmVoid),
        ],
    );
    let draft = state.popup.as_ref().unwrap().void.clone().unwrap();
    assert!(draft.confirming);
    assert_eq!(draft.key, key);
    let state = run(state, [Action::Popup(PopupAction::SetBusy(true))]);
    assert!(state.popup.as_ref().unwrap().busy);
    let state = run(state, [Action::Popup(PopupAction::SetBusy(false))]);
    let popup = state.popup.as_ref().unwrap();
    assert!(popup.void.is_none() && !popup.busy && popup.rows_stale);
    let state = run(
        state,
        [
            Action::Popup(PopupAction::StartVoid(key)),
            Action::Popup(PopupAction::CancelVoid),
        ],
    );
    assert!(state.popup.as_ref().unwrap().void.is_none());
}

/// The numbers of the exports the lookup shows, in order.
fn visible_exports(state: &State) -> Vec<u64> {
    let lookup = state.lookup.as_ref().expect("the lookup is open");
    lookup.visible().iter().map(|e| e.number).collect()
}

#[test]
fn a_journal_that_needs_attention_is_marked_posted_with_an_id_kept_until_the_proxy_takes_it() {
    let detail = fixtures::export_needing_attention();
    let key = detail.journals[1].key.clone();
    let state = run(
        State::default(),
        [
            Action::ExportOpened(detail),
            Action::Popup(PopupAction::SetSort(SortKey::State)),
            Action::Popup(PopupAction::StartVoid(key.clone())),
            Action::Popup(PopupAction::StartResolve(key.clone())),
            Action::Popup(PopupAction::SetResolveId("mj-9".into())),
        ],
    );
    let popup = state.popup.as_ref().unwrap();
    assert_eq!(
        popup.visible_rows()[0].state,
        JournalState::NeedsAttention,
        "first when sorted by state"
    );
    assert!(popup.void.is_none(), "one way out at a time");
    assert_eq!(
        popup.resolve,
        Some(ResolveDraft {
            key: key.clone(),
            manual_journal_id: "mj-9".into()
        })
    );
    // Refused (not in Xero, not this journal): the id stays to be corrected.
    let state = run(
        state,
        [
            Action::Popup(PopupAction::SetBusy(true)),
            Action::Fail(Area::Export, "Xero has no manual journal mj-9".into()),
        ],
    );
    let popup = state.popup.as_ref().unwrap();
    assert!(!popup.busy && popup.resolve.is_some());
    let state = run(
        state,
        [
            Action::Popup(PopupAction::SetBusy(true)),
            Action::Popup(PopupAction::SetBusy(false)),
        ],
    );
    let popup = state.popup.as_ref().unwrap();
    assert!(popup.resolve.is_none() && popup.rows_stale);
    let state = run(
        state,
        [
            Action::Popup(PopupAction::StartResolve(key)),
            Action::Popup(PopupAction::CancelResolve),
        ],
    );
    assert!(state.popup.as_ref().unwrap().resolve.is_none());
}

#[test]
fn the_lookup_filters_by_number_and_date_and_moves_with_the_keys() {
    let state = run(
        State::default(),
        [
            Action::SetExportNumber("1".into()),
            Action::OpenLookup,
            Action::Lookup(LookupAction::Loaded(fixtures::export_list())),
        ],
    );
    let lookup = state.lookup.as_ref().unwrap();
    assert_eq!(lookup.number, "1");
    let numbers: Vec<u64> = lookup.visible().iter().map(|e| e.number).collect();
    assert_eq!(numbers, vec![12, 11, 10]);

    let state = run(
        state,
        [
            Action::Lookup(LookupAction::SetNumber(String::new())),
            Action::Lookup(LookupAction::Move(1)),
            Action::Lookup(LookupAction::Move(5)),
        ],
    );
    assert_eq!(state.lookup.as_ref().unwrap().active, 3);
    let state = run(state, [Action::Lookup(LookupAction::Move(-1))]);
    assert_eq!(state.lookup.as_ref().unwrap().active, 2);

    let state = run(
        state,
        [
            Action::Lookup(LookupAction::SetFrom("2019-08-10".into())),
            Action::Lookup(LookupAction::SetTo("2019-08-10".into())),
        ],
    );
    let lookup = state.lookup.as_ref().unwrap();
    assert_eq!(lookup.active, 0);
    let numbers: Vec<u64> = lookup.visible().iter().map(|e| e.number).collect();
    assert_eq!(
        numbers,
        vec![10, 9],
        "from-date 10 Aug, or created on 10 Aug"
    );
    let asked = lookup.question().unwrap();
    assert_eq!(
        (asked.number, asked.from, asked.to),
        (None, Some(date(2019, 8, 10)), Some(date(2019, 8, 10)))
    );

    // A range: synced from, or made, between the two days.
    let state = run(
        state,
        [Action::Lookup(LookupAction::SetTo("2019-08-11".into()))],
    );
    let lookup = state.lookup.as_ref().unwrap();
    let numbers: Vec<u64> = lookup.visible().iter().map(|e| e.number).collect();
    assert_eq!(numbers, vec![11, 10, 9]);
    assert_eq!(
        lookup.question().map(|s| ExportSearch::query(&s)),
        Some("?from=2019-08-10&to=2019-08-11".to_owned()),
        "the range is asked of the proxy, which knows older exports"
    );
    let state = run(
        state,
        [
            Action::Lookup(LookupAction::SetTo(String::new())),
            Action::Lookup(LookupAction::SetFrom("2019-08-12".into())),
        ],
    );
    assert_eq!(
        visible_exports(&state),
        vec![12, 11],
        "from 12 Aug on, with no end"
    );
    let state = run(
        state,
        [
            Action::Lookup(LookupAction::SetFrom(String::new())),
            Action::Lookup(LookupAction::SetNumber("3".into())),
        ],
    );
    let asked = state.lookup.as_ref().unwrap().question();
    assert_eq!(
        asked.map(|s| ExportSearch::query(&s)),
        Some("?number=3".to_owned())
    );
    assert_eq!(state.lookup.as_ref().unwrap().visible().len(), 0);

    // The proxy's answer about export 3 (older than the list) is added to it, not swapped in.
    let mut old = fixtures::export_list().remove(0);
    old.number = 3;
    let state = run(state, [Action::Lookup(LookupAction::Loaded(vec![old]))]);
    let lookup = state.lookup.as_ref().unwrap();
    assert_eq!(lookup.results.as_ref().unwrap().len(), 5);
    let numbers: Vec<u64> = lookup.visible().iter().map(|e| e.number).collect();
    assert_eq!(numbers, vec![3]);

    let state = run(state, [Action::ExportOpened(fixtures::export_detail())]);
    assert!(
        state.lookup.is_none(),
        "reopening an export closes the lookup"
    );
    let state = run(
        state,
        [Action::OpenLookup, Action::Lookup(LookupAction::Close)],
    );
    assert!(state.lookup.is_none());
}

#[test]
fn screens_connection_and_notices() {
    let state = run(
        State::default(),
        [
            Action::Fail(Area::Connection, "proxy down".into()),
            Action::Fail(Area::Connection, "still down".into()),
            Action::Fail(Area::Mapping, "stale".into()),
            Action::Show(Screen::Mapping),
            Action::SetExportNumber("12".into()),
        ],
    );
    assert_eq!(state.notices.len(), 2);
    assert_eq!(state.notice(Area::Connection), Some("still down"));
    assert_eq!(state.screen, Screen::Mapping);
    assert_eq!(state.export_number, "12");
    let state = run(state, [Action::ConnectionLoaded(fixtures::connected())]);
    assert_eq!(state.notice(Area::Connection), None);
    assert_eq!(
        state
            .connection
            .as_ref()
            .unwrap()
            .organisation
            .as_ref()
            .unwrap()
            .name,
        "Acme Equipment Rentals"
    );
}

#[test]
fn a_retry_the_proxy_refuses_for_some_journals_goes_again_without_them() {
    use srm_xero_shared::api::JournalProblems;
    let keys: Vec<JournalKey> = fixtures::export_detail()
        .journals
        .iter()
        .map(|r| r.key.clone())
        .collect();
    let archived = JournalProblems {
        key: keys[2].clone(),
        problems: vec![Problem::InactiveAccount {
            code: "4100".into(),
            name: "Rental Revenue (old)".into(),
            status: "ARCHIVED".into(),
        }],
    };
    let (rest, words) = retry_rest(&keys[..3], std::slice::from_ref(&archived));
    assert_eq!(rest, Some(keys[..2].to_vec()));
    assert!(
        words.contains("1 of the failed journals still cannot be posted"),
        "{words}"
    );
    assert!(words.contains("4100") && words.contains("Fix:"), "{words}");
    let (rest, words) = retry_rest(&keys[2..3], &[archived]);
    assert_eq!(rest, None);
    assert!(
        words.starts_with("With today's mapping the failed journals still cannot be posted."),
        "{words}"
    );
}

/// Export 12 as the proxy described it at change 10, its first journal changed by `change`.
fn changed(
    sequence: u64,
    posted: u32,
    pending: u32,
    change: Vec<srm_xero_shared::api::JournalRow>,
) -> srm_xero_shared::api::Progress {
    let mut progress = fixtures::progress(sequence, posted, pending);
    progress.changes = change;
    progress.complete = true;
    progress
}

#[test]
fn progress_events_patch_the_rows_they_name_without_reading_the_export_again() {
    let mut detail = fixtures::export_detail();
    detail.sequence = 10;
    let pending = detail.journals[3].key.clone();
    let was = detail.journals[3].clone();
    let state = run(State::default(), [Action::ExportOpened(detail)]);
    assert_eq!(state.popup.as_ref().unwrap().rows_sequence(), 10);
    let posted = srm_xero_shared::api::JournalRow {
        state: JournalState::Posted,
        xero_id: Some("mj-4".into()),
        xero_url: Some("https://go.xero.com/Journal/View.aspx?invoiceID=mj-4".into()),
        ..was
    };
    let state = run(
        state,
        [
            Action::Popup(PopupAction::SetFilter(Some(JournalState::Posted))),
            Action::Popup(PopupAction::Progress(changed(11, 3, 0, vec![posted]))),
        ],
    );
    let popup = state.popup.as_ref().unwrap();
    assert!(!popup.rows_stale, "patched, not read again");
    assert_eq!(popup.rows_sequence(), 11);
    let shown: Vec<_> = popup.visible_rows().iter().map(|r| r.key.clone()).collect();
    assert_eq!(shown.len(), 3, "the filter sees the patched row");
    assert!(shown.contains(&pending));
    let row = popup.rows().find(|r| r.key == pending).unwrap();
    assert_eq!(row.xero_id.as_deref(), Some("mj-4"));
    assert_eq!(row.state, JournalState::Posted);
    assert!(
        popup.progress.as_ref().unwrap().changes.is_empty(),
        "the changes are in the rows, not kept twice"
    );
    // An event that cannot say what changed, or one that misses a change, is read again.
    let state = run(
        state,
        [Action::Popup(PopupAction::Progress(fixtures::progress(
            12, 4, 0,
        )))],
    );
    assert!(state.popup.as_ref().unwrap().rows_stale);
    let state = run(
        state,
        [Action::Popup(PopupAction::Progress(changed(
            13,
            4,
            0,
            Vec::new(),
        )))],
    );
    assert!(
        state.popup.as_ref().unwrap().rows_stale,
        "4 posted, the rows say 3"
    );
}

#[test]
fn a_long_list_keeps_its_place_and_shows_a_window_of_rows() {
    use crate::components::popup::{ROW_PX, WINDOW_ROWS, window};
    assert_eq!(window(5, 0), (0..5, 0, 0), "a short list is shown whole");
    assert_eq!(window(WINDOW_ROWS, 30), (0..WINDOW_ROWS, 0, 0));
    let (rows, above, below) = window(10_000, 5_000);
    assert!(rows.contains(&5_000) && rows.len() < 50, "{rows:?}");
    assert_eq!(above, rows.start * ROW_PX);
    assert_eq!(above + rows.len() * ROW_PX + below, 10_000 * ROW_PX);
    assert_eq!(window(10_000, 9_999).0.end, 10_000);
    let state = run(
        State::default(),
        [
            Action::ExportOpened(fixtures::export_detail()),
            Action::Popup(PopupAction::Scrolled(3)),
        ],
    );
    assert_eq!(state.popup.as_ref().unwrap().first_row, 3);
    let state = run(
        state,
        [Action::Popup(PopupAction::SetSearch("Division".into()))],
    );
    assert_eq!(
        state.popup.as_ref().unwrap().first_row,
        0,
        "a new list starts at its top"
    );
}

#[test]
fn a_409_not_connected_is_not_shown_as_someone_elses_change() {
    use crate::api::{Failure, FailureKind};
    use crate::effects::mapping_save_failed;

    let not_connected = Failure::from_answer(
        409,
        r#"{"error":"not_connected","message":"not connected to Xero: an admin must connect first"}"#,
    );
    assert_eq!(not_connected.kind, FailureKind::Xero);
    let words = mapping_save_failed(not_connected).message;
    assert!(words.contains("Xero is not connected"), "{words}");
    assert!(words.contains("An admin can connect Xero"), "{words}");
    assert!(!words.contains("Someone else"), "{words}");

    let reconnect = Failure::from_answer(
        409,
        r#"{"error":"reconnect_needed","message":"Xero refused the connection's tokens: an admin must connect to Xero again"}"#,
    );
    assert_eq!(reconnect.kind, FailureKind::Xero);
    assert!(
        !mapping_save_failed(reconnect)
            .message
            .contains("Someone else")
    );

    let stale = Failure::from_answer(
        409,
        r#"{"error":"conflict","message":"the mapping changed since version 3: it is at version 4 (by Lee); reload and apply your change again"}"#,
    );
    assert_eq!(stale.kind, FailureKind::Conflict);
    let words = mapping_save_failed(stale).message;
    assert!(
        words.starts_with("the mapping changed since version 3"),
        "{words}"
    );
    assert!(
        words.contains("Someone else saved the mapping meanwhile"),
        "{words}"
    );

    // Other 409s keep the proxy's words (and are not about the mapping).
    let live = Failure::from_answer(
        409,
        r#"{"error":"conflict","message":"posting GL-1 is already in export #11 (posted or being posted)"}"#,
    );
    assert_eq!(live.kind, FailureKind::Conflict);
    assert_eq!(
        live.message,
        "posting GL-1 is already in export #11 (posted or being posted)."
    );
}

#[test]
fn every_failure_the_user_can_meet_says_what_happened_and_what_to_do() {
    use crate::api::{Failure, FailureKind, feed_refused, feed_unreachable};

    let shown = |area: Area, failure: Failure| {
        let state = run(
            State::default(),
            [Action::FeedStarted, Action::Fail(area, failure.message)],
        );
        if area == Area::Preview {
            assert_eq!(state.feed, FeedState::Idle, "reading the feed stops");
        }
        state.notice(area).unwrap().to_owned()
    };

    // The feed is unreachable, or answers with an error.
    let down = feed_unreachable("/srm/api/gl-postings?from=2019-08-19");
    assert_eq!(down.kind, FailureKind::FeedUnreachable);
    let text = shown(Area::Preview, down);
    assert!(text.contains("SRM's G/L feed cannot be reached"), "{text}");
    assert!(text.contains("press Preview again"), "{text}");
    let failing = feed_refused(500).unwrap();
    assert_eq!(failing.kind, FailureKind::FeedUnreachable);
    assert!(failing.message.contains("status 500") && failing.message.contains("Try again later"));
    assert_eq!(feed_refused(200), None);

    // SRM's session expired: the feed answers 401 or 403.
    for status in [401, 403] {
        let expired = feed_refused(status).unwrap();
        assert_eq!(expired.kind, FailureKind::SrmSession);
        let text = shown(Area::Preview, expired);
        assert!(text.contains("SRM session has expired"), "{text}");
        assert!(text.contains("Sign in to SRM again"), "{text}");
    }

    // The caller token expired: the proxy answers 401; a new token comes from the host page.
    let token = Failure::from_answer(
        401,
        r#"{"error":"unauthorized","message":"the token has expired"}"#,
    );
    assert_eq!(token.kind, FailureKind::TokenExpired);
    let text = shown(Area::Connection, token);
    assert!(text.contains("ask SRM for a new one"), "{text}");
    assert!(text.contains("reload the Daily Close page"), "{text}");
    let state = run(
        State::default(),
        [Action::TokenExpired, Action::TokenExpired],
    );
    assert_eq!(
        state.token_expiries, 2,
        "each refusal asks the host page again"
    );

    // The proxy is down (no answer at all).
    let proxy = Failure::proxy_down("https://xero-proxy.example");
    assert_eq!(proxy.kind, FailureKind::ProxyDown);
    let text = shown(Area::Export, proxy);
    assert!(
        text.contains("The Xero proxy cannot be reached at https://xero-proxy.example"),
        "{text}"
    );
    assert!(
        text.contains("ask your administrator whether the proxy is running"),
        "{text}"
    );

    // Xero is disconnected: a 409 from an action, a 502 from Xero itself.
    let disconnected = Failure::from_answer(
        409,
        r#"{"error":"not_connected","message":"not connected to Xero: an admin must connect first"}"#,
    );
    let text = shown(Area::Export, disconnected);
    assert!(text.contains("Xero is not connected"), "{text}");
    let unavailable = Failure::from_answer(
        502,
        r#"{"error":"xero_unavailable","message":"Xero: the organisation needs reconnecting"}"#,
    );
    assert_eq!(unavailable.kind, FailureKind::Xero);
    assert!(
        unavailable
            .message
            .contains("an admin can reconnect it above")
    );

    // Xero's rate limit: posting waits, and the popup says for how long.
    let mut progress = fixtures::progress(2, 1, 3);
    progress.waiting = Some(srm_xero_shared::api::Waiting {
        reason: "Xero's rate limit (minute)".into(),
        until: chrono::DateTime::from_timestamp(1_038, 0),
    });
    let state = run(
        State::default(),
        [
            Action::ExportOpened(fixtures::export_detail()),
            Action::Popup(PopupAction::Progress(progress)),
        ],
    );
    let waiting = state.popup.as_ref().unwrap().waiting().unwrap();
    assert_eq!(
        crate::format::waiting(&waiting.reason, waiting.until, Some(1_000_000)),
        "Waiting 38 s for Xero's rate limit (minute)."
    );
}

#[test]
fn the_mapping_history_is_kept_as_the_proxy_sent_it() {
    use srm_xero_shared::api::MappingHistoryEntry;

    let entry = |version: u64, by: &str| MappingHistoryEntry {
        version,
        settings: MappingSettings::default(),
        changed_by: by.into(),
        changed_at: chrono::DateTime::from_timestamp(1_566_000_000, 0).unwrap(),
    };
    let state = run(State::default(), [Action::Show(Screen::Mapping)]);
    assert_eq!(state.mapping_history, None, "not read yet");
    let state = run(
        state,
        [Action::MappingHistoryLoaded(vec![
            entry(4, "Dana"),
            entry(3, "Lee"),
        ])],
    );
    let who: Vec<(u64, &str)> = state
        .mapping_history
        .as_ref()
        .unwrap()
        .iter()
        .map(|h| (h.version, h.changed_by.as_str()))
        .collect();
    assert_eq!(who, vec![(4, "Dana"), (3, "Lee")]);
}

#[test]
fn after_a_retry_or_void_the_counts_come_from_the_rows_read_again() {
    // The export settled: its last event says 3 posted, 1 failed, 1 voided, and events stop.
    let state = run(
        State::default(),
        [
            Action::ExportOpened(fixtures::export_detail()),
            Action::Popup(PopupAction::Progress(fixtures::progress(5, 3, 0))),
            Action::Popup(PopupAction::SetBusy(true)),
            Action::Popup(PopupAction::SetBusy(false)),
        ],
    );
    let popup = state.popup.as_ref().unwrap();
    assert!(popup.rows_stale, "the void changed the rows");
    // The proxy's answer after voiding the failed journal.
    let mut after = fixtures::export_detail();
    after.summary.counts.pending = 0;
    after.summary.counts.posted = 3;
    after.summary.counts.failed = 0;
    after.summary.counts.voided = 2;
    let state = run(state, [Action::ExportOpened(after)]);
    let counts = state.popup.as_ref().unwrap().counts();
    assert_eq!((counts.failed, counts.voided), (0, 2));
}
