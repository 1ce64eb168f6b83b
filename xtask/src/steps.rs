//! `cargo xtask test`: installs what is missing, then runs every check in order, each a named step
//! with its wall time. A failed step does not stop the later ones (one run shows every problem),
//! but any failure makes the exit status non-zero. The last line is `N passed, M failed`, summed
//! over every libtest and wasm-bindgen-test summary line; CI reads it.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use crate::env::Env;
use crate::install::{self, CHROMEDRIVER, WASM_TARGET};
use crate::run::{self, Counts};

/// One check: a name for humans and the command that performs it.
struct Step {
    name: &'static str,
    command: Command,
    /// Printed under the step's heading (e.g. why some tests will be skipped).
    note: Option<String>,
    /// Whether to report the release bundle's size after the step succeeds.
    reports_bundle: bool,
}

impl Step {
    fn new(name: &'static str, command: Command) -> Self {
        Self {
            name,
            command,
            note: None,
            reports_bundle: false,
        }
    }

    /// `KEY=value program args…`, as a user would type it (PATH left out).
    fn shown(&self) -> String {
        let envs = self.command.get_envs().filter_map(|(key, value)| {
            let value = value?;
            (key != "PATH")
                .then(|| format!("{}={}", key.to_string_lossy(), value.to_string_lossy()))
        });
        let program = Path::new(self.command.get_program())
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let args = self
            .command
            .get_args()
            .map(|arg| arg.to_string_lossy().into_owned());
        envs.chain([program])
            .chain(args)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Every check the project has, in the order they run.
#[allow(clippy::too_many_lines)] // one list of every step, in order
fn plan(env: &Env) -> Vec<Step> {
    let cargo = |args: &[&str]| {
        let mut command = env.cargo();
        command.args(args);
        command
    };

    let mut native_tests = Step::new(
        "native tests",
        cargo(&["test", "--workspace", "--no-fail-fast"]),
    );
    native_tests.note = match openapi_dir(env) {
        OpenApi::Inherited(dir) => Some(format!(
            "XERO_OPENAPI_DIR={} (from the environment)",
            dir.display()
        )),
        OpenApi::Found(dir) => {
            let note = format!(
                "XERO_OPENAPI_DIR={} (found beside the repository)",
                dir.display()
            );
            native_tests.command.env("XERO_OPENAPI_DIR", dir);
            Some(note)
        }
        OpenApi::Missing(why) => Some(format!(
            "⚠ warning: {why}; the Xero spec contract tests will be skipped. Point XERO_OPENAPI_DIR at a folder holding xero_accounting.yaml."
        )),
    };

    let mut browser_tests = Step::new(
        "browser tests (headless Chromium)",
        cargo(&[
            "test",
            "-p",
            "srm-xero-shared",
            "-p",
            "srm-xero-frontend",
            "--target",
            WASM_TARGET,
            "--tests",
            "--no-fail-fast",
        ]),
    );
    browser_tests.command.env("CHROMEDRIVER", CHROMEDRIVER);

    // The end-to-end tests need the release bundle, so they run after it; `cargo test
    // --workspace` leaves them out (the `e2e` feature is their `required-features`).
    let mut e2e_tests = Step::new(
        "end-to-end tests (demo configuration, headless Chromium)",
        cargo(&[
            "test",
            "-p",
            "srm-xero-proxy",
            "--features",
            "e2e",
            "--test",
            "e2e",
            "--no-fail-fast",
        ]),
    );
    e2e_tests.note = Some("uses dist/ from the release bundle step".into());

    let mut bundle = Step::new(
        "release bundle (trunk build --release)",
        crate::demo::trunk(env),
    );
    bundle.reports_bundle = true;

    vec![
        Step::new("format", cargo(&["fmt", "--all", "--check"])),
        Step::new(
            "clippy (native)",
            cargo(&[
                "clippy",
                "--workspace",
                "--all-targets",
                "--features",
                "srm-xero-proxy/e2e",
                "--",
                "-D",
                "warnings",
            ]),
        ),
        Step::new(
            "clippy (wasm32)",
            cargo(&[
                "clippy",
                "-p",
                "srm-xero-shared",
                "-p",
                "srm-xero-frontend",
                "--target",
                WASM_TARGET,
                "--all-targets",
                "--",
                "-D",
                "warnings",
            ]),
        ),
        native_tests,
        Step::new(
            "shared for wasm32",
            cargo(&["build", "-p", "srm-xero-shared", "--target", WASM_TARGET]),
        ),
        browser_tests,
        Step::new(
            "fetch crates for the offline bundle build",
            cargo(&["fetch", "--locked"]),
        ),
        bundle,
        e2e_tests,
        Step::new(
            "demo smoke (host page and embed.js, then Ctrl-C)",
            cargo(&["run", "--quiet", "-p", "xtask", "--", "demo-smoke"]),
        ),
        Step::new(
            "API check (schemathesis against a connected proxy)",
            cargo(&["run", "--quiet", "-p", "xtask", "--", "api-check"]),
        ),
    ]
}

/// Where the Xero OpenAPI specs for the contract tests come from.
enum OpenApi {
    Inherited(PathBuf),
    Found(PathBuf),
    Missing(String),
}

fn openapi_dir(env: &Env) -> OpenApi {
    if let Some(dir) = std::env::var_os("XERO_OPENAPI_DIR").filter(|dir| !dir.is_empty()) {
        let dir = PathBuf::from(dir);
        return if dir.is_dir() {
            OpenApi::Inherited(dir)
        } else {
            OpenApi::Missing(format!(
                "XERO_OPENAPI_DIR={} is not a folder",
                dir.display()
            ))
        };
    }
    let beside = env.root.join("../shared/xero-openapi");
    match beside.canonicalize() {
        Ok(dir) if dir.is_dir() => OpenApi::Found(dir),
        _ => OpenApi::Missing(format!(
            "XERO_OPENAPI_DIR is unset and {} does not exist",
            beside.display()
        )),
    }
}

/// What happened to one step.
struct Ran {
    name: &'static str,
    elapsed: Duration,
    problem: Option<String>,
}

/// Runs `cargo xtask test` and returns the process's exit status.
pub fn test(env: &Env) -> ExitCode {
    let started = Instant::now();
    if let Err(problem) = install::everything(env) {
        println!("\n✗ FAILED: install — {problem}");
        println!("No check ran.");
        println!("{}", Counts::default());
        return ExitCode::FAILURE;
    }

    let steps = plan(env);
    let count = steps.len();
    let mut total = Counts::default();
    let mut ran = Vec::with_capacity(count);
    for (index, step) in steps.into_iter().enumerate() {
        println!("\n── step {}/{count}: {} ──", index + 1, step.name);
        println!("$ {}", step.shown());
        if let Some(note) = &step.note {
            println!("{note}");
        }
        let (name, reports_bundle) = (step.name, step.reports_bundle);
        let step_started = Instant::now();
        let problem = match run::streaming(step.command) {
            Ok(outcome) => {
                total += outcome.counts;
                (!outcome.status.success()).then(|| format!("exited with {}", outcome.status))
            }
            Err(error) => Some(format!("could not start: {error}")),
        };
        let elapsed = step_started.elapsed();
        match &problem {
            None => println!("✓ {name} ({})", run::duration(elapsed)),
            Some(problem) => println!("✗ {name} FAILED: {problem} ({})", run::duration(elapsed)),
        }
        if reports_bundle && problem.is_none() {
            report_bundle(&env.root.join("dist"));
        }
        ran.push(Ran {
            name,
            elapsed,
            problem,
        });
    }

    println!("\n── summary ({}) ──", run::duration(started.elapsed()));
    for step in &ran {
        let mark = if step.problem.is_none() { "✓" } else { "✗" };
        println!(
            "{mark} {:<45} {:>8}",
            step.name,
            run::duration(step.elapsed)
        );
    }
    let failed: Vec<&Ran> = ran.iter().filter(|step| step.problem.is_some()).collect();
    for step in &failed {
        let problem = step.problem.as_deref().unwrap_or_default();
        println!(
            "✗ FAILED: step `{}` {problem}; its output is above",
            step.name
        );
    }
    println!("{total}");
    if failed.is_empty() && total.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

/// Prints the size of each `.wasm` in `dist`, raw and gzipped (`gzip -9`).
fn report_bundle(dist: &Path) {
    let Ok(entries) = std::fs::read_dir(dist) else {
        println!("⚠ {} is missing after the build", dist.display());
        return;
    };
    let mut wasm: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "wasm"))
        .collect();
    wasm.sort();
    for path in wasm {
        let raw = path.metadata().map(|meta| meta.len()).unwrap_or_default();
        let mut gzip = Command::new("gzip");
        gzip.args([
            OsString::from("-9"),
            OsString::from("-c"),
            path.clone().into_os_string(),
        ]);
        let gzipped = gzip
            .output()
            .ok()
            .filter(|output| output.status.success())
            .map_or_else(
                || "size unknown (gzip failed)".to_owned(),
                |output| kib(output.stdout.len() as u64),
            );
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        println!("  bundle: {name}: {} raw; gzipped {gzipped}", kib(raw));
    }
}

#[allow(clippy::cast_precision_loss)] // sizes of a few MB are exact in f64
fn kib(bytes: u64) -> String {
    format!("{:.1} KiB ({bytes} bytes)", bytes as f64 / 1024.0)
}
