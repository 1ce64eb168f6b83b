//! Pacing: calls of at most 50 journals, never more than Xero's limits allow, so the proxy's own
//! pace never earns a 429.

mod common;

use std::time::Duration;

use common::exports::{
    accept, assert_each_once, export_all, gl, journals_in, plan_like_the_component, puts,
    wait_settled, wait_settled_between_calls,
};
use common::{simulator, spawn_with_worker};
use srm_xero_proxy::worker::WorkerSettings;
use srm_xero_tests::demo::org::ACME_TENANT_ID;
use srm_xero_tests::sim::Limits;

#[tokio::test]
async fn five_hundred_journals_go_in_ten_calls_of_fifty_five_at_a_time_without_a_429() {
    let five = WorkerSettings {
        in_flight: 5,
        ..WorkerSettings::default()
    };
    let app = spawn_with_worker(simulator().limits(Limits::default()), five).await;
    app.connect_to(ACME_TENANT_ID).await;
    let postings = gl("GL-", 500);
    let (number, journals) = export_all(&app, &postings).await;
    let done = wait_settled(&app, number, false).await;
    assert_eq!(done.counts.posted, 500);
    assert_each_once(&app, &journals, &postings);
    // Every call was admitted the first time: a 429 (minute or concurrent) would have been
    // followed by a retry, an eleventh PUT.
    let calls = puts(&app);
    assert_eq!(calls.len(), 10);
    assert!(calls.iter().all(|c| journals_in(c) == 50));
}

#[tokio::test]
async fn over_several_minutes_no_window_of_xeros_holds_more_calls_than_its_limit() {
    // Xero's minute limit scaled down to 4, and the proxy's with it: ten calls (and Accept's
    // re-read of the lock dates, paced with them) need three minutes of the shared clock.
    let paced = WorkerSettings {
        in_flight: 5,
        per_window: 4,
        // As in production: one second more than Xero's minute, so a call at a window's very
        // edge is never counted twice by Xero's fixed windows and our sliding one.
        window: Duration::from_secs(61),
        ..WorkerSettings::default()
    };
    let limits = Limits {
        per_minute: 4,
        ..Limits::default()
    };
    let app = spawn_with_worker(simulator().limits(limits), paced).await;
    app.connect_to(ACME_TENANT_ID).await;
    let postings = gl("GL-", 500);
    // The component's reads of the reference data fall in an earlier minute.
    let journals = plan_like_the_component(&app, &postings).await;
    app.advance_minutes(2);
    let since = app.now();
    let keys: Vec<_> = journals.iter().map(|j| j.key.clone()).collect();
    let (status, body) = accept(&app, &postings, &keys).await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");
    let number = body["number"].as_u64().unwrap();
    let done = wait_settled_between_calls(&app, number).await;
    assert_eq!(done.counts.posted, 500);
    assert_each_once(&app, &journals, &postings);
    let calls = puts(&app);
    assert_eq!(calls.len(), 10, "no call was refused and sent again");
    // Accept's read of the lock dates and the ten PUTs: no minute of the clock holds more than 4.
    let paced: Vec<_> = app
        .sim
        .calls()
        .into_iter()
        .filter(|c| c.path.starts_with("/api.xro/2.0/") && c.at >= since)
        .collect();
    assert_eq!(paced.len(), 11, "{paced:?}");
    for call in &paced {
        let in_window = paced
            .iter()
            .filter(|c| c.at >= call.at && c.at - call.at < chrono::Duration::seconds(60))
            .count();
        assert!(
            in_window <= 4,
            "{in_window} calls within a minute of {}",
            call.at
        );
    }
    assert!(calls.last().unwrap().at - calls[0].at >= chrono::Duration::minutes(2));
}
