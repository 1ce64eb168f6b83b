//! `srm-xero-proxy`: reads its settings, listens, and serves [`srm_xero_proxy::router`] until Ctrl-C.

use std::process::ExitCode;

use srm_xero_proxy::config::{self, BIND_VAR};

#[tokio::main]
async fn main() -> ExitCode {
    let bind = match config::bind_address_from_env() {
        Ok(bind) => bind,
        Err(error) => {
            eprintln!("srm-xero-proxy: {error}");
            return ExitCode::FAILURE;
        }
    };
    let listener = match tokio::net::TcpListener::bind(bind).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("srm-xero-proxy: {BIND_VAR}: cannot listen on {bind}: {error}");
            return ExitCode::FAILURE;
        }
    };
    println!("srm-xero-proxy listening on http://{bind}");
    let stopped = async {
        // If the signal handler cannot be installed, serve until killed.
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    match axum::serve(listener, srm_xero_proxy::router())
        .with_graceful_shutdown(stopped)
        .await
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("srm-xero-proxy: serving stopped: {error}");
            ExitCode::FAILURE
        }
    }
}
