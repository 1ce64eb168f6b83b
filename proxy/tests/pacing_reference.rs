//! Reads of reference data count in Xero's minute like any call: the worker's pace leaves room
//! for them, so an export started right after the component read the reference data earns no
//! 429.

mod common;

use std::time::Duration;

use common::exports::{assert_each_once, export_all, gl, puts, wait_settled_between_calls};
use common::{simulator, spawn_with_worker};
use srm_xero_proxy::worker::WorkerSettings;
use srm_xero_tests::demo::org::ACME_TENANT_ID;
use srm_xero_tests::sim::Limits;

#[tokio::test]
async fn reference_reads_and_the_export_share_one_minute_without_a_429() {
    // Xero's minute scaled down to 6 calls, the proxy's window with it.
    let paced = WorkerSettings {
        per_window: 6,
        window: Duration::from_secs(61),
        ..WorkerSettings::default()
    };
    let limits = Limits {
        per_minute: 6,
        ..Limits::default()
    };
    let app = spawn_with_worker(simulator().limits(limits), paced).await;
    app.connect_to(ACME_TENANT_ID).await;
    let postings = gl("GL-", 200);
    // Planning reads the reference data (4 calls), then Accept re-reads the lock dates and the
    // worker sends 4 calls of 50: 9 calls, in the same minute of the clock as far as it can.
    let (number, journals) = export_all(&app, &postings).await;
    let done = wait_settled_between_calls(&app, number).await;
    assert_eq!(done.counts.posted, 200);
    assert_each_once(&app, &journals, &postings);

    let accounting: Vec<_> = app
        .sim
        .calls()
        .into_iter()
        .filter(|c| c.path.starts_with("/api.xro/2.0/"))
        .collect();
    let refused: Vec<_> = accounting
        .iter()
        .filter(|c| c.status == Some(429))
        .map(|c| (c.at, c.path.clone(), c.rate_limit_problem.clone()))
        .collect();
    assert_eq!(refused, vec![], "Xero refused calls");
    assert!(
        accounting.len() > 6,
        "the export needs more than one minute of calls: {}",
        accounting.len()
    );
    assert_eq!(puts(&app).len(), 4, "no call was sent twice");
    for call in &accounting {
        let in_minute = accounting
            .iter()
            .filter(|c| c.at >= call.at && c.at - call.at < chrono::Duration::seconds(60))
            .count();
        assert!(
            in_minute <= 6,
            "{in_minute} calls in the minute from {}",
            call.at
        );
    }
}
