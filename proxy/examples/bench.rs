//! The benchmark driver `cargo xtask bench` runs (twice at once, in separate processes, so each
//! peak-RSS figure is its own). Prints `bench key=value` lines that xtask turns into BENCHMARKS.md.
//!
//! - `bench export --journals N --batch B [--quick] [--pollers P]`: the real proxy (its library,
//!   `serve_on`, in this process) posting an N-journal export, B journals a call, into the Xero
//!   simulator (in this process too) with Xero's limits: 5 in flight, 60 calls a minute, 5,000 a
//!   day, in real time. `--quick` multiplies the minute and day limits (and the proxy's pacer) by
//!   ten. P concurrent pollers read `GET /api/exports/{n}/progress` while it runs. Checks every
//!   journal is in the simulator exactly once.
//! - `bench render --dist DIR`: the component's release bundle served by the proxy, opened in
//!   headless Chromium; the time from navigation start to the first content in the element's
//!   shadow root (`performance.now()`, polled in the page every millisecond).

#[path = "../tests/common/mod.rs"]
#[allow(unused_imports)]
mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::TestApp;
use common::exports::{export_all, in_xero, puts};
use srm_xero_proxy::Options;
use srm_xero_proxy::worker::WorkerSettings;
use srm_xero_tests::demo::org::ACME_TENANT_ID;
use srm_xero_tests::sim::{AppRegistration, Limits, SimClock, Simulator};

/// The tests' start time: the demo organisation's lock date (relative to it) is before the G/L.
const BENCH_START: &str = "2019-08-20T09:00:00Z";

#[derive(Debug)]
struct ExportArgs {
    journals: usize,
    batch: usize,
    quick: bool,
    pollers: usize,
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let result = match args.first().map(String::as_str) {
        Some("export") => parse_export(&args[1..]).map(|a| runtime.block_on(export(&a))),
        Some("render") => match args.get(1..3) {
            Some([flag, dir]) if flag == "--dist" => {
                runtime.block_on(render(Path::new(dir)));
                Ok(())
            }
            _ => Err("usage: bench render --dist DIR".to_owned()),
        },
        _ => Err("usage: bench export|render …".to_owned()),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("bench: {message}");
            std::process::ExitCode::from(2)
        }
    }
}

fn parse_export(args: &[String]) -> Result<ExportArgs, String> {
    let mut out = ExportArgs {
        journals: 10_000,
        batch: 50,
        quick: false,
        pollers: 50,
    };
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        if flag == "--quick" {
            out.quick = true;
            continue;
        }
        let value: usize = args
            .next()
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("{flag} needs a number"))?;
        match flag.as_str() {
            "--journals" => out.journals = value,
            "--batch" => out.batch = value,
            "--pollers" => out.pollers = value,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(out)
}

/// The proxy with a body limit for a big G/L, against a simulator that follows real time.
async fn spawn(limits: Limits, worker: WorkerSettings, dist: Option<&Path>) -> TestApp {
    let clock = SimClock::real();
    let start = chrono::DateTime::parse_from_rfc3339(BENCH_START).unwrap();
    clock.shift(start.with_timezone(&chrono::Utc) - chrono::Utc::now());
    let data = tempfile::tempdir().unwrap();
    let stub = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let sim = Simulator::new()
        .clock(clock)
        .auto_approve(true)
        .limits(limits)
        .app(AppRegistration {
            client_secret: common::CLIENT_SECRET.into(),
            redirect_uris: vec![format!("http://{addr}/auth/xero/callback")],
            ..AppRegistration::default()
        })
        .start()
        .await
        .unwrap();
    let mut config = common::config(&sim, data.path(), dist.unwrap_or(stub.path()));
    config.body_limit = 64 * 1024 * 1024;
    let sim_clock = sim.clock();
    let options = Options {
        clock: Arc::new(move || sim_clock.now()),
        maintenance_every: None,
        worker,
        ..Options::default()
    };
    let app = srm_xero_proxy::serve_on(listener, config, options).unwrap();
    TestApp {
        worker,
        app: Some(app),
        sim,
        data,
        dist: stub,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
    }
}

async fn export(args: &ExportArgs) {
    let scale = if args.quick { 10 } else { 1 };
    let limits = Limits {
        per_minute: 60 * scale,
        per_day: 5_000 * scale,
        ..Limits::default()
    };
    let worker = WorkerSettings {
        in_flight: 3,
        per_window: 60 * scale as usize,
        batch_size: args.batch,
        ..WorkerSettings::default()
    };
    let app = Arc::new(spawn(limits, worker, None).await);
    app.connect_to(ACME_TENANT_ID).await;
    let postings = common::exports::gl("GL-", args.journals);
    let rss_before = status_kb("VmRSS");

    let started = Instant::now();
    let (number, journals) = export_all(&app, &postings).await;
    let accepted = started.elapsed();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let pollers: Vec<_> = (0..args.pollers)
        .map(|_| {
            let (app, done) = (Arc::clone(&app), Arc::clone(&done));
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let token = app.clerk();
                let url = app.url(&format!("/api/exports/{number}/progress"));
                // Bounded: stops when the export is done, or after 4 hours at the latest.
                for _ in 0..(4 * 3600 * 5) {
                    if done.load(std::sync::atomic::Ordering::Relaxed) {
                        break;
                    }
                    let sent = Instant::now();
                    let response = app.http.get(&url).bearer_auth(&token).send().await;
                    if let Ok(response) = response {
                        let ok = response.status().is_success();
                        let _ = response.bytes().await;
                        if ok {
                            latencies.push(sent.elapsed());
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                latencies
            })
        })
        .collect();

    let deadline = Instant::now() + Duration::from_hours(4);
    let settled = loop {
        let now = common::exports::progress(&app, number).await;
        if now.counts.pending + now.counts.posting == 0 {
            break now;
        }
        assert!(Instant::now() < deadline, "export never settled: {now:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let elapsed = started.elapsed();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut latencies = Vec::new();
    for poller in pollers {
        latencies.extend(poller.await.unwrap());
    }
    latencies.sort();

    let stored = in_xero(&app);
    let once = journals
        .iter()
        .filter(|j| stored.get(&j.key).map_or(0, Vec::len) == 1)
        .count();
    let calls = puts(&app);
    // Every call the proxy plans is one PUT; a 429 (or any other refusal) makes a retry, one more.
    let rejected = calls
        .len()
        .saturating_sub(journals.len().div_ceil(args.batch.clamp(1, 50)));
    let pct = |p: usize| {
        latencies
            .get((latencies.len() * p / 100).min(latencies.len().saturating_sub(1)))
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
    };
    println!(
        "bench export journals={} batch={} quick={} posted={} once={once} exactly_once={} \
         puts={} retried_puts={rejected} accept_s={:.2} elapsed_s={:.2} polls={} poll_p50_ms={:.2} \
         poll_p99_ms={:.2} rss_before_kb={} hwm_kb={}",
        journals.len(),
        args.batch,
        args.quick,
        settled.counts.posted,
        once == journals.len() && stored.values().map(Vec::len).sum::<usize>() == journals.len(),
        calls.len(),
        accepted.as_secs_f64(),
        elapsed.as_secs_f64(),
        latencies.len(),
        pct(50),
        pct(99),
        rss_before.unwrap_or(0),
        status_kb("VmHWM").unwrap_or(0),
    );
}

/// A `Vm…:   1234 kB` line of /proc/self/status.
fn status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Sets `window.__firstRender` to `performance.now()` when the element's shadow root first has
/// content.
const PROBE: &str = "<script>(function probe(){const e=document.querySelector('srm-xero-post-journals');\
if(e&&e.shadowRoot&&e.shadowRoot.querySelector('*:not(style):not(link)')){window.__firstRender=performance.now();return;}\
setTimeout(probe,1);})();</script>";

async fn render(dist: &Path) {
    // The bundle as built, plus a copy of its host page with the probe as the first script.
    let served = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(dist).unwrap() {
        let path: PathBuf = entry.unwrap().path();
        std::fs::copy(&path, served.path().join(path.file_name().unwrap())).unwrap();
    }
    let index = std::fs::read_to_string(dist.join("index.html")).unwrap();
    let page = index.replacen("<head>", &format!("<head>{PROBE}"), 1);
    std::fs::write(served.path().join("bench.html"), page).unwrap();
    let app = spawn(
        Limits::default(),
        WorkerSettings::default(),
        Some(served.path()),
    )
    .await;

    let browser = srm_xero_tests::browser::Browser::launch().await;
    let mut runs = Vec::new();
    for _ in 0..5 {
        browser.open(&app.url("/bench.html")).await;
        let deadline = Instant::now() + Duration::from_secs(20);
        let ms = loop {
            let value = browser
                .client()
                .execute("return window.__firstRender || null;", vec![])
                .await
                .unwrap();
            if let Some(ms) = value.as_f64() {
                break ms;
            }
            assert!(Instant::now() < deadline, "the component never rendered");
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        runs.push(ms);
    }
    runs.sort_by(f64::total_cmp);
    println!(
        "bench render first_render_ms={:.1} first_render_best_ms={:.1} runs={}",
        runs[runs.len() / 2],
        runs[0],
        runs.len()
    );
    browser.close().await;
}
