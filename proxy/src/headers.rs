//! Security headers: `X-Content-Type-Options: nosniff` on every answer, and on the proxy's own
//! HTML pages a `Content-Security-Policy` (and `Referrer-Policy: no-referrer` where the URL
//! carries an OAuth code or attempt).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use tower_http::set_header::SetResponseHeaderLayer;

/// The mock SRM page of demo mode: the component's scripts and wasm from this origin only
/// (`wasm-unsafe-eval` lets the page compile the component's WebAssembly), its API calls and
/// event streams to this origin, inline styles (the page's and the component's shadow root),
/// nothing framed, no plugins, no forms.
pub const DEMO_PAGE_CSP: &str = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; \
    style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; \
    object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// `nosniff` on every answer.
pub fn nosniff() -> SetResponseHeaderLayer<HeaderValue> {
    SetResponseHeaderLayer::overriding(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    )
}

/// The policy of a page that runs exactly one inline script, the one carrying `nonce`.
pub fn script_page_csp(nonce: &str) -> String {
    format!(
        "default-src 'none'; script-src 'nonce-{nonce}'; style-src 'unsafe-inline'; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    )
}

/// An HTML page with its policy; `no_referrer` for pages whose URL must not travel on.
pub fn page(status: StatusCode, body: String, csp: &str, no_referrer: bool) -> Response {
    let mut response = (status, Html(body)).into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    if no_referrer {
        headers.insert(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        );
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_script_page_runs_only_its_own_script() {
        let csp = script_page_csp("abc");
        assert!(
            csp.starts_with("default-src 'none'; script-src 'nonce-abc';"),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-eval"));
        assert!(DEMO_PAGE_CSP.contains("script-src 'self' 'wasm-unsafe-eval'"));
    }
}
