//! `cargo xtask demo`: builds the component (Trunk, release, the same tools and settings as the
//! test command), then runs the proxy's demo (`proxy/examples/demo.rs`: the proxy in demo mode,
//! the embedded Xero simulator and the demo SRM G/L feed). Ctrl-C stops everything.
//!
//! [`smoke`] is the test command's check that the demo starts on free loopback ports, serves its
//! host page and `/embed.js`, and stops cleanly on SIGINT.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Command, ExitCode, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::env::Env;
use crate::run;

/// The line prefix the demo prints with its URL.
const OPEN: &str = "srm-xero demo: open ";

/// The Trunk release build of the component into `dist/`.
pub fn trunk(env: &Env) -> Command {
    let mut trunk = env.command("trunk");
    // --offline: Trunk must use the tools on PATH and never download one (`cargo fetch` ran first).
    trunk
        .args(["build", "--release", "--locked", "--offline"])
        .env("TRUNK_SKIP_VERSION_CHECK", "true");
    trunk
}

fn demo_command(env: &Env, bind: &str) -> Command {
    let mut command = env.cargo();
    command.args([
        "run",
        "--quiet",
        "-p",
        "srm-xero-proxy",
        "--example",
        "demo",
        "--",
        "--bind",
        bind,
        "--dist",
    ]);
    command.arg(env.root.join("dist"));
    command.current_dir(&env.root);
    command
}

/// `cargo xtask demo`.
pub fn demo(env: &Env) -> ExitCode {
    if let Err(problem) = crate::install::everything(env) {
        eprintln!("\n✗ install failed: {problem}");
        return ExitCode::FAILURE;
    }
    for (what, command) in [
        ("fetch crates for the offline bundle build", {
            let mut c = env.cargo();
            c.args(["fetch", "--locked"]);
            c
        }),
        ("build the component (trunk build --release)", trunk(env)),
    ] {
        println!("── {what} ──");
        match run::plain(command) {
            Ok(status) if status.success() => {}
            Ok(status) => {
                eprintln!("✗ {what} failed: {status}");
                return ExitCode::FAILURE;
            }
            Err(error) => {
                eprintln!("✗ {what} could not start: {error}");
                return ExitCode::FAILURE;
            }
        }
    }
    println!("── the demo (Ctrl-C stops it) ──");
    match run::plain(demo_command(env, "127.0.0.1:8080")) {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        Ok(status) => {
            eprintln!("✗ the demo stopped: {status}");
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("✗ the demo could not start: {error}");
            ExitCode::FAILURE
        }
    }
}

/// One plain HTTP/1.1 GET: (status, body).
fn get(base: &str, path: &str) -> Result<(u16, String), String> {
    let host = base.trim_start_matches("http://").trim_end_matches('/');
    let mut stream = TcpStream::connect(host).map_err(|e| format!("connect {host}: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .map_err(|e| e.to_string())?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .map_err(|e| e.to_string())?;
    let mut answer = String::new();
    stream
        .read_to_string(&mut answer)
        .map_err(|e| format!("read {path}: {e}"))?;
    let status = answer
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("{path}: not an HTTP answer"))?;
    let body = answer
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

/// `cargo xtask demo-smoke`: starts the demo, fetches its page and `/embed.js`, stops it.
pub fn smoke(env: &Env) -> ExitCode {
    match smoke_inner(env) {
        Ok(()) => {
            println!("✓ demo smoke: host page and embed.js served, stopped cleanly");
            ExitCode::SUCCESS
        }
        Err(problem) => {
            eprintln!("✗ demo smoke: {problem}");
            ExitCode::FAILURE
        }
    }
}

fn smoke_inner(env: &Env) -> Result<(), String> {
    let build = {
        let mut c = env.cargo();
        c.args([
            "build",
            "--quiet",
            "-p",
            "srm-xero-proxy",
            "--example",
            "demo",
        ]);
        c
    };
    if !run::plain(build).map_err(|e| e.to_string())?.success() {
        return Err("the demo does not build".into());
    }
    let mut child = demo_command(env, "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("cannot start the demo: {e}"))?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            println!("  | {line}");
            if let Some(url) = line.strip_prefix(OPEN) {
                let _ = tx.send(url.split_whitespace().next().unwrap_or_default().to_owned());
            }
        }
    });
    let result = (|| {
        let url = rx
            .recv_timeout(Duration::from_mins(2))
            .map_err(|_| "the demo did not print its URL within 2 minutes".to_owned())?;
        let (status, page) = get(&url, "/")?;
        if status != 200 || !page.contains("<srm-xero-post-journals") || !page.contains("/embed.js")
        {
            return Err(format!(
                "the host page answered {status} without the component"
            ));
        }
        let (status, embed) = get(&url, "/embed.js")?;
        if status != 200 || embed.is_empty() {
            return Err(format!(
                "/embed.js answered {status} (is dist/embed.js built?)"
            ));
        }
        Ok(())
    })();
    // Ctrl-C, as a person would stop it.
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let status = child.wait().map_err(|e| e.to_string())?;
    result?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("the demo did not stop cleanly: {status}"))
    }
}
