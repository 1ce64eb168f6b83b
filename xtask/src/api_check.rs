//! `cargo xtask api-check`: does the proxy do what its OpenAPI document says? Starts a connected
//! proxy against the Xero simulator (`proxy/examples/openapi_target.rs`: the tests'
//! configuration and secrets, loopback only), then runs schemathesis with every check
//! (`schemathesis run {proxy}/api/openapi.json --checks all`, bounded and seeded by
//! `xtask/schemathesis.toml`) with the admin caller token the target minted. Any failure fails the
//! step. The last line is a `test result:` line: operations tested, and those that failed.

use std::io::{BufRead as _, BufReader};
use std::process::{Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::env::Env;
use crate::install;
use crate::run;

/// The line the target prints when it is ready: `openapi target: <url> <token>`.
const READY: &str = "openapi target: ";
/// The environment variable `xtask/schemathesis.toml` reads the token from.
const TOKEN_VAR: &str = "SRM_XERO_API_CHECK_TOKEN";

/// `cargo xtask api-check`.
pub fn api_check(env: &Env) -> ExitCode {
    match check(env) {
        Ok(counts) => {
            println!(
                "test result: {}. {} passed; {} failed; (OpenAPI operations checked by schemathesis)",
                if counts.failed == 0 { "ok" } else { "FAILED" },
                counts.passed,
                counts.failed
            );
            if counts.failed == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(problem) => {
            eprintln!("✗ api check: {problem}");
            ExitCode::FAILURE
        }
    }
}

fn check(env: &Env) -> Result<run::Counts, String> {
    let schemathesis = install::schemathesis_bin(env);
    if !schemathesis.exists() {
        return Err(format!(
            "{} is missing: `cargo xtask install` installs it",
            schemathesis.display()
        ));
    }
    let mut build = env.cargo();
    build.args([
        "build",
        "--quiet",
        "-p",
        "srm-xero-proxy",
        "--example",
        "openapi_target",
    ]);
    if !run::plain(build).map_err(|e| e.to_string())?.success() {
        return Err("proxy/examples/openapi_target.rs does not build".into());
    }
    let mut target = env.cargo();
    target
        .args([
            "run",
            "--quiet",
            "-p",
            "srm-xero-proxy",
            "--example",
            "openapi_target",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut child = target
        .spawn()
        .map_err(|e| format!("cannot start the target: {e}"))?;
    let stdout = child.stdout.take().ok_or("the target has no stdout")?;
    let (ready, seen) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix(READY) {
                let _ = ready.send(rest.to_owned());
            } else {
                println!("  | {line}");
            }
        }
    });
    let result = seen
        .recv_timeout(Duration::from_mins(3))
        .map_err(|_| "the target did not say it was ready within 3 minutes".to_owned())
        .and_then(|line| {
            let (url, token) = line
                .split_once(' ')
                .ok_or("the target's ready line has no token")?;
            schemathesis_run(env, url, token)
        });
    // Closing its standard input stops the target.
    drop(child.stdin.take());
    let _ = child.wait();
    result
}

/// Runs schemathesis and reads what it found.
fn schemathesis_run(env: &Env, url: &str, token: &str) -> Result<run::Counts, String> {
    let mut command = Command::new(install::schemathesis_bin(env));
    let config = env.root.join("xtask/schemathesis.toml");
    command
        .current_dir(env.root.join("target"))
        .arg("--config-file")
        .arg(&config)
        .args([
            "run",
            &format!("{url}/api/openapi.json"),
            "--checks",
            "all",
            "--no-color",
        ])
        .env(TOKEN_VAR, token);
    println!(
        "$ {TOKEN_VAR}=… schemathesis --config-file {} run {url}/api/openapi.json --checks all",
        config.display()
    );
    let output = command
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("schemathesis could not start: {e}"))?;
    let text = String::from_utf8_lossy(&output.stdout);
    print!("{text}");
    let counts = read_outcome(&text);
    match (output.status.success(), counts) {
        (true, Some(counts)) => Ok(counts),
        (false, Some(counts)) if counts.failed > 0 => Ok(counts),
        (success, _) => Err(format!(
            "schemathesis ended with {} and no summary this step can read",
            if success { "success" } else { "a failure" }
        )),
    }
}

/// Operations tested (`Tested: N`) and operations with failures (their headings in the
/// FAILURES section: `____ METHOD /path ____`).
fn read_outcome(text: &str) -> Option<run::Counts> {
    let tested: u64 = text
        .lines()
        .find_map(|line| line.trim().strip_prefix("Tested: "))?
        .trim()
        .parse()
        .ok()?;
    let mut failing = std::collections::BTreeSet::new();
    let mut in_failures = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('=') {
            in_failures = line.contains(" FAILURES ");
        } else if in_failures && line.starts_with("___") {
            failing.insert(line.trim_matches('_').trim().to_owned());
        }
    }
    let failed = failing.len() as u64;
    Some(run::Counts {
        passed: tested.saturating_sub(failed),
        failed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clean_run_counts_every_operation_as_passed() {
        let text = "API Operations:\n  Selected: 22/22\n  Tested: 22\n\nTest cases:\n  2007 generated, 2007 passed\n";
        assert_eq!(
            read_outcome(text),
            Some(run::Counts {
                passed: 22,
                failed: 0
            })
        );
    }

    #[test]
    fn failing_operations_are_counted_once_each() {
        let text = "\
=================================== FAILURES ===================================
_______________________________ GET /api/exports _______________________________
1. Test Case ID: a
2. Test Case ID: b
_______________________________ PUT /api/mapping _______________________________
1. Test Case ID: c
=================================== SUMMARY ====================================
API Operations:
  Selected: 22/22
  Tested: 22
";
        assert_eq!(
            read_outcome(text),
            Some(run::Counts {
                passed: 20,
                failed: 2
            })
        );
        assert_eq!(read_outcome("no summary"), None);
    }
}
