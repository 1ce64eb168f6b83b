//! The component's assets, the OpenAPI document and the demo page.

mod common;

use common::spawn_app;
use reqwest::StatusCode;

#[tokio::test]
async fn assets_are_served_with_their_types_and_cache_headers() {
    let app = spawn_app().await;
    let get = |path: &str| app.http.get(app.url(path)).send();
    let embed = get("/embed.js").await.unwrap();
    assert_eq!(embed.status(), StatusCode::OK);
    assert_eq!(
        embed.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    assert_eq!(embed.headers()["cache-control"], "no-cache");
    assert!(
        embed
            .text()
            .await
            .unwrap()
            .contains("srm-xero-post-journals")
    );
    let wasm = get("/srm-xero-frontend_bg.wasm").await.unwrap();
    assert_eq!(wasm.headers()["content-type"], "application/wasm");
    assert_eq!(wasm.headers()["cache-control"], "public, max-age=300");
    assert_eq!(wasm.bytes().await.unwrap().as_ref(), b"\0asm\x01\0\0\0");
    assert_eq!(
        get("/missing.js").await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        get("/%2e%2e/Cargo.toml").await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    // Outside demo mode there is no host page.
    assert_eq!(get("/").await.unwrap().status(), StatusCode::NOT_FOUND);
}

/// A release build's `dist/`: Trunk's page linking the hashed files, and the real `embed.js`.
fn release_build(dist: &std::path::Path, hash: &str) {
    let page = format!(
        r#"<link rel="modulepreload" href="/srm-xero-frontend-{hash}.js" crossorigin="anonymous"><link rel="preload" href="/srm-xero-frontend-{hash}_bg.wasm" as="fetch" type="application/wasm">"#
    );
    std::fs::write(dist.join("index.html"), page).unwrap();
    std::fs::write(
        dist.join("embed.js"),
        include_str!("../../frontend/embed.js"),
    )
    .unwrap();
    std::fs::write(
        dist.join(format!("srm-xero-frontend-{hash}.js")),
        "export default function init() {}",
    )
    .unwrap();
    std::fs::write(
        dist.join(format!("srm-xero-frontend-{hash}_bg.wasm")),
        b"\0asm\x01\0\0\0",
    )
    .unwrap();
}

/// `GET /embed.js` as a browser asks again for the copy it holds.
async fn revalidate(app: &common::TestApp, etag: &str) -> reqwest::Response {
    app.http
        .get(app.url("/embed.js"))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_returning_page_revalidates_embed_js_and_keeps_the_hashed_files() {
    let mut app = spawn_app().await;
    release_build(app.dist.path(), "0a1b2c3d4e5f6789");
    app.restart().await;
    let get = |path: &str| app.http.get(app.url(path)).send();

    // embed.js keeps its name, is revalidated on every load, and names the current files.
    let embed = get("/embed.js").await.unwrap();
    assert_eq!(embed.status(), StatusCode::OK);
    assert_eq!(embed.headers()["cache-control"], "no-cache");
    let etag = embed.headers()["etag"].to_str().unwrap().to_owned();
    let text = embed.text().await.unwrap();
    assert!(
        text.contains(r#"const SCRIPT = "srm-xero-frontend-0a1b2c3d4e5f6789.js";"#),
        "{text}"
    );
    assert!(
        text.contains(r#"const WASM = "srm-xero-frontend-0a1b2c3d4e5f6789_bg.wasm";"#),
        "{text}"
    );
    assert!(!text.contains(r#""srm-xero-frontend.js""#));

    // The returning page's revalidation: nothing but headers.
    let again = revalidate(&app, &etag).await;
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(again.headers()["etag"], etag.as_str());
    assert!(again.bytes().await.unwrap().is_empty());

    // The hashed files are cached for a year, as they are.
    for (name, kind) in [
        (
            "srm-xero-frontend-0a1b2c3d4e5f6789.js",
            "text/javascript; charset=utf-8",
        ),
        (
            "srm-xero-frontend-0a1b2c3d4e5f6789_bg.wasm",
            "application/wasm",
        ),
    ] {
        let answer = get(&format!("/{name}")).await.unwrap();
        assert_eq!(answer.status(), StatusCode::OK, "{name}");
        assert_eq!(answer.headers()["content-type"], kind);
        assert_eq!(
            answer.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
    }
    // Anything else is not immutable.
    let page = get("/index.html").await.unwrap();
    assert_eq!(page.headers()["cache-control"], "public, max-age=300");

    // A new release: embed.js changes (a new ETag, the new names), and the old tag no longer
    // matches.
    release_build(app.dist.path(), "fedcba9876543210");
    app.restart().await;
    let next = revalidate(&app, &etag).await;
    assert_eq!(next.status(), StatusCode::OK);
    assert_ne!(next.headers()["etag"], etag.as_str());
    assert!(
        next.text()
            .await
            .unwrap()
            .contains("srm-xero-frontend-fedcba9876543210_bg.wasm")
    );
}

async fn openapi_document(app: &common::TestApp) -> serde_json::Value {
    let answer = app
        .http
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    answer.json().await.unwrap()
}

#[tokio::test]
async fn the_openapi_document_lists_every_route() {
    let app = spawn_app().await;
    let doc = openapi_document(&app).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/health", "get"),
        ("/api/connection", "get"),
        ("/api/connection", "delete"),
        ("/api/connection/start", "post"),
        ("/api/connection/organisation", "post"),
        ("/auth/xero/start", "get"),
        ("/auth/xero/callback", "get"),
        ("/api/stream-tickets", "post"),
        ("/api/exports/{n}/events", "get"),
        ("/api/reference", "get"),
        ("/api/reference/refresh", "post"),
        ("/api/mapping", "get"),
        ("/api/mapping", "put"),
        ("/api/mapping/history", "get"),
        ("/api/openapi.json", "get"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} undocumented"
        );
    }
    assert!(doc["components"]["securitySchemes"]["caller_token"].is_object());
}

#[tokio::test]
async fn every_api_operation_lists_the_answers_its_extractors_and_layers_give() {
    let app = spawn_app().await;
    let doc = openapi_document(&app).await;
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/api/") || path == "/api/openapi.json" {
            continue;
        }
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            let has = |status: &str| responses.contains_key(status);
            let what = format!("{method} {path}");
            assert!(has("500"), "{what}");
            if operation.get("security").is_some() {
                for status in ["401", "403", "429", "503"] {
                    assert!(has(status), "{what} lacks {status}");
                }
                assert!(
                    responses["429"]["headers"]["Retry-After"].is_object(),
                    "{what}"
                );
            } else {
                assert_eq!(
                    path, "/api/exports/{n}/events",
                    "only the stream is ticketed"
                );
                assert!(has("401") && has("429"), "{what}");
            }
            if operation.get("parameters").is_some() {
                assert!(has("400"), "{what}");
            }
            if operation.get("requestBody").is_some() {
                for status in ["400", "413", "422"] {
                    assert!(has(status), "{what} lacks {status}");
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 18, "{checked} operations");
}

#[tokio::test]
async fn the_openapi_document_types_every_body_with_the_shared_api_types() {
    let app = spawn_app().await;
    let doc = openapi_document(&app).await;
    let schema_ref = |pointer: &str| {
        doc.pointer(pointer)
            .and_then(|v| v.get("$ref").or_else(|| v.pointer("/items/$ref")))
            .and_then(serde_json::Value::as_str)
            .unwrap_or_else(|| panic!("{pointer} has no schema reference"))
            .to_owned()
    };
    let json = "content/application~1json/schema";
    assert_eq!(
        schema_ref(&format!(
            "/paths/~1api~1drafts~1{{draft}}~1postings/post/requestBody/{json}"
        )),
        "#/components/schemas/DraftPiece"
    );
    assert_eq!(
        schema_ref(&format!(
            "/paths/~1api~1exports~1{{n}}/get/responses/200/{json}"
        )),
        "#/components/schemas/ExportDetail"
    );
    assert_eq!(
        schema_ref(&format!("/paths/~1api~1mapping/put/responses/422/{json}")),
        "#/components/schemas/ApiError"
    );
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "NewDraft",
        "DraftPiece",
        "DraftAccept",
        "JournalRow",
        "Posting",
        "PlannedJournal",
        "Problem",
        "MappingSettings",
        "ReferenceData",
        "Money",
        "JournalKey",
    ] {
        assert!(schemas.contains_key(name), "schema {name} missing");
    }
    // Amounts are numbers, not strings, in the document as on the wire.
    assert_eq!(schemas["Money"]["type"], "number");
}

#[test]
fn the_demo_page_embeds_the_component_with_the_design_snippet() {
    let page =
        srm_xero_proxy::demo::host_page("http://127.0.0.1:9", "/srm/api/gl-postings", "a.b.c");
    assert!(page.contains(r#"<script type="module" src="http://127.0.0.1:9/embed.js"></script>"#));
    assert!(page.contains("<srm-xero-post-journals\n    proxy-url=\"http://127.0.0.1:9\"\n    gl-feed-url=\"/srm/api/gl-postings\"\n    caller-token=\"a.b.c\"></srm-xero-post-journals>"));
    assert!(page.contains("Backoffice &gt; Daily Close &gt; Post Xero Journals"));
}
