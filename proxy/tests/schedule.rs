//! The unattended close with a fake clock: a run at the scheduled minute posts exactly the valid
//! journals of the days since the last export (never today), a second run the same day posts
//! nothing, an overlapping trigger waits (and a posting another export took meanwhile is not
//! posted again), a run missed while the proxy was down runs once at start-up, and a run that
//! cannot run says why — to the admin and to the alert webhook.

mod common;

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use common::exports::{DIVISIONS, assert_each_once, export_all, in_xero, posting, wait_settled};
use common::feed::{FEED_TOKEN, SrmFeed};
use common::receivers::Webhook;
use common::{TestApp, simulator, spawn_configured};
use reqwest::{Method, StatusCode};
use secrecy::SecretString;
use srm_xero_proxy::config::FeedSettings;
use srm_xero_proxy::schedule::cron::Schedule;
use srm_xero_proxy::worker::WorkerSettings;
use srm_xero_shared::api::{ExportSummary, RunOutcome, RunTrigger, ScheduleRun, ScheduleStatus};
use srm_xero_shared::{PlannedJournal, Posting};
use srm_xero_tests::demo::org::{ACME_TENANT_ID, codes};
use srm_xero_tests::sim::SimClock;

fn august(day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2019, 8, day).unwrap()
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap()
        .with_timezone(&Utc)
}

/// One balanced journal a division and day, from the 15th to the 21st of August (the 21st is
/// the day of the run: still open), and on the 18th one for a division Xero does not track.
fn srm_postings() -> Vec<Posting> {
    let mut out = Vec::new();
    for day in 15..=21 {
        for (n, division) in DIVISIONS.iter().enumerate() {
            let id = format!("GL-{day}-{n}");
            let cents = 10_000 + i64::from(day) * 100 + i64::try_from(n).unwrap();
            out.push(posting(
                &format!("{id}-a"),
                august(day),
                codes::AR_CLEARING,
                division,
                cents,
            ));
            out.push(posting(
                &format!("{id}-b"),
                august(day),
                codes::RENTAL,
                division,
                -cents,
            ));
        }
    }
    out.push(posting(
        "GL-18-x-a",
        august(18),
        codes::AR_CLEARING,
        "Atlantis",
        500,
    ));
    out.push(posting(
        "GL-18-x-b",
        august(18),
        codes::RENTAL,
        "Atlantis",
        -500,
    ));
    out
}

/// The postings of these days of August.
fn on(postings: &[Posting], days: std::ops::RangeInclusive<u32>) -> Vec<Posting> {
    use chrono::Datelike as _;
    postings
        .iter()
        .filter(|p| days.contains(&p.date.day()))
        .cloned()
        .collect()
}

/// A connected proxy that reads `feed` and closes daily at 06:00 UTC, alerting `hook`.
async fn scheduled(feed: &SrmFeed, hook: Option<&Webhook>, token: &str) -> TestApp {
    let (url, token) = (feed.url.clone(), token.to_owned());
    let webhook = hook.map(|h| SecretString::from(h.url.clone()));
    let sim = match hook {
        Some(hook) => simulator().clock(hook.clock()),
        None => simulator(),
    };
    let app = spawn_configured(sim, WorkerSettings::default(), move |config| {
        config.close.feed = Some(FeedSettings {
            url: SecretString::from(url),
            token: Some(SecretString::from(token)),
        });
        config.close.schedule = Some(Schedule::parse("0 6 * * *", chrono_tz::Tz::UTC).unwrap());
        config.close.alerts.webhook = webhook;
    })
    .await;
    app.connect_to(ACME_TENANT_ID).await;
    app
}

async fn schedule(app: &TestApp) -> ScheduleStatus {
    let (status, body) = app.get("/api/schedule", &app.clerk()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_value(body).unwrap()
}

/// Waits until `n` runs have ended.
async fn runs_ended(app: &TestApp, n: usize) -> Vec<ScheduleRun> {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let runs = schedule(app).await.runs;
        if runs
            .iter()
            .filter(|r| r.outcome != RunOutcome::Running)
            .count()
            >= n
        {
            return runs;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "runs never ended: {runs:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// An admin's run, started in its own task (it may wait for another).
fn spawn_run(app: &TestApp) -> tokio::task::JoinHandle<ScheduleRun> {
    let (http, url, token) = (app.http.clone(), app.url("/api/schedule/run"), app.admin());
    tokio::spawn(async move {
        let answer = http.post(url).bearer_auth(token).send().await.unwrap();
        assert_eq!(answer.status(), StatusCode::OK);
        answer.json().await.unwrap()
    })
}

async fn run_now(app: &TestApp) -> ScheduleRun {
    let (status, body) = app
        .call(Method::POST, "/api/schedule/run", &app.admin(), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_value(body).unwrap()
}

async fn export(app: &TestApp, number: u64) -> ExportSummary {
    let (status, body) = app
        .get(&format!("/api/exports?number={number}"), &app.clerk())
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    serde_json::from_value(body[0].clone()).unwrap()
}

/// The journals planned from `postings` that have no problem.
fn valid(journals: &[PlannedJournal]) -> Vec<PlannedJournal> {
    journals
        .iter()
        .filter(|j| j.is_postable())
        .cloned()
        .collect()
}

#[tokio::test]
async fn at_the_scheduled_minute_the_valid_journals_since_the_last_export_are_posted_once() {
    let postings = srm_postings();
    let feed = SrmFeed::start(postings.clone()).await;
    let hook = Webhook::start(SimClock::fixed(common::start_time())).await;
    let app = scheduled(&feed, Some(&hook), FEED_TOKEN).await;
    // A person closed the 15th by hand.
    let (first, by_hand) = export_all(&app, &on(&postings, 15..=15)).await;
    wait_settled(&app, first, false).await;
    let to_close = common::exports::plan_like_the_component(&app, &on(&postings, 16..=21)).await;
    let before = schedule(&app).await;
    assert_eq!(before.next_run, Some(at("2019-08-21T06:00:00Z")));
    assert!(before.runs.is_empty());

    // 06:00 on the 21st: the run reads the 16th to the 20th (yesterday), never the 21st.
    app.sim.clock().set(at("2019-08-21T06:00:00Z"));
    let runs = runs_ended(&app, 1).await;
    let run = &runs[0];
    assert_eq!(
        (run.trigger, run.due_at),
        (RunTrigger::Schedule, Some(at("2019-08-21T06:00:00Z")))
    );
    assert_eq!((run.from, run.to), (Some(august(16)), Some(august(20))));
    assert_eq!(run.outcome, RunOutcome::Posted, "{run:?}");
    assert_eq!(
        (run.export, run.accepted, run.held_back),
        (Some(2), 15, 1),
        "{run:?}"
    );
    // 32 postings in pages of 10, each page asked for the same days.
    assert_eq!(
        feed.asked(),
        vec![("2019-08-16".to_owned(), "2019-08-20".to_owned()); 4]
    );
    let summary = export(&app, 2).await;
    assert_eq!(
        (summary.created_by.as_str(), summary.from_date),
        ("schedule", august(16))
    );
    let settled = wait_settled(&app, 2, false).await;
    assert_eq!(settled.counts.posted, 15);
    // Exactly the valid journals of the 16th to the 20th, each once; the 21st's and the one
    // with a problem are not in Xero.
    let closed: Vec<PlannedJournal> = valid(&to_close)
        .into_iter()
        .filter(|j| j.date <= august(20))
        .collect();
    assert_eq!(closed.len(), 15);
    assert_each_once(&app, &closed, &postings);
    assert_each_once(&app, &by_hand, &postings);
    assert_eq!(in_xero(&app).len(), 18);
    assert!(app.sim.journals().iter().all(|j| j.date <= august(20)));

    // The same day again (an admin's run): nothing to post, and it says so.
    let again = run_now(&app).await;
    assert_eq!(
        (again.trigger, again.outcome, again.export),
        (RunTrigger::Admin, RunOutcome::Nothing, None)
    );
    assert!(
        again
            .message
            .as_deref()
            .unwrap()
            .contains("everything up to 2019-08-20 (yesterday) is exported"),
        "{again:?}"
    );
    assert_eq!(app.sim.journals().len(), 18);
    let status = schedule(&app).await;
    assert_eq!(status.runs.len(), 2);
    assert_eq!(status.runs[1].posted, Some(15));
    assert_eq!(status.next_run, Some(at("2019-08-22T06:00:00Z")));

    // The problem journal was left for a person, and a person is told.
    hook.wait_for(&app.sim.clock(), Duration::ZERO, |h| {
        !h.accepted().is_empty()
    })
    .await;
    let alert = &hook.accepted()[0];
    assert_eq!(
        (alert["kind"].as_str(), alert["export"].as_u64()),
        (Some("schedule_problems"), Some(2))
    );
    assert_eq!(alert["counts"]["held_back"], 1);
}

#[tokio::test]
async fn an_overlapping_trigger_waits_and_postings_another_export_took_are_not_posted_again() {
    let postings = srm_postings();
    let feed = SrmFeed::start(postings.clone()).await;
    let app = scheduled(&feed, None, FEED_TOKEN).await;
    let (first, _) = export_all(&app, &on(&postings, 15..=15)).await;
    wait_settled(&app, first, false).await;
    app.sim.clock().set(at("2019-08-21T05:00:00Z"));

    // Run A reads the feed, which holds its answer.
    feed.hold();
    let a = spawn_run(&app);
    feed.wait_for_requests(1).await;
    // Meanwhile a person accepts the 16th and 17th.
    let (by_hand, _) = export_all(&app, &on(&postings, 16..=17)).await;
    // Run B waits for A.
    let b = spawn_run(&app);
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while schedule(&app).await.queued == 0 {
        assert!(std::time::Instant::now() < deadline, "run B never came");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let waiting = schedule(&app).await;
    assert!(waiting.running);
    assert_eq!(
        waiting.runs.len(),
        1,
        "B has not started: {:?}",
        waiting.runs
    );
    assert_eq!(feed.requests(), 1);

    feed.release();
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    assert!(a.id < b.id && a.finished_at.unwrap() <= b.started_at);
    // A posted the 18th to the 20th only: the 16th and 17th were already in export #2.
    assert_eq!(
        (a.outcome, a.export, a.accepted),
        (RunOutcome::Posted, Some(by_hand + 1), 9),
        "{a:?}"
    );
    assert_eq!((b.outcome, b.export), (RunOutcome::Nothing, None), "{b:?}");
    wait_settled(&app, by_hand, false).await;
    wait_settled(&app, by_hand + 1, false).await;
    let copies = in_xero(&app);
    assert_eq!(copies.len(), 18);
    assert!(
        copies.values().all(|c| c.len() == 1),
        "a journal posted twice"
    );
}

#[tokio::test]
async fn a_run_missed_while_the_proxy_was_down_runs_once_at_start_up() {
    let postings = srm_postings();
    let feed = SrmFeed::start(postings.clone()).await;
    let mut app = scheduled(&feed, None, FEED_TOKEN).await;
    let (first, _) = export_all(&app, &on(&postings, 15..=15)).await;
    wait_settled(&app, first, false).await;
    // Down from the 20th 09:00 to the 23rd 10:00: the runs of the 21st, 22nd and 23rd at 06:00
    // were missed; one run makes up for them.
    app.restart_after(Duration::from_hours(3 * 24 + 1)).await;
    let runs = runs_ended(&app, 1).await;
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    assert_eq!(
        (run.trigger, run.due_at),
        (RunTrigger::StartUp, Some(at("2019-08-23T06:00:00Z")))
    );
    assert_eq!(
        (run.from, run.to, run.accepted),
        (Some(august(16)), Some(august(22)), 18)
    );
    assert_eq!(
        schedule(&app).await.next_run,
        Some(at("2019-08-24T06:00:00Z"))
    );
    // Started again the same day: nothing was missed since. The next run is the 24th's (by the
    // schedule, or at start-up if the clock gets there first): the 23rd's ran once.
    app.restart_after(Duration::from_mins(5)).await;
    app.sim.clock().set(at("2019-08-24T06:00:00Z"));
    let runs = runs_ended(&app, 2).await;
    let due: Vec<Option<DateTime<Utc>>> = runs.iter().map(|r| r.due_at).collect();
    assert_eq!(
        due,
        [
            Some(at("2019-08-24T06:00:00Z")),
            Some(at("2019-08-23T06:00:00Z"))
        ]
    );
    assert_eq!(runs[0].outcome, RunOutcome::Nothing, "{:?}", runs[0]);
}

#[tokio::test]
async fn a_run_that_cannot_run_says_why_and_alerts() {
    let feed = SrmFeed::start(srm_postings()).await;
    let hook = Webhook::start(SimClock::fixed(common::start_time())).await;
    let app = scheduled(&feed, Some(&hook), "a-wrong-feed-token").await;
    // Nothing exported and no cut-off date: nothing to start from.
    let first = run_now(&app).await;
    assert_eq!(first.outcome, RunOutcome::Nothing);
    assert!(
        first.message.as_deref().unwrap().contains("cut-off date"),
        "{first:?}"
    );
    assert_eq!(feed.requests(), 0);
    // With a first export, the feed is read, and refuses the token.
    let (number, _) = export_all(&app, &on(&srm_postings(), 15..=15)).await;
    wait_settled(&app, number, false).await;
    let refused = run_now(&app).await;
    assert_eq!(refused.outcome, RunOutcome::Failed);
    let message = refused.message.unwrap();
    assert!(
        message.contains("refused the proxy's token (401)")
            && message.contains("SRM_XERO_FEED_TOKEN"),
        "{message}"
    );
    assert!(
        !message.contains("a-wrong-feed-token") && !message.contains("tenant=acme"),
        "{message}"
    );
    hook.wait_for(&app.sim.clock(), Duration::ZERO, |h| {
        !h.accepted().is_empty()
    })
    .await;
    let alert = &hook.accepted()[0];
    assert_eq!(alert["kind"], "schedule_failed");
    assert_eq!(alert["run"], refused.id);
    // Only admins start runs; a clerk reads them.
    let (status, _) = app
        .call(Method::POST, "/api/schedule/run", &app.clerk(), None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn without_a_feed_nothing_is_scheduled_and_a_run_is_refused() {
    let app = common::spawn_app().await;
    let status = schedule(&app).await;
    assert_eq!(
        (status.expression, status.feed, status.next_run),
        (None, false, None)
    );
    assert_eq!(status.timezone, "UTC");
    let (code, body) = app
        .call(Method::POST, "/api/schedule/run", &app.admin(), None)
        .await;
    assert_eq!(code, StatusCode::CONFLICT, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("SRM_XERO_FEED_URL"),
        "{body}"
    );
}
