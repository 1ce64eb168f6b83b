//! Faults on demand (error statuses, a delay, save-then-drop) from the Rust API and the admin
//! endpoint, and inspection of calls, journals and per-tenant counts.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::{balanced, client, header, start, wrap};
use reqwest::{Method, StatusCode};
use serde_json::json;
use srm_xero_tests::demo::org::ACME_TENANT_ID;
use srm_xero_tests::sim::{Fault, FaultKind};

#[tokio::test]
async fn the_next_n_calls_answer_500_503_or_429_then_calls_succeed() {
    let t = start().await;
    t.sim.inject(Fault::status(2, 500));
    t.sim.inject(Fault::status(1, 503));
    t.sim.inject(Fault::next(
        1,
        FaultKind::Status {
            status: 429,
            retry_after: Some(7),
        },
    ));
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let answer = t.get("/Organisation").await;
        if answer.status() == StatusCode::TOO_MANY_REQUESTS {
            assert_eq!(header(&answer, "retry-after").as_deref(), Some("7"));
            assert_eq!(
                header(&answer, "x-rate-limit-problem").as_deref(),
                Some("minute")
            );
        }
        statuses.push(answer.status().as_u16());
    }
    assert_eq!(statuses, [500, 500, 503, 429, 200]);
}

#[tokio::test]
async fn a_fault_can_target_only_one_method() {
    let t = start().await;
    t.sim.inject(Fault::status(1, 503).only("PUT"));
    assert_eq!(t.get("/ManualJournals").await.status(), StatusCode::OK);
    let put = t
        .put_journals(&wrap(vec![balanced("x", "2019-08-19")]), false)
        .await;
    assert_eq!(put.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(t.sim.journals().len(), 0);
}

#[tokio::test]
async fn a_delay_outlasts_a_client_timeout() {
    let t = start().await;
    t.sim
        .inject(Fault::next(1, FaultKind::Delay { ms: 60_000 }));
    let error = t
        .api(Method::GET, "/Organisation")
        .timeout(Duration::from_millis(200))
        .send()
        .await
        .unwrap_err();
    assert!(error.is_timeout(), "{error}");
}

#[tokio::test]
async fn save_then_drop_stores_the_journal_but_the_client_sees_a_connection_error() {
    let t = start().await;
    t.sim.inject(Fault::next(1, FaultKind::DropAfterSave));
    let error = t
        .api(Method::PUT, "/ManualJournals?summarizeErrors=false")
        .header("Idempotency-Key", "drop-1")
        .json(&wrap(vec![balanced("saved but unanswered", "2019-08-19")]))
        .send()
        .await
        .expect_err("no answer");
    assert!(error.is_request() || error.is_connect(), "{error}");
    let stored = t.sim.journals();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].narration, "saved but unanswered");
    assert_eq!(
        t.sim.in_flight(ACME_TENANT_ID),
        0,
        "the dropped call left flight"
    );
    // The retry with the same key gets the remembered answer instead of a second journal.
    let retry = t
        .api(Method::PUT, "/ManualJournals?summarizeErrors=false")
        .header("Idempotency-Key", "drop-1")
        .json(&wrap(vec![balanced("saved but unanswered", "2019-08-19")]))
        .send()
        .await
        .unwrap();
    assert_eq!(retry.status(), StatusCode::OK);
    assert_eq!(t.sim.journals().len(), 1);
}

#[tokio::test]
async fn the_admin_endpoint_queues_faults_and_shows_journals_calls_and_counts() {
    let t = start().await;
    let admin = |path: &str| format!("{}/_sim{path}", t.sim.urls().api);
    let queued = client()
        .post(admin("/faults"))
        .json(&json!({"kind": "status", "status": 503, "count": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(queued.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        t.get("/Organisation").await.status(),
        StatusCode::SERVICE_UNAVAILABLE
    );
    client()
        .post(admin("/faults"))
        .json(&json!({"kind": "drop_after_save"}))
        .send()
        .await
        .unwrap();
    let dropped = t
        .api(Method::PUT, "/ManualJournals?summarizeErrors=false")
        .json(&wrap(vec![balanced("via admin", "2019-08-19")]))
        .send()
        .await;
    assert!(dropped.is_err(), "the connection was dropped");
    let journals: serde_json::Value = client()
        .get(admin("/journals"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(journals[0]["narration"], "via admin");
    assert_eq!(journals[0]["lines"][0]["line_amount"], "125");
    let counts: serde_json::Value = client()
        .get(admin("/counts"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(counts[ACME_TENANT_ID]["journals"], 1);
    assert_eq!(counts[ACME_TENANT_ID]["calls"], 2);
}

#[tokio::test]
async fn every_call_is_recorded_without_secrets_and_each_posting_key_is_in_one_journal() {
    let t = start().await;
    let sent: Vec<_> = (0..4)
        .map(|i| balanced(&format!("key-{i}"), "2019-08-19"))
        .collect();
    t.put_journals(&wrap(sent), false).await;
    let app = t.sim.app();
    client()
        .post(format!("{}/connect/token", t.sim.urls().identity))
        .basic_auth(&app.client_id, Some(&app.client_secret))
        .form(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", t.refresh.as_str()),
        ])
        .send()
        .await
        .unwrap();
    let calls = t.sim.calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].method, "PUT");
    assert_eq!(
        calls[0].path,
        "/api.xro/2.0/ManualJournals?summarizeErrors=false"
    );
    assert_eq!(calls[0].tenant(), Some(ACME_TENANT_ID));
    assert!(calls[0].body.contains("key-3"));
    for call in &calls {
        assert!(call.header("authorization").is_none());
        assert!(!call.body.contains(&t.refresh) && !call.body.contains(&t.token));
    }
    assert!(calls[1].body.contains("refresh_token=[redacted]"));
    let narrations: HashSet<String> = t.sim.journals().into_iter().map(|j| j.narration).collect();
    assert_eq!(narrations.len(), 4, "no journal twice");
    assert_eq!(t.sim.counts()[ACME_TENANT_ID].journals, 4);
}

/// PUTs `narration` under `key`.
async fn put_keyed(
    t: &common::TestSim,
    key: &str,
    narration: &str,
) -> reqwest::Result<reqwest::Response> {
    t.api(Method::PUT, "/ManualJournals?summarizeErrors=false")
        .header("Idempotency-Key", key)
        .json(&wrap(vec![balanced(narration, "2019-08-19")]))
        .send()
        .await
}

#[tokio::test]
async fn a_call_closed_at_once_is_saved_later_and_its_key_then_answers_with_it() {
    let t = start().await;
    t.sim
        .inject(Fault::next(1, FaultKind::DropThenSave { after_ms: 3_000 }).only("PUT"));
    let error = put_keyed(&t, "late-1", "saved late")
        .await
        .expect_err("no answer");
    assert!(error.is_request() || error.is_connect(), "{error}");
    // Nothing saved yet, the call still in flight; the same key finds it running.
    assert_eq!(t.sim.journals().len(), 0);
    assert_eq!(t.sim.in_flight(ACME_TENANT_ID), 1);
    let running = put_keyed(&t, "late-1", "saved late").await.unwrap();
    assert_eq!(running.status(), StatusCode::CONFLICT);
    // Another body under the key is refused even now.
    let other = put_keyed(&t, "late-1", "something else").await.unwrap();
    assert_eq!(other.status(), StatusCode::BAD_REQUEST);
    t.sim.clock().advance(Duration::from_secs(3));
    t.sim
        .wait_until(|s| s.journals().len() == 1 && s.in_flight(ACME_TENANT_ID) == 0)
        .await;
    let replay = put_keyed(&t, "late-1", "saved late").await.unwrap();
    assert_eq!(replay.status(), StatusCode::OK);
    let replay: serde_json::Value = replay.json().await.unwrap();
    let stored = t.sim.journals();
    assert_eq!(stored.len(), 1, "saved once");
    assert_eq!(
        replay["ManualJournals"][0]["ManualJournalID"],
        stored[0].manual_journal_id.as_str()
    );
}

#[tokio::test]
async fn with_waiting_keys_the_same_key_is_held_until_the_first_call_is_saved() {
    let t = common::start_with(srm_xero_tests::sim::Simulator::new().settings(
        srm_xero_tests::sim::Settings {
            key_in_progress: srm_xero_tests::sim::KeyInProgress::Wait,
            ..srm_xero_tests::sim::Settings::default()
        },
    ))
    .await;
    t.sim
        .inject(Fault::next(1, FaultKind::DropThenSave { after_ms: 2_000 }).only("PUT"));
    put_keyed(&t, "late-2", "held")
        .await
        .expect_err("no answer");
    let replay = tokio::spawn({
        let request = t
            .api(Method::PUT, "/ManualJournals?summarizeErrors=false")
            .header("Idempotency-Key", "late-2")
            .json(&wrap(vec![balanced("held", "2019-08-19")]));
        async move { request.send().await }
    });
    t.sim.wait_until(|s| s.in_flight(ACME_TENANT_ID) == 2).await;
    t.sim.clock().advance(Duration::from_secs(2));
    let replay = replay.await.unwrap().unwrap();
    assert_eq!(replay.status(), StatusCode::OK);
    assert_eq!(t.sim.journals().len(), 1);
}

#[tokio::test]
async fn a_fault_can_hit_every_nth_call() {
    let t = start().await;
    t.sim.inject(Fault::every(
        3,
        FaultKind::Status {
            status: 503,
            retry_after: None,
        },
    ));
    let mut statuses = Vec::new();
    for _ in 0..7 {
        statuses.push(t.get("/Organisation").await.status().as_u16());
    }
    assert_eq!(statuses, [200, 200, 503, 200, 200, 503, 200]);
}

#[tokio::test]
async fn answers_may_echo_narrations_with_extra_text_in_reverse_order() {
    let t = common::start_with(srm_xero_tests::sim::Simulator::new().settings(
        srm_xero_tests::sim::Settings {
            narration_echo: srm_xero_tests::sim::NarrationEcho::Suffixed(" (imported)".into()),
            element_order: srm_xero_tests::sim::ElementOrder::Reversed,
            ..srm_xero_tests::sim::Settings::default()
        },
    ))
    .await;
    let answer = t
        .put_journals(
            &wrap(vec![
                balanced("first", "2019-08-19"),
                balanced("second", "2019-08-19"),
            ]),
            false,
        )
        .await;
    let answer: serde_json::Value = answer.json().await.unwrap();
    let echoed: Vec<&str> = answer["ManualJournals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["Narration"].as_str().unwrap())
        .collect();
    assert_eq!(echoed, ["second (imported)", "first (imported)"]);
    // Stored as sent.
    let stored: Vec<String> = t.sim.journals().into_iter().map(|j| j.narration).collect();
    assert_eq!(stored, ["first", "second"]);
}
