//! The month-end check in Chromium: the unsynced-days banner on a fresh proxy, its one-click
//! preview posted, a journal voided in Xero by a person, and the Reconcile view showing exactly
//! that difference, with its journal, and its CSV.

use std::sync::Arc;

use srm_xero_tests::browser::Browser;
use srm_xero_tests::demo::org::ACME_TENANT_ID;

use super::demo::Demo;
use super::{HOST, mapping_screen, open_and_connect, post_only_valid, shown_export_number};

/// Catches the next CSV the page saves (the component hands it to `URL.createObjectURL`).
const CATCH_CSV: &str = "window.__csv = null; const made = URL.createObjectURL; \
    URL.createObjectURL = (blob) => { blob.text().then(t => { window.__csv = t; }); \
    return made.call(URL, blob); };";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsynced_days_are_posted_from_the_banner_and_a_void_in_xero_is_the_one_difference() {
    let demo = Arc::new(Demo::start().await);
    let d = Arc::clone(&demo);
    Browser::launch()
        .await
        .run("reconcile_scenario", move |browser| async move {
            let demo = d;
            open_and_connect(&browser, &demo).await;
            // Nothing is exported yet: the feed's recent days are unsynced.
            let banner = browser.shadow_text(HOST, "[data-testid=unsynced]").await;
            assert!(banner.contains("unsynced day"), "{banner}");
            browser
                .shadow_click(HOST, "button[name=preview-unsynced]", "Preview from")
                .await;
            browser
                .shadow_text(HOST, "[data-testid=journal-count]")
                .await;
            mapping_screen::open(&browser).await;
            mapping_screen::track_divisions(&browser).await;
            mapping_screen::save_and_close(&browser).await;
            post_only_valid(&browser).await;
            browser
                .shadow_click(HOST, "button[name=accept]", "Accept: post")
                .await;
            let number = shown_export_number(&browser).await;
            browser
                .wait_in_shadow(
                    HOST,
                    "every journal posted",
                    "const c = root.querySelector('[data-testid=counts]'); \
                     return c && c.textContent.includes(' 0 pending') \
                       && c.textContent.includes(' 0 failed');",
                )
                .await;

            // A person voids one of them in Xero.
            let voided = demo
                .sim
                .journals()
                .into_iter()
                .next()
                .expect("a posted journal");
            demo.sim
                .void_journal(ACME_TENANT_ID, &voided.manual_journal_id)
                .expect("voided in Xero");

            browser
                .shadow_click(HOST, "button[name=open-reconcile]", "Reconcile")
                .await;
            browser
                .shadow_click(HOST, "button[name=reconcile]", "Compare")
                .await;
            let summary = browser
                .wait_in_shadow(
                    HOST,
                    "the reconciliation with one difference",
                    "const s = root.querySelector('[data-testid=reconcile-summary]'); \
                     return s && s.textContent.includes('1 difference') ? s.textContent : null;",
                )
                .await;
            assert!(
                summary.as_str().unwrap().contains("totals agree"),
                "{summary}"
            );
            let difference = browser.shadow_text(HOST, "[data-testid=difference]").await;
            assert!(
                difference.contains(&format!("export #{number}"))
                    && difference.contains("voided")
                    && difference.contains("View in Xero"),
                "{difference}"
            );

            browser.client().execute(CATCH_CSV, vec![]).await.unwrap();
            browser
                .shadow_click(HOST, "button[name=reconcile-csv]", "Download CSV")
                .await;
            let deadline = std::time::Instant::now() + srm_xero_tests::browser::PATIENCE;
            let csv = loop {
                let caught = browser
                    .client()
                    .execute("return window.__csv;", vec![])
                    .await
                    .unwrap();
                if let Some(text) = caught.as_str() {
                    break text.to_owned();
                }
                assert!(std::time::Instant::now() < deadline, "no CSV was saved");
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            };
            assert!(
                csv.starts_with("date,account,tracking,srm,xero,difference,journals"),
                "{csv}"
            );
            let naming: Vec<&str> = csv
                .lines()
                .filter(|l| l.contains(&voided.manual_journal_id))
                .collect();
            assert!(
                !naming.is_empty() && naming.iter().all(|l| l.contains("voided")),
                "the voided journal's cells name it: {csv}"
            );
        })
        .await;
}
