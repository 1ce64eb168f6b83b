//! The mapping screen as an admin uses it: opened from the connection panel, each change made in
//! its selects one at a time (each waits until the screen shows it took), saved, then back to the
//! preview.

use serde_json::json;
use srm_xero_tests::browser::Browser;
use srm_xero_tests::demo::org::DIVISIONS;

use super::HOST;

/// Opens the screen and waits until it lists the feed's SRM accounts.
pub async fn open(browser: &Browser) {
    browser
        .shadow_click(HOST, "section.connection button", "Mapping")
        .await;
    browser
        .wait_in_shadow(
            HOST,
            "the mapping screen listing the feed's accounts",
            "return root.querySelector('section.mapping table.map tr[data-account]') !== null;",
        )
        .await;
}

/// Chooses each division's tracking option (the default names them as the divisions: "1" and
/// "2" are not options in Xero; "Turkey Creek" is).
pub async fn track_divisions(browser: &Browser) {
    for (division, option) in DIVISIONS {
        let select = format!("select[aria-label=\"Tracking option for division {division}\"]");
        browser.shadow_set(HOST, &select, option).await;
        browser
            .wait_in_shadow(
                HOST,
                &format!("division {division} tracked as {option} without a warning"),
                &format!(
                    "const s = root.querySelector({select}); \
                     return s && s.value === {option} && !s.closest('td').querySelector('.inline-error');",
                    select = json!(select),
                    option = json!(option)
                ),
            )
            .await;
    }
}

/// Reads Xero's chart again, waits until the screen flags `srm`'s Xero account as archived in
/// `division`, and maps `srm` in that division to `xero`.
pub async fn remap_archived(browser: &Browser, srm: &str, division: &str, xero: &str) {
    browser
        .shadow_click(HOST, "section.mapping button", "Read Xero's chart again")
        .await;
    let row = format!("tr[data-account=\"{srm}\"][data-division=\"{division}\"]");
    browser
        .wait_in_shadow(
            HOST,
            &format!("the screen flagging SRM {srm}'s Xero account as archived"),
            &format!(
                "const e = root.querySelector({row} + ' .inline-error'); \
                 return e && e.textContent.includes('is archived');",
                row = json!(row)
            ),
        )
        .await;
    browser
        .shadow_set(
            HOST,
            &format!("select[name=\"map-{srm}-{division}\"]"),
            xero,
        )
        .await;
    browser
        .wait_in_shadow(
            HOST,
            &format!("SRM {srm} (division {division}) mapped to {xero} without a warning"),
            &format!(
                "const r = root.querySelector({row}); \
                 return r && r.querySelector('select').value === {xero} \
                   && !r.querySelector('.inline-error');",
                row = json!(row),
                xero = json!(xero)
            ),
        )
        .await;
}

/// Saves, waits until the screen shows the new version, and goes back to the preview.
pub async fn save_and_close(browser: &Browser) {
    const VERSION: &str = "const v = root.querySelector('section.mapping .row .muted'); \
                           return v ? v.textContent : null;";
    let before = browser
        .wait_in_shadow(HOST, "the mapping's version", VERSION)
        .await;
    browser
        .shadow_click(HOST, "button[name=save-mapping]", "Save mapping")
        .await;
    browser
        .wait_in_shadow(
            HOST,
            "the saved mapping's new version",
            &format!(
                "const v = root.querySelector('section.mapping .row .muted'); \
                 return v && v.textContent !== {before};",
            ),
        )
        .await;
    browser
        .shadow_click(HOST, "button[name=close-mapping]", "Back to the preview")
        .await;
    browser
        .wait_in_shadow(
            HOST,
            "the preview's controls",
            "return root.querySelector('button[name=preview]') !== null;",
        )
        .await;
}
