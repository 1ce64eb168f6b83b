//! The proxy's process: it caps glibc's malloc arenas by starting itself again (same pid) with
//! `MALLOC_ARENA_MAX=2`, unless the operator chose a value.

#![cfg(all(target_os = "linux", target_env = "gnu"))]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

/// The proxy's binary serving with good settings; `MALLOC_ARENA_MAX` as the environment of its
/// process says once it listens.
fn arenas_when_started_with(arena_max: Option<&str>) -> Option<String> {
    let data = tempfile::tempdir().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_srm-xero-proxy"));
    for (key, _) in std::env::vars() {
        if key.starts_with("SRM_XERO_") || key.starts_with("XERO_") || key == "MALLOC_ARENA_MAX" {
            command.env_remove(key);
        }
    }
    if let Some(value) = arena_max {
        command.env("MALLOC_ARENA_MAX", value);
    }
    let mut child = command
        .envs([
            ("SRM_XERO_BIND", "127.0.0.1:0"),
            ("SRM_XERO_DATA_DIR", data.path().to_str().unwrap()),
            ("SRM_XERO_CALLER_SECRET", "0123456789abcdef0123456789abcdef"),
            (
                "SRM_XERO_TOKEN_KEY",
                "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
            ),
            ("XERO_CLIENT_ID", "client"),
            ("XERO_CLIENT_SECRET", "a-client-secret-value"),
            ("XERO_LOGIN_URL", "http://127.0.0.1:9"),
            ("XERO_IDENTITY_URL", "http://127.0.0.1:9"),
            ("XERO_API_URL", "http://127.0.0.1:9"),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let listening = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .any(|line| line.contains("listening on"));
    let environ = std::fs::read(format!("/proc/{}/environ", child.id())).unwrap();
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(listening, "the proxy did not start");
    environ
        .split(|b| *b == 0)
        .filter_map(|entry| std::str::from_utf8(entry).ok())
        .find_map(|entry| entry.strip_prefix("MALLOC_ARENA_MAX="))
        .map(str::to_owned)
}

#[test]
fn the_proxy_runs_with_two_malloc_arenas_unless_the_operator_chose() {
    assert_eq!(arenas_when_started_with(None).as_deref(), Some("2"));
    assert_eq!(arenas_when_started_with(Some("6")).as_deref(), Some("6"));
}
