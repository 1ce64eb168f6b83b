//! Alerts against a local webhook receiver and SMTP sink: one per export and kind whatever
//! raises it again, a webhook that answers 500 (or hangs) retried with backoff while posting
//! carries on, emails sent, and no destination's secret in the logs.

mod common;

use std::time::Duration;

use common::exports::{export_all, export_holding_first_call, first_day, gl, wait_settled};
use common::receivers::{SmtpSink, Webhook};
use common::{TestApp, simulator, spawn_configured, start_time};
use secrecy::SecretString;
use srm_xero_proxy::config::EmailSettings;
use srm_xero_proxy::worker::WorkerSettings;
use srm_xero_shared::api::Counts;
use srm_xero_tests::demo::org::ACME_TENANT_ID;
use srm_xero_tests::sim::SimClock;

/// A connected proxy whose alerts go to `hook` (and, when given, emails to `smtp`).
async fn app_alerting(hook: &Webhook, smtp: Option<&SmtpSink>) -> TestApp {
    let sim = simulator().clock(hook.clock());
    let webhook = hook.url.clone();
    let email = smtp.map(|s| EmailSettings {
        smtp_url: SecretString::from(s.url.clone()),
        to: vec!["books@acme.example".into()],
    });
    let app = spawn_configured(sim, WorkerSettings::default(), move |config| {
        config.close.alerts.webhook = Some(SecretString::from(webhook));
        config.close.alerts.email = email;
    })
    .await;
    app.connect_to(ACME_TENANT_ID).await;
    app
}

/// Exports `postings` with Xero's lock date moved past their first day while the call is held:
/// that day's journals fail, the rest post. Answers the export's number once it settled.
async fn export_with_failures(app: &TestApp, prefix: &str, journals: usize) -> u64 {
    let postings = gl(prefix, journals);
    let (number, _) = export_holding_first_call(app, &postings).await;
    app.sim.update_org(ACME_TENANT_ID, |org| {
        org.period_lock_date = Some(first_day());
    });
    app.sim.release_held();
    let settled = wait_settled(app, number, false).await;
    assert!(settled.counts.failed > 0, "{settled:?}");
    // Later exports post again.
    app.sim
        .update_org(ACME_TENANT_ID, |org| org.period_lock_date = None);
    number
}

/// Waits until every alert raised so far is delivered (or given up).
async fn all_delivered(app: &TestApp) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while srm_xero_proxy::alerts::undelivered(app.app().state())
        .await
        .unwrap()
        > 0
    {
        assert!(
            std::time::Instant::now() < deadline,
            "alerts never delivered"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn each_export_and_kind_alerts_once_whatever_raises_it_again() {
    let hook = Webhook::start(SimClock::fixed(start_time())).await;
    let app = app_alerting(&hook, None).await;
    let first = export_with_failures(&app, "A-", 6).await;
    hook.wait_for(&app.sim.clock(), Duration::ZERO, |h| {
        h.accepted().len() == 1
    })
    .await;
    let alert = &hook.accepted()[0];
    assert_eq!(alert["kind"], "export_problems");
    assert_eq!(alert["export"], first);
    assert_eq!(alert["subject"], format!("export {first}"));
    assert_eq!(alert["counts"]["failed"], 3, "{alert}");
    assert_eq!(alert["counts"]["posted"], 3, "{alert}");
    assert_eq!(alert["organisation"], "Acme Equipment Rentals");
    let text = alert["text"].as_str().unwrap();
    assert!(
        text.contains(&format!("Export #{first} finished")),
        "{text}"
    );
    assert!(text.contains("3 failed"), "{text}");

    // The same export settling again (as a retry that fails again would) raises nothing new.
    let state = app.app().state();
    let counts = Counts {
        posted: 3,
        failed: 3,
        ..Counts::default()
    };
    srm_xero_proxy::alerts::export_settled(state, first, &counts, None).await;
    // A second export with failures is a second alert; a clean one none at all.
    let second = export_with_failures(&app, "B-", 3).await;
    let (clean, _) = export_all(&app, &gl("C-", 3)).await;
    wait_settled(&app, clean, false).await;
    // Xero's daily limit, twice the same day: one alert.
    let until = app.now() + chrono::TimeDelta::hours(5);
    srm_xero_proxy::alerts::day_limit(state, until).await;
    srm_xero_proxy::alerts::day_limit(state, until).await;
    all_delivered(&app).await;
    let kinds: Vec<(String, String)> = hook
        .accepted()
        .iter()
        .map(|a| {
            (
                a["kind"].as_str().unwrap().to_owned(),
                a["subject"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("export_problems".into(), format!("export {first}")),
            ("export_problems".into(), format!("export {second}")),
            ("day_limit".into(), "day 2019-08-20".into()),
        ]
    );
    assert_eq!(hook.refused(), 0);
}

#[tokio::test]
async fn a_webhook_that_fails_is_retried_with_backoff_and_never_delays_posting() {
    let hook = Webhook::start(SimClock::fixed(start_time())).await;
    let smtp = SmtpSink::start().await;
    let app = app_alerting(&hook, Some(&smtp)).await;
    // The webhook hangs, then answers 500 twice.
    hook.hold();
    hook.refuse_next(2);
    let failing = export_with_failures(&app, "A-", 3).await;
    // While the alert's webhook call hangs, another export posts to the end.
    let (number, _) = export_all(&app, &gl("B-", 120)).await;
    let settled = wait_settled(&app, number, false).await;
    assert_eq!(settled.counts.posted, 120, "{settled:?}");
    assert!(hook.accepted().is_empty());
    // The email went out on its own.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while smtp.mails().is_empty() {
        assert!(std::time::Instant::now() < deadline, "no email");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mail = &smtp.mails()[0];
    assert!(
        mail.contains(&format!("Export #{failing} finished")),
        "{mail}"
    );
    assert!(mail.contains("books@acme.example"), "{mail}");

    // Released: two 500s, each tried again after its backoff by the proxy's clock (1 s, then
    // 2 s), then 200.
    hook.release();
    hook.wait_for(&app.sim.clock(), Duration::from_millis(250), |h| {
        h.accepted().len() == 1
    })
    .await;
    assert_eq!(hook.refused(), 2);
    let tries = hook.answered_at();
    assert_eq!(tries.len(), 3);
    assert!(
        tries[1] - tries[0] >= chrono::TimeDelta::seconds(1),
        "{tries:?}"
    );
    assert!(
        tries[2] - tries[1] >= chrono::TimeDelta::seconds(2),
        "{tries:?}"
    );
    assert_eq!(hook.accepted()[0]["export"], failing);
    all_delivered(&app).await;
    assert_eq!(hook.accepted().len(), 1);
    assert_eq!(smtp.mails().len(), 1);
}
