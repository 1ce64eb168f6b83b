//! Reference data cached and re-read with If-Modified-Since; mapping settings validated, saved
//! with who and when, and versioned.

mod common;

use common::{ADMIN_NAME, spawn_app};
use reqwest::{Method, StatusCode};
use serde_json::json;
use srm_xero_tests::demo::org::{ACME_TENANT_ID, codes};

fn xero_reads(app: &common::TestApp) -> Vec<srm_xero_tests::sim::RecordedCall> {
    app.sim
        .calls()
        .into_iter()
        .filter(|c| c.path.starts_with("/api.xro/2.0/"))
        .collect()
}

/// `PUT /api/mapping` as the admin.
async fn put_mapping(
    app: &common::TestApp,
    settings: &serde_json::Value,
    version: u64,
) -> (StatusCode, serde_json::Value) {
    app.call(
        Method::PUT,
        "/api/mapping",
        &app.admin(),
        Some(json!({"settings": settings, "version": version})),
    )
    .await
}

#[tokio::test]
async fn reference_data_is_cached_and_re_read_with_if_modified_since() {
    let app = spawn_app().await;
    app.connect_to(ACME_TENANT_ID).await;
    let (code, first) = app.get("/api/reference", &app.clerk()).await;
    assert_eq!(code, StatusCode::OK, "{first}");
    let accounts = first["reference"]["accounts"].as_array().unwrap();
    assert!(accounts.iter().any(|a| a["Code"] == codes::RENTAL));
    let categories = first["reference"]["tracking_categories"]
        .as_array()
        .unwrap();
    assert!(
        categories.iter().any(|c| c["Name"] == "Division"),
        "{categories:?}"
    );
    let reads = xero_reads(&app);
    assert_eq!(reads.len(), 4);
    assert!(
        reads
            .iter()
            .all(|c| c.header("if-modified-since").is_none())
    );

    // Cached: no new calls.
    let (code, again) = app.get("/api/reference", &app.clerk()).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(again, first);
    assert_eq!(xero_reads(&app).len(), 4);

    // Xero changes; a refresh re-reads everything with If-Modified-Since and sees the change.
    app.advance_minutes(5);
    let lock = app.now().date_naive() - chrono::Duration::days(3);
    app.sim.update_org(ACME_TENANT_ID, |org| {
        org.period_lock_date = Some(lock);
        let now = chrono::Utc::now().max(org.modified);
        if let Some(a) = org.accounts.iter_mut().find(|a| a.code == codes::DELIVERY) {
            a.name = "Delivery & Pickup".into();
            a.updated = now;
        }
    });
    let (code, refreshed) = app
        .call(Method::POST, "/api/reference/refresh", &app.clerk(), None)
        .await;
    assert_eq!(code, StatusCode::OK, "{refreshed}");
    let reads = xero_reads(&app);
    assert_eq!(reads.len(), 8);
    assert!(
        reads[4..]
            .iter()
            .all(|c| c.header("if-modified-since").is_some()),
        "{reads:?}"
    );
    let refreshed_accounts = refreshed["reference"]["accounts"].as_array().unwrap();
    assert_eq!(refreshed_accounts.len(), accounts.len());
    assert!(
        refreshed_accounts
            .iter()
            .any(|a| a["Name"] == "Delivery & Pickup")
    );
    let snapshot: srm_xero_shared::api::ReferenceSnapshot =
        serde_json::from_str(&refreshed.to_string()).unwrap();
    assert_eq!(snapshot.reference.organisation.period_lock_date, Some(lock));

    // Nothing changed since: cheap answers, same data.
    app.advance_minutes(5);
    let (code, unchanged) = app
        .call(Method::POST, "/api/reference/refresh", &app.clerk(), None)
        .await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(unchanged["reference"], refreshed["reference"]);
}

#[tokio::test]
async fn mapping_settings_validate_save_and_record_who_changed_them() {
    let app = spawn_app().await;
    app.connect_to(ACME_TENANT_ID).await;
    let (code, doc) = app.get("/api/mapping", &app.clerk()).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(doc["version"], 0);
    assert!(doc["updated_by"].is_null());

    let mut settings = doc["settings"].clone();
    settings["accounts"] = json!([{"srm_account": "4000", "xero_code": "9876"}]);
    settings["tracking"]["division"]["options"] = json!({"1": "Vancouver", "9": "Atlantis"});
    let (code, body) = put_mapping(&app, &settings, 0).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains("9876") && message.contains("Atlantis"),
        "{message}"
    );
    assert!(!message.contains("Vancouver"), "{message}");

    settings["accounts"] = json!([{"srm_account": "4000", "xero_code": codes::SALES}]);
    settings["tracking"]["division"]["options"] = json!({"1": "Vancouver", "2": "Calgary"});
    let (code, saved) = put_mapping(&app, &settings, 0).await;
    assert_eq!(code, StatusCode::OK, "{saved}");
    assert_eq!(saved["version"], 1);
    assert_eq!(saved["updated_by"], ADMIN_NAME);
    assert_eq!(saved["settings"]["accounts"][0]["xero_code"], codes::SALES);

    let (code, read) = app.get("/api/mapping", &app.clerk()).await;
    assert_eq!(code, StatusCode::OK);
    assert_eq!(read, saved);

    // A change from a stale version is refused.
    let (code, body) = put_mapping(&app, &settings, 0).await;
    assert_eq!(code, StatusCode::CONFLICT, "{body}");

    // Settings that cannot work on their own are refused before Xero is asked.
    settings["narration_template"] = json!("SRM {date}");
    let (code, body) = put_mapping(&app, &settings, 1).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["message"].as_str().unwrap().contains("{key}"));
    // Text from SRM after the key would hide which "key" is the journal's own.
    settings["narration_template"] = json!("SRM key {key} · {group}");
    let (code, body) = put_mapping(&app, &settings, 1).await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        body["message"],
        "in the narration template, {group} must come before \"key {key}\": text from SRM may only precede the key"
    );

    let (code, history) = app.get("/api/mapping/history", &app.clerk()).await;
    assert_eq!(code, StatusCode::OK);
    let history = history.as_array().unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["changed_by"], ADMIN_NAME);
    assert_eq!(history[0]["version"], 1);
    assert!(history[0]["changed_at"].is_string());
}

#[tokio::test]
async fn the_mapping_cannot_change_before_xero_is_connected() {
    let app = spawn_app().await;
    let (code, body) = put_mapping(&app, &json!({}), 0).await;
    assert_eq!(code, StatusCode::CONFLICT, "{body}");
    assert!(body["message"].as_str().unwrap().contains("connect"));
}
