//! Rate limits (headers on every answer, 429 with Retry-After and X-Rate-Limit-Problem, windows
//! reset by the clock; calls in flight are in `inspection_statuses.rs`) and Idempotency-Key
//! replay, mismatch and expiry.

mod common;

use std::time::Duration;

use common::{balanced, body_json, header, start, start_with, wrap};
use reqwest::{Method, StatusCode};
use srm_xero_tests::demo::org::ACME_TEST_TENANT_ID;
use srm_xero_tests::sim::{Limits, Simulator};

fn limits(per_minute: u32, per_day: u32) -> Limits {
    Limits {
        per_minute,
        per_day,
        ..Limits::default()
    }
}

#[tokio::test]
async fn every_answer_carries_the_three_remaining_headers() {
    let t = start().await;
    let first = t.get("/Organisation").await;
    assert_eq!(
        header(&first, "x-minlimit-remaining").as_deref(),
        Some("59")
    );
    assert_eq!(
        header(&first, "x-daylimit-remaining").as_deref(),
        Some("4999")
    );
    assert_eq!(
        header(&first, "x-appminlimit-remaining").as_deref(),
        Some("9999")
    );
    let second = t
        .put_journals(&wrap(vec![balanced("x", "2019-08-19")]), false)
        .await;
    assert_eq!(
        header(&second, "x-minlimit-remaining").as_deref(),
        Some("58")
    );
}

#[tokio::test]
async fn the_sixty_first_call_in_a_minute_is_a_429_until_the_window_resets() {
    let t = start_with(Simulator::new().limits(limits(3, 5000))).await;
    for _ in 0..3 {
        assert_eq!(t.get("/Organisation").await.status(), StatusCode::OK);
    }
    t.sim.clock().advance(Duration::from_secs(15));
    let refused = t.get("/Organisation").await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        header(&refused, "x-rate-limit-problem").as_deref(),
        Some("minute")
    );
    assert_eq!(header(&refused, "retry-after").as_deref(), Some("45"));
    assert_eq!(
        header(&refused, "x-minlimit-remaining").as_deref(),
        Some("0")
    );
    // Another tenant has its own window.
    let other = t
        .api_for(ACME_TEST_TENANT_ID, Method::GET, "/Organisation")
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::OK);
    t.sim.clock().advance(Duration::from_secs(45));
    assert_eq!(t.get("/Organisation").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_day_limit_answers_429_with_a_day_problem_for_hours() {
    let t = start_with(Simulator::new().limits(limits(60, 2))).await;
    t.get("/Organisation").await;
    t.get("/Organisation").await;
    t.sim.clock().advance(Duration::from_mins(20));
    let refused = t.get("/Organisation").await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        header(&refused, "x-rate-limit-problem").as_deref(),
        Some("day")
    );
    assert_eq!(header(&refused, "retry-after").as_deref(), Some("85200"));
    assert_eq!(
        header(&refused, "x-daylimit-remaining").as_deref(),
        Some("0")
    );
}

#[tokio::test]
async fn the_same_key_and_body_replays_the_first_answer_without_saving_again() {
    let t = start().await;
    let body = wrap(vec![balanced("once", "2019-08-19")]);
    let send = || {
        t.api(Method::PUT, "/ManualJournals?summarizeErrors=false")
            .header("Idempotency-Key", "k-1")
            .json(&body)
            .send()
    };
    let first = body_json(send().await.unwrap()).await;
    let again = body_json(send().await.unwrap()).await;
    assert_eq!(first, again);
    assert_eq!(t.sim.journals().len(), 1);
    assert_eq!(t.sim.journals()[0].idempotency_key.as_deref(), Some("k-1"));
}

#[tokio::test]
async fn an_error_answer_is_replayed_too() {
    let t = start().await;
    let mut bad = balanced("bad", "2019-08-19");
    bad["JournalLines"][0]["LineAmount"] = serde_json::json!(1);
    let body = wrap(vec![bad]);
    let send = || {
        t.api(Method::PUT, "/ManualJournals")
            .header("Idempotency-Key", "k-err")
            .json(&body)
            .send()
    };
    let first = send().await.unwrap();
    assert_eq!(first.status(), StatusCode::BAD_REQUEST);
    let first = first.text().await.unwrap();
    // Fixing the organisation would not matter: the remembered answer comes back.
    let second = send().await.unwrap();
    assert_eq!(second.status(), StatusCode::BAD_REQUEST);
    assert_eq!(second.text().await.unwrap(), first);
}

#[tokio::test]
async fn the_same_key_with_a_different_body_is_a_400_and_saves_nothing() {
    let t = start().await;
    let put = |narration: &str| {
        t.api(Method::PUT, "/ManualJournals?summarizeErrors=false")
            .header("Idempotency-Key", "k-2")
            .json(&wrap(vec![balanced(narration, "2019-08-19")]))
            .send()
    };
    assert_eq!(put("a").await.unwrap().status(), StatusCode::OK);
    let other = put("b").await.unwrap();
    assert_eq!(other.status(), StatusCode::BAD_REQUEST);
    assert_eq!(t.sim.journals().len(), 1);
}

#[tokio::test]
async fn a_key_is_forgotten_after_six_minutes_of_simulator_time() {
    let t = start().await;
    let body = wrap(vec![balanced("twice", "2019-08-19")]);
    let send = || {
        t.api(Method::PUT, "/ManualJournals?summarizeErrors=false")
            .header("Idempotency-Key", "k-3")
            .json(&body)
            .send()
    };
    send().await.unwrap();
    t.sim.clock().advance(Duration::from_secs(5 * 60 + 59));
    send().await.unwrap();
    assert_eq!(
        t.sim.journals().len(),
        1,
        "still remembered just before six minutes"
    );
    t.sim.clock().advance(Duration::from_secs(1));
    send().await.unwrap();
    assert_eq!(
        t.sim.journals().len(),
        2,
        "forgotten after six minutes: Xero saves again"
    );
}
