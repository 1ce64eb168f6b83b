//! Step 7: a page reload in the middle of a large export. Xero holds one call (the simulator's
//! `Hold` fault) while the others post, so the export is still running, at a known point, when
//! the page reloads; the pop-up must come back by itself with the same export and progress, the
//! reloaded page must have downloaded nothing of the component but `embed.js`'s revalidation, and
//! once the held call is answered everything is in Xero exactly once.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::Value;
use srm_xero_tests::browser::{Browser, PATIENCE};
use srm_xero_tests::demo::org::{ACME_TENANT_ID, demo_lock_date};
use srm_xero_tests::sim::{Fault, FaultKind};

use super::demo::Demo;
use super::{HOST, assert_each_once_in_xero, post_only_valid, shown_export_number};

/// Journals per call to Xero: more than two calls' worth makes the export "large".
const PER_CALL: usize = 50;

/// The counts line of the pop-up once it shows `posted` created and `pending` left.
async fn wait_counts(browser: &Browser, what: &str, number: u64, posted: u64, pending: u64) {
    browser
        .wait_in_shadow(
            HOST,
            what,
            &format!(
                "const head = [...root.querySelectorAll('.dialog-head')] \
                   .some(e => e.textContent.includes('Export Transaction #{number}')); \
                 const c = root.querySelector('[data-testid=counts]'); \
                 return head && c && c.textContent.includes(' {posted} posted') \
                   && c.textContent.includes(' {pending} pending');"
            ),
        )
        .await;
}

/// Waits until every call but the held one is answered and recorded, and returns the export's
/// progress then: Xero stores what it answered, the held call's journals are all that is left,
/// and the proxy counts as posted exactly what Xero stored.
async fn wait_only_held_left(demo: &Demo, number: u64, accepted: u64) -> Value {
    let tag = format!("export {number} ");
    let deadline = Instant::now() + PATIENCE;
    loop {
        let progress = demo
            .call(
                Method::GET,
                &format!("/api/exports/{number}/progress"),
                None,
            )
            .await;
        let counts = &progress["counts"];
        let stored = demo
            .sim
            .journals()
            .iter()
            .filter(|j| j.narration.contains(&tag))
            .count() as u64;
        let posting = counts["posting"].as_u64().unwrap_or(0);
        let settled = demo.sim.in_flight(ACME_TENANT_ID) == 1
            && counts["pending"] == 0
            && posting > 0
            && counts["posted"].as_u64() == Some(stored)
            && stored + posting == accepted;
        if settled {
            return progress;
        }
        assert!(
            Instant::now() < deadline,
            "the export never came down to the held call: {progress}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The reloaded page's requests for the component's files: the hashed script and wasm came from
/// the browser's cache (nothing transferred), and `embed.js` was only revalidated: a 304's
/// headers crossed the network, not its body (Chromium reports the cached 200 as its status).
async fn came_from_the_cache(browser: &Browser) {
    let loads = browser
        .client()
        .execute(
            "return performance.getEntriesByType('resource') \
               .filter(e => /\\/(embed\\.js|srm-xero-frontend[^/]*)$/.test(e.name)) \
               .map(e => [e.name.split('/').pop(), e.transferSize, e.encodedBodySize]);",
            vec![],
        )
        .await
        .unwrap();
    let loads: Vec<(String, u64, u64)> =
        serde_json::from_value(loads.clone()).unwrap_or_else(|e| panic!("{e}: {loads}"));
    let shown = format!("{loads:?}");
    let hashed: Vec<&(String, u64, u64)> = loads
        .iter()
        .filter(|(name, _, _)| name.starts_with("srm-xero-frontend-"))
        .collect();
    assert_eq!(hashed.len(), 2, "the hashed script and wasm: {shown}");
    for (name, transferred, _) in hashed {
        assert_eq!(*transferred, 0, "{name} came from the cache: {shown}");
    }
    assert!(
        loads
            .iter()
            .any(|(name, transferred, body)| name == "embed.js"
                && (1..*body).contains(transferred)),
        "embed.js was revalidated, not downloaded again: {shown}"
    );
}

pub async fn reload_in_the_middle(browser: &Browser, demo: &Demo) {
    // Whatever pop-up the earlier steps left open is closed first.
    browser
        .in_shadow(
            HOST,
            "const b = root && root.querySelector('.dialog-head button.close'); \
             if (b) b.click(); return true;",
        )
        .await;
    let from = demo_lock_date(demo.today) + chrono::Duration::days(1);
    browser
        .shadow_set(HOST, "input[name=sync-from]", &from.to_string())
        .await;
    browser
        .shadow_click(HOST, "button[name=preview]", "Preview")
        .await;
    post_only_valid(browser).await;
    let label = browser
        .wait_in_shadow(
            HOST,
            "Accept offering more than two calls' worth of journals",
            &format!(
                "const b = root.querySelector('button[name=accept]'); \
                 if (!b || b.disabled) return null; \
                 const n = parseInt((b.textContent.match(/post (\\d+) journal/) || [])[1] || '0'); \
                 return n > {} ? n : null;",
                2 * PER_CALL
            ),
        )
        .await;
    let accepted = label.as_u64().unwrap();
    demo.sim.inject(Fault::next(1, FaultKind::Hold).only("PUT"));
    browser
        .shadow_click(
            HOST,
            "button[name=accept]",
            &format!("Accept: post {accepted} journals"),
        )
        .await;
    let number = shown_export_number(browser).await;
    let progress = wait_only_held_left(demo, number, accepted).await;
    let held = progress["counts"]["posting"].as_u64().unwrap();
    let posted = progress["counts"]["posted"].as_u64().unwrap();
    wait_counts(
        browser,
        "the pop-up showing the export running",
        number,
        posted,
        held,
    )
    .await;

    browser.reload().await;
    wait_counts(
        browser,
        "the pop-up back after the reload, at the same point",
        number,
        posted,
        held,
    )
    .await;
    assert!(
        browser
            .in_shadow(
                HOST,
                "return root.querySelector('.progress-block').textContent.includes('Posting to Xero');"
            )
            .await
            == Value::Bool(true),
        "the export is still running after the reload"
    );
    came_from_the_cache(browser).await;

    demo.sim.release_held();
    wait_counts(browser, "the export completing", number, accepted, 0).await;
    let detail = demo
        .call(Method::GET, &format!("/api/exports/{number}"), None)
        .await;
    assert_eq!(detail["summary"]["status"], "exported", "{detail}");
    assert_each_once_in_xero(demo).await;
}
