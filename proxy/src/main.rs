//! `srm-xero-proxy`: reads its settings, serves until Ctrl-C. `--help` lists every setting.

use std::process::ExitCode;

use srm_xero_proxy::config::Config;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    srm_xero_proxy::process::cap_malloc_arenas();
    match srm_xero_proxy::process::runtime() {
        Ok(runtime) => runtime.block_on(serve()),
        Err(error) => {
            eprintln!("srm-xero-proxy: cannot start the async runtime: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn serve() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .init();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(error) => {
            eprintln!("srm-xero-proxy: {error}");
            return ExitCode::from(2);
        }
    };
    let demo = config.demo;
    let app = match srm_xero_proxy::build(config).await {
        Ok(app) => app,
        Err(error) => {
            eprintln!("srm-xero-proxy: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!("srm-xero-proxy listening on {}", app.url());
    if demo {
        println!("demo mode: open {}/", app.url());
    }
    // If the signal handler cannot be installed, serve until killed.
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
    match app.shutdown().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("srm-xero-proxy: serving stopped: {error}");
            ExitCode::FAILURE
        }
    }
}
