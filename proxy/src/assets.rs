//! The component's built assets (`dist/`) served at the proxy's root.
//!
//! Trunk names the component's script and wasm by their content's hash, so those are cached for
//! a year, immutably. `embed.js` keeps its name (SRM's page loads it by that name): it is
//! revalidated on every load (`no-cache`, answered `304` while unchanged) and carries the current
//! hashed names, read from `dist/index.html` once at start-up. A returning bookkeeper downloads
//! nothing but that revalidation until the next release.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::AppState;

/// `Cache-Control` of `embed.js` (the entry point SRM's page loads).
pub const ENTRY_CACHE: &str = "no-cache";
/// `Cache-Control` of a file whose name carries its content's hash.
pub const HASHED_CACHE: &str = "public, max-age=31536000, immutable";
/// `Cache-Control` of every other asset.
pub const ASSET_CACHE: &str = "public, max-age=300";

/// The entry point's name.
const ENTRY: &str = "embed.js";

/// The names `embed.js` is written with, before the hashed ones replace them.
const PLAIN_SCRIPT: &str = "srm-xero-frontend.js";
const PLAIN_WASM: &str = "srm-xero-frontend_bg.wasm";

/// The component's files as this build of `dist/` names them, read once at start-up.
#[derive(Debug, Default)]
pub struct Assets {
    /// `embed.js` with the current names in it, and its `ETag`.
    entry: Option<(Vec<u8>, String)>,
    /// Files named by their content's hash.
    hashed: BTreeSet<String>,
}

impl Assets {
    /// Reads `dist/index.html` for the hashed names and prepares `embed.js`. A `dist/` without
    /// them (not built yet, or built without hashes) is served as it is, with short caching.
    pub fn load(dist: &Path) -> Assets {
        let names = std::fs::read_to_string(dist.join("index.html"))
            .ok()
            .and_then(|page| hashed_names(&page));
        let entry = std::fs::read_to_string(dist.join(ENTRY)).ok().map(|text| {
            let text = match &names {
                Some((script, wasm)) => text
                    .replacen(&quoted(PLAIN_SCRIPT), &quoted(script), 1)
                    .replacen(&quoted(PLAIN_WASM), &quoted(wasm), 1),
                None => text,
            };
            let etag = etag(text.as_bytes());
            (text.into_bytes(), etag)
        });
        match (&names, &entry) {
            (Some((script, wasm)), Some(_)) => {
                tracing::info!(%script, %wasm, "the component's hashed assets");
            }
            (None, Some(_)) => tracing::warn!(
                "{} names no hashed assets: the component's files are served without long caching",
                dist.join("index.html").display()
            ),
            (_, None) => tracing::warn!("{} is missing", dist.join(ENTRY).display()),
        }
        Assets {
            entry,
            hashed: names.into_iter().flat_map(|(s, w)| [s, w]).collect(),
        }
    }
}

fn quoted(name: &str) -> String {
    format!("\"{name}\"")
}

/// A strong `ETag`: the first 96 bits of the body's SHA-256.
fn etag(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    format!("\"{}\"", URL_SAFE_NO_PAD.encode(&digest[..12]))
}

/// The script's and the wasm's names as Trunk's `index.html` links them
/// (`/srm-xero-frontend-<hash>.js`, `/srm-xero-frontend-<hash>_bg.wasm`), when both are hashed.
fn hashed_names(page: &str) -> Option<(String, String)> {
    let links: Vec<&str> = page
        .split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .map(|href| href.trim_start_matches("./").trim_start_matches('/'))
        .collect();
    let find = |suffix: &str| {
        links
            .iter()
            .find(|name| {
                name.strip_prefix("srm-xero-frontend-")
                    .and_then(|rest| rest.strip_suffix(suffix))
                    .is_some_and(|hash| {
                        !hash.is_empty() && hash.bytes().all(|b| b.is_ascii_hexdigit())
                    })
            })
            .map(|name| (*name).to_owned())
    };
    Some((find(".js")?, find("_bg.wasm")?))
}

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
pub async fn serve(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    let not_found = || (StatusCode::NOT_FOUND, "not found").into_response();
    let assets = state.assets();
    if uri.path() == format!("/{ENTRY}") {
        return match &assets.entry {
            Some((body, etag)) => entry(body, etag, &headers),
            None => not_found(),
        };
    }
    let Some(file) = resolve(state.dist_dir(), uri.path()) else {
        return not_found();
    };
    let Ok(bytes) = tokio::fs::read(&file).await else {
        return not_found();
    };
    let hashed = file
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| assets.hashed.contains(n));
    let cache = if hashed { HASHED_CACHE } else { ASSET_CACHE };
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

/// `embed.js`, or `304 Not Modified` when the browser's copy is current.
fn entry(body: &[u8], etag: &str, headers: &HeaderMap) -> Response {
    let tag = HeaderValue::from_str(etag).unwrap_or(HeaderValue::from_static("\"\""));
    let cache = HeaderValue::from_static(ENTRY_CACHE);
    let current = headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|candidate| {
            let candidate = candidate.trim();
            candidate == "*" || candidate.trim_start_matches("W/") == etag
        });
    if current {
        return (
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, tag), (header::CACHE_CONTROL, cache)],
        )
            .into_response();
    }
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, cache),
            (header::ETAG, tag),
        ],
        body.to_vec(),
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

    #[test]
    fn the_hashed_names_are_read_from_trunks_links() {
        let page = r#"<script type="module">import init from '/srm-xero-frontend-5b1e2d3c4a.js';</script>
            <link rel="modulepreload" href="/srm-xero-frontend-5b1e2d3c4a.js" crossorigin="anonymous">
            <link rel="preload" href="/srm-xero-frontend-5b1e2d3c4a_bg.wasm" as="fetch" type="application/wasm">"#;
        assert_eq!(
            hashed_names(page),
            Some((
                "srm-xero-frontend-5b1e2d3c4a.js".to_owned(),
                "srm-xero-frontend-5b1e2d3c4a_bg.wasm".to_owned()
            ))
        );
        let plain = r#"<link rel="modulepreload" href="/srm-xero-frontend.js"><link rel="preload" href="/srm-xero-frontend_bg.wasm">"#;
        assert_eq!(hashed_names(plain), None, "built without hashes");
        assert_eq!(hashed_names(""), None);
    }
}
