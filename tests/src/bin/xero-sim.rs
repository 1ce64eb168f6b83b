//! Runs the Xero simulator with the demo organisations, the demo SRM feed and the `/_sim` admin
//! endpoints. Usage:
//! `xero-sim [--bind 127.0.0.1:4010] [--auto-approve] [--client-id ID] [--client-secret S]
//!  [--redirect-uri URI]... [--broad-scopes]`

use std::net::SocketAddr;

use srm_xero_tests::sim::{AppRegistration, Simulator};

fn main() -> std::process::ExitCode {
    let mut bind: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 4010));
    let mut app = AppRegistration::default();
    let mut auto_approve = false;
    let mut redirects = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        let result: Result<(), String> = match arg.as_str() {
            "--bind" => value("--bind").and_then(|v| {
                v.parse()
                    .map(|a| bind = a)
                    .map_err(|e| format!("--bind: {e}"))
            }),
            "--auto-approve" => {
                auto_approve = true;
                Ok(())
            }
            "--client-id" => value("--client-id").map(|v| app.client_id = v),
            "--client-secret" => value("--client-secret").map(|v| app.client_secret = v),
            "--redirect-uri" => value("--redirect-uri").map(|v| redirects.push(v)),
            "--broad-scopes" => {
                app = app.clone().with_broad_scopes();
                Ok(())
            }
            other => Err(format!("unknown argument {other}")),
        };
        if let Err(message) = result {
            eprintln!("xero-sim: {message}");
            return std::process::ExitCode::from(2);
        }
    }
    if !redirects.is_empty() {
        app.redirect_uris = redirects;
    }
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("xero-sim: cannot start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    runtime.block_on(async move {
        let sim = Simulator::new().app(app).auto_approve(auto_approve);
        let handle = match sim.start_on(bind).await {
            Ok(h) => h,
            Err(e) => {
                eprintln!("xero-sim: cannot bind {bind}: {e}");
                return std::process::ExitCode::FAILURE;
            }
        };
        let urls = handle.urls();
        // The client secret is deliberately not printed.
        println!("xero-sim listening on http://{}", handle.addr());
        println!(
            "  XERO_LOGIN_URL={}  XERO_IDENTITY_URL={}  XERO_API_URL={}",
            urls.login, urls.identity, urls.api
        );
        println!("  client id: {}", handle.app().client_id);
        println!("  demo SRM feed: {}", urls.gl_feed);
        let _ = tokio::signal::ctrl_c().await;
        std::process::ExitCode::SUCCESS
    })
}
