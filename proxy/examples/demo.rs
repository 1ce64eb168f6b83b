//! The demo: the proxy in demo mode with the Xero simulator embedded on its own loopback port (the
//! demo organisations; "Allow access" on its consent page) and the demo SRM G/L feed mounted at
//! `/srm/api/gl-postings` beside the mock SRM Daily Close page. Secrets are generated for the run;
//! the database lives in a temporary folder removed at exit. `cargo xtask demo` builds the
//! component and runs this. Usage: `demo [--bind ADDR] [--sim-bind ADDR] [--dist DIR]`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::Parser as _;
use srm_xero_proxy::config::{Args, Config};
use srm_xero_tests::demo::feed;
use srm_xero_tests::demo::gl::GlConfig;
use srm_xero_tests::sim::{AppRegistration, Simulator};

struct DemoArgs {
    bind: SocketAddr,
    sim_bind: SocketAddr,
    dist: PathBuf,
}

fn parse() -> Result<DemoArgs, String> {
    let mut out = DemoArgs {
        bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
        sim_bind: SocketAddr::from(([127, 0, 0, 1], 0)),
        dist: PathBuf::from("dist"),
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--bind" => out.bind = value.parse().map_err(|e| format!("--bind: {e}"))?,
            "--sim-bind" => out.sim_bind = value.parse().map_err(|e| format!("--sim-bind: {e}"))?,
            "--dist" => out.dist = PathBuf::from(value),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(out)
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("demo: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let args = parse()?;
    let data = tempfile::Builder::new()
        .prefix("srm-xero-demo-")
        .tempdir()
        .map_err(|e| format!("cannot create the data folder: {e}"))?;
    // Bind first: the simulator's app registration needs the proxy's redirect URI.
    let listener = tokio::net::TcpListener::bind(args.bind)
        .await
        .map_err(|e| format!("cannot listen on {}: {e}", args.bind))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let public = format!("http://{addr}");

    let mut config = Config::from_args(Args::parse_from(["srm-xero-proxy", "--demo"]))
        .map_err(|e| e.to_string())?;
    let sim = Simulator::new()
        .app(AppRegistration {
            client_id: config.xero.client_id.clone(),
            client_secret: secrecy::ExposeSecret::expose_secret(&config.xero.client_secret)
                .to_owned(),
            redirect_uris: vec![format!("{public}/auth/xero/callback")],
            ..AppRegistration::default()
        })
        .demo_feed(None)
        .start_on(args.sim_bind)
        .await
        .map_err(|e| format!("cannot start the simulator on {}: {e}", args.sim_bind))?;
    let urls = sim.urls();
    config.bind = addr;
    config.data_dir = data.path().to_path_buf();
    config.dist_dir = args.dist;
    config.xero.login_url = urls.login;
    config.xero.identity_url = urls.identity;
    config.xero.api_url = urls.api;

    let today = chrono::Utc::now().date_naive();
    let options = srm_xero_proxy::Options {
        extra_routes: feed::router(GlConfig::demo(20_190_819, today)),
        clock: Arc::new(chrono::Utc::now),
        ..srm_xero_proxy::Options::default()
    };
    let app = srm_xero_proxy::serve_on(listener, config, options).map_err(|e| e.to_string())?;
    println!("srm-xero demo: simulated Xero on http://{}", sim.addr());
    println!("srm-xero demo: open {public}/  (Ctrl-C stops everything)");
    let _ = tokio::signal::ctrl_c().await;
    println!("srm-xero demo: stopping");
    app.shutdown().await.map_err(|e| e.to_string())?;
    drop(sim);
    drop(data);
    Ok(())
}
