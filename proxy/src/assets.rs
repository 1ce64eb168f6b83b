//! The component's built assets (`dist/`: `embed.js`, `srm-xero-frontend.js`, the `.wasm`, …)
//! served at the proxy's root. Trunk builds them without content hashes, so nothing is cached
//! immutably: `embed.js` is revalidated on every load, the rest may be cached for a few minutes.

use std::path::{Component, Path, PathBuf};

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;

/// `Cache-Control` of `embed.js` (the entry point SRM's page loads).
pub const ENTRY_CACHE: &str = "no-cache";
/// `Cache-Control` of every other asset.
pub const ASSET_CACHE: &str = "public, max-age=300";

fn content_type(path: &Path) -> &'static str {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
    {
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "html" => "text/html; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The file under `root` that `path` names, refusing anything that climbs out.
fn resolve(root: &Path, path: &str) -> Option<PathBuf> {
    let relative = Path::new(path.trim_start_matches('/'));
    if relative.as_os_str().is_empty()
        || relative
            .components()
            .any(|c| !matches!(c, Component::Normal(_)))
    {
        return None;
    }
    Some(root.join(relative))
}

/// Serves one asset, or a plain 404.
pub async fn serve(State(state): State<AppState>, uri: Uri) -> Response {
    let not_found = || (StatusCode::NOT_FOUND, "not found").into_response();
    let Some(file) = resolve(state.dist_dir(), uri.path()) else {
        return not_found();
    };
    let Ok(bytes) = tokio::fs::read(&file).await else {
        return not_found();
    };
    let cache = if file.file_name().is_some_and(|n| n == "embed.js") {
        ENTRY_CACHE
    } else {
        ASSET_CACHE
    };
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static(content_type(&file)),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static(cache)),
        ],
        bytes,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_climb_out_of_the_folder_are_refused() {
        let root = Path::new("/srv/dist");
        assert_eq!(resolve(root, "/embed.js"), Some(root.join("embed.js")));
        assert_eq!(resolve(root, "/../secret"), None);
        assert_eq!(resolve(root, "/a/../../b"), None);
        assert_eq!(resolve(root, "/"), None);
        assert_eq!(content_type(Path::new("x_bg.wasm")), "application/wasm");
    }
}
