//! Demo mode: a mock SRM "Backoffice > Daily Close > Post Xero Journals" page that embeds the
//! component exactly as SRM would (DESIGN.md's snippet), with a caller token minted for a demo
//! admin on every load. Only routed when the proxy runs with `--demo`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

use crate::AppState;
use crate::auth::{Claims, mint};
use crate::headers::{DEMO_PAGE_CSP, page as html_page};

/// The demo admin's SRM user id.
pub const DEMO_SUB: &str = "demo-admin";
/// The demo admin's name.
pub const DEMO_NAME: &str = "Dana Demo (admin)";
/// Where the demo G/L feed is, relative to the page.
pub const DEMO_FEED: &str = "/srm/api/gl-postings";
/// How long the demo page's caller token lasts.
const TOKEN_HOURS: i64 = 8;

/// A caller token for the demo admin (`xero:post xero:admin`), for this proxy (`aud`).
pub fn admin_token(state: &AppState) -> String {
    let now = state.now();
    let claims = Claims {
        sub: DEMO_SUB.into(),
        name: DEMO_NAME.into(),
        aud: state.public_url().to_owned(),
        iat: now.timestamp(),
        exp: (now + chrono::Duration::hours(TOKEN_HOURS)).timestamp(),
        nbf: None,
        scope: "xero:post xero:admin".into(),
    };
    mint(state.caller_secret(), &claims)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The host page.
pub fn host_page(proxy_url: &str, feed_url: &str, token: &str) -> String {
    let proxy = escape(proxy_url);
    let feed = escape(feed_url);
    let token = escape(token);
    format!(
        r##"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>SRM Backoffice · Daily Close · Post Xero Journals</title>
<style>
  body {{ margin: 0; font: 14px/1.4 Tahoma, Verdana, sans-serif; background: #e9edf2; color: #1f2a36; }}
  header {{ background: #23415f; color: #fff; padding: 8px 16px; display: flex; justify-content: space-between; align-items: center; }}
  header .brand {{ font-weight: bold; letter-spacing: .5px; }}
  header .user {{ font-size: 12px; opacity: .85; }}
  nav {{ background: #d5dde6; padding: 4px 16px; border-bottom: 1px solid #b7c3cf; font-size: 12px; }}
  nav a {{ color: #23415f; text-decoration: none; margin-right: 14px; }}
  .layout {{ display: flex; min-height: calc(100vh - 64px); }}
  aside {{ width: 200px; background: #f5f7fa; border-right: 1px solid #c9d3dd; padding: 12px 0; }}
  aside a {{ display: block; padding: 5px 16px; color: #23415f; text-decoration: none; font-size: 13px; }}
  aside a.current {{ background: #23415f; color: #fff; }}
  main {{ flex: 1; padding: 16px 20px; }}
  .crumbs {{ font-size: 12px; color: #5a6b7c; margin-bottom: 6px; }}
  h1 {{ font-size: 18px; margin: 0 0 12px; }}
  .panel {{ background: #fff; border: 1px solid #c9d3dd; padding: 12px; }}
  .demo-note {{ font-size: 12px; color: #5a6b7c; margin-top: 10px; }}
</style>
</head>
<body>
<header><span class="brand">SRM Backoffice</span><span class="user">Acme Equipment Rentals · {name}</span></header>
<nav><a href="#">Rentals</a><a href="#">Inventory</a><a href="#">Customers</a><a href="#">Backoffice</a><a href="#">Reports</a></nav>
<div class="layout">
<aside>
  <a href="#">Month End</a>
  <a href="#" class="current">Daily Close</a>
  <a href="#">G/L Accounts</a>
  <a href="#">Divisions</a>
  <a href="#">Export History</a>
</aside>
<main>
  <div class="crumbs">Backoffice &gt; Daily Close &gt; Post Xero Journals</div>
  <h1>Post Xero Journals</h1>
  <div class="panel">
<script type="module" src="{proxy}/embed.js"></script>
<srm-xero-post-journals
    proxy-url="{proxy}"
    gl-feed-url="{feed}"
    caller-token="{token}"></srm-xero-post-journals>
  </div>
  <p class="demo-note">Demo: a simulated Xero (the consent page lists the demo organisations) and a generated SRM G/L feed. Nothing leaves this machine.</p>
</main>
</div>
</body>
</html>
"##,
        name = escape(DEMO_NAME),
    )
}

/// `GET /` in demo mode, with its Content-Security-Policy.
pub async fn page(State(state): State<AppState>) -> Response {
    let token = admin_token(&state);
    html_page(
        StatusCode::OK,
        host_page(state.public_url(), DEMO_FEED, &token),
        DEMO_PAGE_CSP,
        false,
    )
}
