//! Inspection records how each call was answered: its status and, for a 429, which limit
//! refused it (`X-Rate-Limit-Problem`), so a benchmark can count real refusals by cause.

mod common;

use common::{start, start_with};
use reqwest::{Method, StatusCode};
use srm_xero_tests::demo::org::ACME_TENANT_ID;
use srm_xero_tests::sim::{Fault, FaultKind, Limits, Simulator};

#[tokio::test]
async fn each_call_keeps_its_status_and_a_429_its_problem() {
    let limits = Limits {
        per_minute: 2,
        ..Limits::default()
    };
    let t = start_with(Simulator::new().limits(limits)).await;
    for _ in 0..3 {
        t.get("/Organisation").await;
    }
    let answered: Vec<_> = t
        .sim
        .calls()
        .into_iter()
        .filter(|c| c.path.starts_with("/api.xro/2.0/"))
        .map(|c| (c.status, c.rate_limit_problem))
        .collect();
    assert_eq!(
        answered,
        vec![
            (Some(200), None),
            (Some(200), None),
            (Some(429), Some("minute".to_owned())),
        ]
    );
}

#[tokio::test]
async fn a_call_in_flight_has_no_status_yet_and_a_sixth_is_refused_as_concurrent() {
    let t = start().await;
    t.sim.inject(Fault::next(5, FaultKind::Hold));
    let mut held = Vec::new();
    for _ in 0..5 {
        held.push(tokio::spawn(t.api(Method::GET, "/Organisation").send()));
    }
    t.sim.wait_until(|s| s.in_flight(ACME_TENANT_ID) == 5).await;
    let sixth = t.get("/Organisation").await;
    assert_eq!(sixth.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(sixth.headers()["x-rate-limit-problem"], "concurrent");
    let statuses = |t: &common::TestSim| -> Vec<Option<u16>> {
        t.sim.calls().iter().map(|c| c.status).collect()
    };
    let mut now = statuses(&t);
    now.sort_unstable();
    assert_eq!(now, vec![None, None, None, None, None, Some(429)]);
    let refused = t.sim.calls().into_iter().find(|c| c.status == Some(429));
    assert_eq!(
        refused.and_then(|c| c.rate_limit_problem).as_deref(),
        Some("concurrent")
    );
    t.sim.release_held();
    for call in held {
        assert_eq!(call.await.unwrap().unwrap().status(), StatusCode::OK);
    }
    assert_eq!(t.sim.in_flight(ACME_TENANT_ID), 0);
    t.sim
        .wait_until(|s| s.calls().iter().all(|c| c.status.is_some()))
        .await;
    let mut after = statuses(&t);
    after.sort_unstable();
    assert_eq!(
        after,
        vec![Some(200); 5]
            .into_iter()
            .chain([Some(429)])
            .collect::<Vec<_>>()
    );
}
