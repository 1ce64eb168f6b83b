//! The benchmark driver `cargo xtask bench` runs (twice at once, in separate processes).
//! Prints `bench key=value` lines that xtask turns into BENCHMARKS.md.
//!
//! - `bench export --journals N --batch B [--quick] [--pollers P]`: the Xero simulator (in this
//!   process) with Xero's limits — 5 in flight, 60 calls a minute, 5,000 a day, in real time — and
//!   the real proxy in a child process of its own (`bench proxy …`, this program again), posting
//!   an N-journal export B journals a call. `--quick` multiplies the minute and day limits (and
//!   the proxy's pacer) by ten. P concurrent pollers read `GET /api/exports/{n}/progress` while
//!   it runs. Checks every journal is in the simulator exactly once, counts the 429s Xero sent by
//!   their problem, and reads the proxy process's peak RSS (`VmHWM` in `/proc/<pid>/status`).
//! - `bench recovery --journals N [--drop-every K]`: the same set-up with the default worker; the
//!   first three calls are held inside Xero, the proxy's process is killed (SIGKILL) with them in
//!   flight, Xero finishes them for nobody, and a new proxy process starts on the same database.
//!   Measures the time from that start until the export is settled and the Xero calls it took —
//!   those carrying the three in-flight calls' keys, the look-ups, all of them — and checks every
//!   journal is in Xero exactly once. `--drop-every K`: Xero also closes the connection of every
//!   Kth call at once and saves it 3 s later.
//! - `bench accept --postings N|max [--pollers P]`: the same set-up (the simulator here, the proxy in
//!   a process of its own with every setting at its default); a close of N postings from the
//!   demo's G/L generator accepted as the component does it — a draft, the postings in pieces of
//!   at most 5,000, then the journals — timed from the draft to the export number, with the
//!   proxy's peak RSS. Meanwhile P pollers read `GET /api/exports/1/progress?since=…` of a
//!   small export accepted before. With N at the most one export may hold, a draft one posting
//!   beyond it is then sent too: the piece that crosses the limit is refused, and nothing is
//!   stored.
//! - `bench proxy …`: only the proxy (its library, `serve_on`), as `bench export` starts it;
//!   stops when its standard input closes. `BENCH_WRAP=heaptrack` runs it under a profiler.
//! - `bench render --dist DIR`: the component's release bundle served by the proxy, opened in
//!   headless Chromium; the time from navigation start to the first content in the element's
//!   shadow root (`performance.now()`, polled in the page every millisecond).

#[path = "../tests/common/mod.rs"]
#[allow(unused_imports)]
mod common;

use std::collections::BTreeMap;
use std::io::BufRead as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::TestApp;
use common::exports::{
    add_divisions, close_of, export_all, gl, in_xero, new_draft, plan_like_the_component, puts,
    send_piece,
};
use srm_xero_proxy::Options;
use srm_xero_proxy::config::{self, Config, DEFAULT_SCOPES, TokenKey, TokenRules, XeroSettings};
use srm_xero_proxy::worker::WorkerSettings;
use srm_xero_tests::demo::org::ACME_TENANT_ID;
use srm_xero_tests::sim::{
    AppRegistration, Fault, FaultKind, Limits, SimClock, SimHandle, Simulator,
};

/// The tests' start time: the demo organisation's lock date (relative to it) is before the G/L.
const BENCH_START: &str = "2019-08-20T09:00:00Z";

#[derive(Debug)]
struct ExportArgs {
    journals: usize,
    batch: usize,
    quick: bool,
    pollers: usize,
    /// `recovery`: Xero drops every Kth call's connection (and saves it later).
    drop_every: usize,
    /// `accept`: postings in the close.
    postings: usize,
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().is_some_and(|a| a == "proxy") {
        // The proxy's process starts as the product's does (see `srm_xero_proxy::process`).
        srm_xero_proxy::process::cap_malloc_arenas();
    }
    let runtime = srm_xero_proxy::process::runtime().expect("a tokio runtime");
    let result = match args.first().map(String::as_str) {
        Some("export") => parse_export(&args[1..]).map(|a| runtime.block_on(export(&a))),
        Some("recovery") => parse_export(&args[1..]).map(|a| runtime.block_on(recovery(&a))),
        Some("accept") => parse_export(&args[1..]).map(|a| runtime.block_on(accept(&a))),
        Some("proxy") => ProxyArgs::parse(&args[1..]).map(|a| runtime.block_on(proxy(a))),
        Some("render") => match args.get(1..3) {
            Some([flag, dir]) if flag == "--dist" => {
                runtime.block_on(render(Path::new(dir)));
                Ok(())
            }
            _ => Err("usage: bench render --dist DIR".to_owned()),
        },
        _ => Err("usage: bench export|recovery|accept|proxy|render …".to_owned()),
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
        drop_every: 0,
        postings: 100_000,
    };
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        if flag == "--quick" {
            out.quick = true;
            continue;
        }
        if flag == "--postings" && args.as_slice().first().is_some_and(|v| v == "max") {
            args.next();
            out.postings = usize::try_from(srm_xero_shared::api::MAX_POSTINGS_PER_EXPORT)
                .unwrap_or(usize::MAX);
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
            "--drop-every" => out.drop_every = value,
            "--postings" => out.postings = value,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(out)
}

/// What `bench proxy` needs: where to listen, the simulator's URLs, the clock and the worker.
#[derive(Debug, Default)]
struct ProxyArgs {
    fields: BTreeMap<String, String>,
}

impl ProxyArgs {
    const KEYS: [&str; 9] = [
        "--bind",
        "--data",
        "--client-id",
        "--login-url",
        "--identity-url",
        "--api-url",
        "--clock-offset-ms",
        "--per-window",
        "--batch",
    ];

    fn parse(args: &[String]) -> Result<Self, String> {
        let mut fields = BTreeMap::new();
        for pair in args.chunks(2) {
            match pair {
                [key, value] if Self::KEYS.contains(&key.as_str()) => {
                    fields.insert(key.clone(), value.clone());
                }
                _ => return Err(format!("bench proxy: bad arguments {pair:?}")),
            }
        }
        if let Some(missing) = Self::KEYS.iter().find(|k| !fields.contains_key(**k)) {
            return Err(format!("bench proxy: {missing} is needed"));
        }
        Ok(ProxyArgs { fields })
    }

    fn get(&self, key: &str) -> &str {
        &self.fields[key]
    }

    fn number<T: std::str::FromStr>(&self, key: &str) -> T {
        self.get(key)
            .parse()
            .unwrap_or_else(|_| panic!("{key} is not a number"))
    }
}

/// The worker as the benchmark runs it: Xero's limits (×10 with `--quick`), `batch` a call.
fn worker(quick: bool, batch: usize) -> WorkerSettings {
    WorkerSettings {
        per_window: if quick { 600 } else { 60 },
        batch_size: batch,
        ..WorkerSettings::default()
    }
}

/// Runs only the proxy, as a deployment would (the simulator is elsewhere), until stdin closes.
async fn proxy(args: ProxyArgs) {
    let listener = tokio::net::TcpListener::bind(args.get("--bind"))
        .await
        .expect("the benchmark's port is free");
    let dist = tempfile::tempdir().unwrap();
    let config = Config {
        bind: "127.0.0.1:0".parse().unwrap(),
        data_dir: PathBuf::from(args.get("--data")),
        public_url: None,
        allowed_origins: vec![common::ALLOWED_ORIGIN.to_owned()],
        caller_secret: common::CALLER_SECRET.into(),
        token_key: TokenKey::new([42; 32]),
        xero: XeroSettings {
            client_id: args.get("--client-id").to_owned(),
            client_secret: common::CLIENT_SECRET.into(),
            scopes: DEFAULT_SCOPES.split(' ').map(String::from).collect(),
            login_url: args.get("--login-url").to_owned(),
            identity_url: args.get("--identity-url").to_owned(),
            api_url: args.get("--api-url").to_owned(),
        },
        dist_dir: dist.path().to_path_buf(),
        body_limit: config::DEFAULT_BODY_LIMIT,
        tokens: TokenRules::default(),
        limits: config::Limits::default(),
        idempotency_key_life: None,
        close: config::CloseSettings::default(),
        demo: false,
    };
    let offset = chrono::TimeDelta::milliseconds(args.number("--clock-offset-ms"));
    let options = Options {
        clock: Arc::new(move || chrono::Utc::now() + offset),
        maintenance_every: None,
        worker: WorkerSettings {
            per_window: args.number("--per-window"),
            batch_size: args.number("--batch"),
            ..WorkerSettings::default()
        },
        ..Options::default()
    };
    let app = srm_xero_proxy::serve_on(listener, config, options).expect("the proxy starts");
    println!("bench proxy listening on {}", app.url());
    // Serves until the benchmark closes our stdin (or goes away).
    let _ =
        tokio::task::spawn_blocking(|| std::io::copy(&mut std::io::stdin(), &mut std::io::sink()))
            .await;
    let _ = app.shutdown().await;
}

/// The proxy in its own process (this program, `bench proxy`), and its URL.
fn spawn_proxy(
    sim: &SimHandle,
    addr: std::net::SocketAddr,
    data: &Path,
    offset: chrono::TimeDelta,
    worker: WorkerSettings,
) -> (Child, String) {
    let urls = sim.urls();
    let exe = std::env::current_exe().unwrap();
    // `BENCH_WRAP=heaptrack` (or any wrapper) profiles the proxy's process.
    let mut command = match std::env::var_os("BENCH_WRAP") {
        Some(wrapper) => {
            let mut c = Command::new(wrapper);
            c.arg(exe);
            c
        }
        None => Command::new(exe),
    };
    let mut child = command
        .arg("proxy")
        .args(["--bind", &addr.to_string()])
        .arg("--data")
        .arg(data)
        .args(["--client-id", &sim.app().client_id])
        .args(["--login-url", &urls.login])
        .args(["--identity-url", &urls.identity])
        .args(["--api-url", &urls.api])
        .args(["--clock-offset-ms", &offset.num_milliseconds().to_string()])
        .args(["--per-window", &worker.per_window.to_string()])
        .args(["--batch", &worker.batch_size.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the proxy process starts");
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let url = lines
        .find_map(|line| {
            line.ok()?
                .strip_prefix("bench proxy listening on ")
                .map(str::to_owned)
        })
        .expect("the proxy says where it listens");
    (child, url)
}

/// A simulator that follows real time from [`BENCH_START`], and the offset from now to it.
async fn simulator(
    limits: Limits,
    redirect: &std::net::SocketAddr,
) -> (SimHandle, chrono::TimeDelta) {
    let clock = SimClock::real();
    let start = chrono::DateTime::parse_from_rfc3339(BENCH_START).unwrap();
    let offset = start.with_timezone(&chrono::Utc) - chrono::Utc::now();
    clock.shift(offset);
    let sim = Simulator::new()
        .clock(clock)
        .auto_approve(true)
        .limits(limits)
        .app(AppRegistration {
            client_secret: common::CLIENT_SECRET.into(),
            redirect_uris: vec![format!("http://{redirect}/auth/xero/callback")],
            ..AppRegistration::default()
        })
        .start()
        .await
        .unwrap();
    (sim, offset)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The simulator at `limits` and the proxy in its own process with `worker`, connected.
async fn connected(limits: Limits, worker: WorkerSettings) -> (TestApp, Child) {
    // A free port for the proxy, known before the simulator registers its redirect URI.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap();
    let (sim, offset) = simulator(limits, &addr).await;
    let data = tempfile::tempdir().unwrap();
    let (proxy, url) = spawn_proxy(&sim, addr, data.path(), offset, worker);
    let app = TestApp {
        worker,
        close: config::CloseSettings::default(),
        app: None,
        remote: Some(url),
        sim,
        data,
        dist: tempfile::tempdir().unwrap(),
        http: client(),
    };
    app.connect_to(ACME_TENANT_ID).await;
    (app, proxy)
}

/// The proxy in this process, with its default settings (for `render`).
async fn spawn_here(dist: &Path) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (sim, _) = simulator(Limits::default(), &addr).await;
    let data = tempfile::tempdir().unwrap();
    let stub = tempfile::tempdir().unwrap();
    let mut config = common::config(&sim, data.path(), dist);
    config.limits = config::Limits::default();
    let sim_clock = sim.clock();
    let options = Options {
        clock: Arc::new(move || sim_clock.now()),
        maintenance_every: None,
        ..Options::default()
    };
    let app = srm_xero_proxy::serve_on(listener, config, options).unwrap();
    TestApp {
        worker: WorkerSettings::default(),
        close: config::CloseSettings::default(),
        app: Some(app),
        remote: None,
        sim,
        data,
        dist: stub,
        http: client(),
    }
}

#[allow(clippy::too_many_lines)] // One measurement, read top to bottom.
async fn export(args: &ExportArgs) {
    let scale = if args.quick { 10 } else { 1 };
    let limits = Limits {
        per_minute: 60 * scale,
        per_day: 5_000 * scale,
        ..Limits::default()
    };
    let worker = worker(args.quick, args.batch);
    let (app, mut proxy) = connected(limits, worker).await;
    let pid = proxy.id();
    let app = Arc::new(app);
    let postings = gl("GL-", args.journals);
    let rss_before = status_kb(pid, "VmRSS");

    let started = Instant::now();
    let (number, journals) = export_all(&app, &postings).await;
    drop(postings);
    let accepted = started.elapsed();
    // The peak so far is Accept's (the rest is sending the journals).
    let hwm_accept = status_kb(pid, "VmHWM");
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let pollers: Vec<_> = (0..args.pollers)
        .map(|poller| {
            let (app, done) = (Arc::clone(&app), Arc::clone(&done));
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                // Each poller is a person watching the export: the proxy's rate limit is per
                // caller, and its default holds five polls a second from each.
                let token = app.token(&format!("Poller {poller}"), "xero:post");
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
        // Within the default rate limit of one caller (600 a minute).
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let elapsed = started.elapsed();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut latencies = Vec::new();
    for poller in pollers {
        latencies.extend(poller.await.unwrap());
    }
    latencies.sort();
    let hwm = status_kb(pid, "VmHWM");
    // Closing its stdin stops the proxy.
    drop(proxy.stdin.take());
    let _ = proxy.wait();

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
    let mut refused: BTreeMap<String, usize> = BTreeMap::new();
    let accounting = app
        .sim
        .calls()
        .into_iter()
        .filter(|c| c.path.starts_with("/api.xro/2.0/"))
        .collect::<Vec<_>>();
    for call in accounting.iter().filter(|c| c.status == Some(429)) {
        let problem = call.rate_limit_problem.clone().unwrap_or_default();
        *refused
            .entry(format!("{} {problem}", call.method))
            .or_default() += 1;
    }
    let refused_text = if refused.is_empty() {
        "none".to_owned()
    } else {
        refused
            .iter()
            .map(|(what, n)| format!("{n}:{}", what.replace(' ', "/")))
            .collect::<Vec<_>>()
            .join(",")
    };
    println!(
        "bench export journals={} batch={} quick={} posted={} once={once} exactly_once={} \
         puts={} retried_puts={rejected} accounting_calls={} refused_429={} refused_by={refused_text} \
         accept_s={:.2} elapsed_s={:.2} polls={} poll_p50_ms={:.2} \
         poll_p99_ms={:.2} rss_before_kb={} hwm_accept_kb={} hwm_kb={}",
        journals.len(),
        args.batch,
        args.quick,
        settled.counts.posted,
        once == journals.len() && stored.values().map(Vec::len).sum::<usize>() == journals.len(),
        calls.len(),
        accounting.len(),
        refused.values().sum::<usize>(),
        accepted.as_secs_f64(),
        elapsed.as_secs_f64(),
        latencies.len(),
        percentile(&latencies, 50),
        percentile(&latencies, 99),
        rss_before.unwrap_or(0),
        hwm_accept.unwrap_or(0),
        hwm.unwrap_or(0),
    );
}

/// Kills the proxy with three calls in flight, starts it again, and measures the recovery.
#[allow(clippy::too_many_lines)] // One measurement, read top to bottom.
async fn recovery(args: &ExportArgs) {
    let worker = WorkerSettings::default();
    let (mut app, mut proxy) = connected(Limits::default(), worker).await;
    app.sim.inject(Fault::next(3, FaultKind::Hold).only("PUT"));
    if args.drop_every > 0 {
        app.sim.inject(
            Fault::every(
                u32::try_from(args.drop_every).unwrap_or(u32::MAX),
                FaultKind::DropThenSave { after_ms: 3_000 },
            )
            .only("PUT"),
        );
    }
    let postings = gl("GL-", args.journals);
    let (number, journals) = export_all(&app, &postings).await;
    drop(postings);
    app.sim
        .wait_until(|s| s.in_flight(ACME_TENANT_ID) == 3)
        .await;
    let in_flight_keys: Vec<String> = puts(&app)
        .iter()
        .filter_map(|c| c.header("idempotency-key").map(str::to_owned))
        .collect();
    // SIGKILL: no shutdown, three calls in flight.
    proxy.kill().expect("the proxy can be killed");
    let _ = proxy.wait();
    // Xero finishes the three calls for nobody.
    app.sim.release_held();
    app.sim
        .wait_until(|s| s.in_flight(ACME_TENANT_ID) == 0)
        .await;
    let calls_before = app.sim.calls().len();
    let puts_before = puts(&app).len();

    let restarted = Instant::now();
    let addr = app.url("").trim_start_matches("http://").parse().unwrap();
    let offset = app.sim.clock().now() - chrono::Utc::now();
    let (mut proxy, url) = spawn_proxy(&app.sim, addr, app.data.path(), offset, worker);
    app.remote = Some(url);
    let deadline = Instant::now() + Duration::from_mins(10);
    let settled = loop {
        if let Ok(response) = app
            .http
            .get(app.url(&format!("/api/exports/{number}/progress")))
            .bearer_auth(app.clerk())
            .send()
            .await
            && let Ok(now) = response.json::<srm_xero_shared::api::Progress>().await
            && now.counts.remaining() == 0
        {
            break now;
        }
        assert!(Instant::now() < deadline, "the export never settled");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let settled_s = restarted.elapsed().as_secs_f64();
    drop(proxy.stdin.take());
    let _ = proxy.wait();

    let after: Vec<_> = app.sim.calls().into_iter().skip(calls_before).collect();
    let accounting_after = after
        .iter()
        .filter(|c| c.path.starts_with("/api.xro/2.0/"))
        .count();
    let replays = after
        .iter()
        .filter(|c| {
            c.method == "PUT"
                && c.header("idempotency-key")
                    .is_some_and(|k| in_flight_keys.iter().any(|held| held == k))
        })
        .count();
    let lookups = after
        .iter()
        .filter(|c| c.method == "GET" && c.path.starts_with("/api.xro/2.0/ManualJournals"))
        .count();
    let stored = in_xero(&app);
    let once = journals
        .iter()
        .filter(|j| stored.get(&j.key).map_or(0, Vec::len) == 1)
        .count();
    let duplicates = stored
        .values()
        .map(|v| v.len().saturating_sub(1))
        .sum::<usize>();
    let dropped = after
        .iter()
        .filter(|c| c.method == "PUT" && c.status.is_none())
        .count();
    // After the restart the export needs its batches never sent yet, once each; every other
    // accounting call is spent on recovery.
    let unsent = journals.len().div_ceil(50).saturating_sub(3);
    let recovery_calls = accounting_after.saturating_sub(unsent);
    println!(
        "bench recovery journals={} drop_every={} in_flight_batches=3 posted={} settled_s={settled_s:.2} \
         replays={replays} lookups={lookups} puts_before={puts_before} puts_after={} \
         accounting_calls_after={accounting_after} recovery_calls={recovery_calls} \
         dropped_connections={dropped} duplicates={duplicates} \
         exactly_once={}",
        journals.len(),
        args.drop_every,
        settled.counts.posted,
        puts(&app).len() - puts_before,
        once == journals.len() && duplicates == 0,
    );
}

/// What one poll of `GET /api/exports/{number}/progress?since=…` took, and when it was sent.
type Poll = (Instant, Duration);

/// Polls of `GET /api/exports/{number}/progress?since=…` by `pollers` callers, every 200 ms (the
/// default rate limit holds ten a second from each caller), until `done`; the answers that were
/// not a success are counted apart.
fn poll_progress(
    app: &Arc<TestApp>,
    number: u64,
    since: u64,
    pollers: usize,
    done: &Arc<std::sync::atomic::AtomicBool>,
) -> Vec<tokio::task::JoinHandle<(Vec<Poll>, usize)>> {
    (0..pollers)
        .map(|poller| {
            let (app, done) = (Arc::clone(app), Arc::clone(done));
            tokio::spawn(async move {
                let token = app.token(&format!("Poller {poller}"), "xero:post");
                let url = app.url(&format!("/api/exports/{number}/progress?since={since}"));
                let (mut polls, mut failed) = (Vec::new(), 0);
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    let sent = Instant::now();
                    match app.http.get(&url).bearer_auth(&token).send().await {
                        Ok(response) if response.status().is_success() => {
                            let _ = response.bytes().await;
                            polls.push((sent, sent.elapsed()));
                        }
                        _ => failed += 1,
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                (polls, failed)
            })
        })
        .collect()
}

/// The `p`th percentile of sorted `latencies`, in milliseconds.
fn percentile(latencies: &[Duration], p: usize) -> f64 {
    latencies
        .get((latencies.len() * p / 100).min(latencies.len().saturating_sub(1)))
        .map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0)
}

/// Accept of a close of `args.postings` postings with every setting at its default, timed, with
/// progress polled meanwhile; at the most one export may hold, then one posting more.
#[allow(clippy::too_many_lines)] // One measurement, read top to bottom.
async fn accept(args: &ExportArgs) {
    use srm_xero_shared::api::{MAX_POSTINGS_PER_EXPORT, PIECE_POSTINGS};
    let (app, mut proxy) = connected(Limits::default(), WorkerSettings::default()).await;
    let pid = proxy.id();
    add_divisions(&app, ACME_TENANT_ID, &["1", "2"]);
    let app = Arc::new(app);
    // A small export first: its progress is what the pollers read during the big Accept.
    let (small, _) = export_all(&app, &gl("SMALL-", 6)).await;
    let (_, detail) = app
        .get(&format!("/api/exports/{small}"), &app.clerk())
        .await;
    let since = detail["sequence"].as_u64().unwrap_or_default();
    let postings = close_of(args.postings);
    let keys: Vec<srm_xero_shared::JournalKey> = plan_like_the_component(&app, &postings)
        .await
        .into_iter()
        .filter(srm_xero_shared::PlannedJournal::is_postable)
        .map(|j| j.key)
        .collect();
    let hwm_before = status_kb(pid, "VmHWM");

    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let pollers = poll_progress(&app, small, since, args.pollers, &done);
    let started = Instant::now();
    let draft = new_draft(&app).await;
    for piece in postings.chunks(PIECE_POSTINGS) {
        let (status, body) = send_piece(&app, &draft, piece).await;
        assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    }
    let sent = Instant::now();
    let hwm_sent = status_kb(pid, "VmHWM");
    let (status, body) = app
        .call(
            reqwest::Method::POST,
            &format!("/api/drafts/{draft}/accept"),
            &app.clerk(),
            Some(serde_json::json!({ "journals": keys })),
        )
        .await;
    let answered = Instant::now();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");
    let number = body["number"].as_u64().unwrap_or_default();
    let hwm = status_kb(pid, "VmHWM");
    let (mut polls, mut failed) = (Vec::new(), 0);
    for poller in pollers {
        let (these, refused) = poller.await.unwrap();
        polls.extend(these);
        failed += refused;
    }
    // The polls sent while the proxy planned and stored (the accept call), and all of them.
    let mut planning: Vec<Duration> = polls
        .iter()
        .filter(|(at, _)| *at >= sent)
        .map(|(_, took)| *took)
        .collect();
    let mut all: Vec<Duration> = polls.iter().map(|(_, took)| *took).collect();
    planning.sort();
    all.sort();
    let stored = common::exports::exported(&app, &postings).await.exported;
    let held = stored.values().filter(|n| **n == number).count();

    // One posting beyond what an export may hold: the piece that crosses it is refused. Another
    // clerk sends it (the proxy's rate limit is per caller).
    let max = usize::try_from(MAX_POSTINGS_PER_EXPORT).unwrap_or(usize::MAX);
    let mut refusal = "none".to_owned();
    if args.postings == max {
        let other = app.token("Second clerk", "xero:post");
        let (status, created) = app
            .call(
                reqwest::Method::POST,
                "/api/drafts",
                &other,
                Some(serde_json::json!({ "from": common::exports::first_day() })),
            )
            .await;
        assert_eq!(status, reqwest::StatusCode::CREATED, "{created}");
        let beyond = created["draft"].as_str().unwrap_or_default().to_owned();
        let mut extra = postings;
        extra.push(common::exports::posting(
            "BEYOND-1",
            common::exports::first_day(),
            "1200",
            "1",
            100,
        ));
        for (n, piece) in extra.chunks(PIECE_POSTINGS).enumerate() {
            let (status, body) = app
                .call(
                    reqwest::Method::POST,
                    &format!("/api/drafts/{beyond}/postings"),
                    &other,
                    Some(serde_json::json!({ "postings": piece })),
                )
                .await;
            if status != reqwest::StatusCode::OK {
                let at = n * PIECE_POSTINGS + piece.len();
                refusal = format!(
                    "{}@{at}:{}",
                    status.as_u16(),
                    body["message"]
                        .as_str()
                        .unwrap_or_default()
                        .replace(' ', "_")
                );
                break;
            }
        }
    }
    drop(proxy.stdin.take());
    let _ = proxy.wait();
    let ms = |d: Option<&Duration>| d.map_or(f64::NAN, |d| d.as_secs_f64() * 1000.0);
    println!(
        "bench accept postings={} journals={} number={number} held={held} pieces={} \
         sent_s={:.2} accept_s={:.2} elapsed_s={:.2} hwm_before_kb={} hwm_sent_kb={} hwm_kb={} polls={} \
         polls_failed={failed} poll_p50_ms={:.2} poll_p99_ms={:.2} poll_max_ms={:.2} \
         planning_polls={} planning_p50_ms={:.2} planning_p99_ms={:.2} planning_max_ms={:.2} \
         refusal={refusal}",
        args.postings,
        keys.len(),
        args.postings.div_ceil(PIECE_POSTINGS),
        (sent - started).as_secs_f64(),
        (answered - sent).as_secs_f64(),
        (answered - started).as_secs_f64(),
        hwm_before.unwrap_or(0),
        hwm_sent.unwrap_or(0),
        hwm.unwrap_or(0),
        all.len(),
        percentile(&all, 50),
        percentile(&all, 99),
        ms(all.last()),
        planning.len(),
        percentile(&planning, 50),
        percentile(&planning, 99),
        ms(planning.last()),
    );
}

/// A `Vm…:   1234 kB` line of /proc/<pid>/status.
fn status_kb(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
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
    let app = spawn_here(served.path()).await;

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
