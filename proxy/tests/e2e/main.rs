//! End to end in a real headless Chromium: the mock SRM Daily Close page embedding the component
//! from the release bundle, the real proxy in demo configuration and the Xero simulator, all on
//! loopback ports. Run by `cargo xtask test` after the release bundle is built:
//! `cargo test -p srm-xero-proxy --features e2e --test e2e`. On failure the screenshot, page
//! source and console log are under `target/e2e-artifacts/`.

mod demo;

use std::sync::Arc;

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::Value;
use serde_json::json;
use srm_xero_tests::browser::Browser;
use srm_xero_tests::demo::gl::{GlConfig, generate_with_problems};
use srm_xero_tests::demo::org::ACME_TENANT_ID;
use srm_xero_tests::sim::model::StoredJournal;

use demo::Demo;

const HOST: &str = "srm-xero-post-journals";

/// The component's whole text, for failure messages.
async fn shown(browser: &Browser) -> String {
    browser
        .in_shadow(
            HOST,
            "return root ? [...root.children].filter(e => e.tagName !== 'STYLE') \
             .map(e => e.innerText).join('\\n') : '';",
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Steps 1 and 2: the page renders the component; Connect, "Allow access" in the pop-up,
/// choose the organisation, and the component says it is connected.
async fn open_and_connect(browser: &Browser, demo: &Demo) {
    browser.open(&demo.page()).await;
    browser
        .wait_in_shadow(
            HOST,
            "the component rendering",
            "return root.querySelector('section.connection') !== null;",
        )
        .await;
    let main = browser.client().window().await.unwrap();
    browser
        .shadow_click(HOST, "section.connection button", "Connect")
        .await;
    // The pop-up: the simulator's consent page.
    let deadline = std::time::Instant::now() + srm_xero_tests::browser::PATIENCE;
    let popup = loop {
        let windows = browser.client().windows().await.unwrap();
        if let Some(other) = windows.into_iter().find(|w| *w != main) {
            break other;
        }
        assert!(std::time::Instant::now() < deadline, "no pop-up opened");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    browser.client().switch_to_window(popup).await.unwrap();
    let organisations = browser
        .wait_for("#organisations")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        organisations.contains("Acme Equipment Rentals"),
        "{organisations}"
    );
    browser.click_button("Allow access").await;
    browser.client().switch_to_window(main).await.unwrap();
    browser
        .shadow_click(HOST, "ul.choices button", "Acme Equipment Rentals")
        .await;
    wait_connected(browser).await;
}

async fn wait_connected(browser: &Browser) {
    browser
        .wait_in_shadow(
            HOST,
            "the component showing the connection",
            "const t = root.querySelector('.connection-text'); \
             return t && t.textContent.includes('Posting to Acme Equipment Rentals');",
        )
        .await;
}

/// Maps the divisions to the demo organisation's tracking options, as an admin does once (the
/// default names them "1", "2", "3", which Xero does not have).
async fn map_divisions(demo: &Demo) {
    let mut document = demo.call(Method::GET, "/api/mapping", None).await;
    document["settings"]["tracking"]["division"]["options"] =
        json!({"1": "Vancouver", "2": "Calgary", "3": "Edmonton"});
    let change = json!({"settings": document["settings"], "version": document["version"]});
    demo.call(Method::PUT, "/api/mapping", Some(change)).await;
}

/// The first day the scenario exports from: the last six days of the feed.
fn sync_from(demo: &Demo) -> NaiveDate {
    demo.last_day() - chrono::Duration::days(5)
}

/// An account that Xero will refuse once it is archived after the preview: one in at least two of
/// the valid journals of the window (as few as possible), computed from the demo feed itself.
fn account_to_archive(demo: &Demo) -> String {
    let config = GlConfig::demo(demo::SEED, demo.today);
    let (postings, problems) = generate_with_problems(&config);
    let from = sync_from(demo);
    let blocked: BTreeSet<(NaiveDate, String)> = problems
        .iter()
        .map(|p| (p.date, p.division.clone()))
        .collect();
    let mut journals_with: BTreeMap<String, BTreeSet<(NaiveDate, String)>> = BTreeMap::new();
    for p in postings.iter().filter(|p| p.date >= from) {
        let group = (p.date, p.division.clone());
        if !blocked.contains(&group) {
            journals_with
                .entry(p.account.clone())
                .or_default()
                .insert(group);
        }
    }
    ["5100", "6100", "6000", "4100", "5000", "4400", "4300"]
        .into_iter()
        .filter_map(|code| journals_with.get(code).map(|g| (g.len(), code)))
        .filter(|(count, _)| *count >= 2)
        .min()
        .map(|(_, code)| code.to_owned())
        .expect("an account in at least two journals")
}

/// Step 3: choose a date, preview, see the deliberate problems, accept only the valid journals.
async fn preview_and_accept(browser: &Browser, demo: &Demo, archive: &str) -> u64 {
    browser
        .shadow_set(HOST, "input[name=sync-from]", &sync_from(demo).to_string())
        .await;
    browser
        .shadow_click(HOST, "button[name=preview]", "Preview")
        .await;
    let count: usize = browser
        .shadow_text(HOST, "[data-testid=journal-count]")
        .await
        .parse()
        .unwrap();
    assert_eq!(
        count,
        18,
        "six days of three divisions: {}",
        shown(browser).await
    );
    let text = shown(browser).await;
    for problem in [
        "Xero account 4950 Rental Revenue - Old Fleet is ARCHIVED",
        "SRM account 4999 (division 2) has no Xero account",
        "differ by 0.01",
    ] {
        assert!(
            text.contains(problem),
            "the preview shows {problem:?}: {text}"
        );
    }
    browser
        .wait_in_shadow(
            HOST,
            "ticking \"post only the valid journals\"",
            "const c = root.querySelector('input[name=post-only-valid]'); if (!c) return null; \
             if (!c.checked) c.click(); return c.checked;",
        )
        .await;
    // Someone archives an account in Xero after the preview: Xero refuses its journals.
    demo.sim.update_org(ACME_TENANT_ID, |org| {
        for account in org.accounts.iter_mut().filter(|a| a.code == archive) {
            account.status = "ARCHIVED".into();
        }
    });
    browser
        .shadow_click(HOST, "button[name=accept]", "Accept: post 15 journals")
        .await;
    let title = browser
        .wait_in_shadow(
            HOST,
            "the Export Journals pop-up",
            "const t = [...root.querySelectorAll('.dialog-head')].map(e => e.textContent) \
             .find(t => t.includes('Export Transaction #')); return t || null;",
        )
        .await;
    let title = title.as_str().unwrap();
    let number = title
        .split("Export Transaction #")
        .nth(1)
        .unwrap()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>();
    number.parse().unwrap()
}

/// Waits until the pop-up's counts show nothing pending, and returns them.
async fn wait_settled(browser: &Browser) -> String {
    browser
        .wait_in_shadow(
            HOST,
            "the export settling (nothing pending)",
            "const c = root.querySelector('[data-testid=counts]'); \
             return c && c.textContent.includes(' 0 pending') ? c.textContent : null;",
        )
        .await
        .as_str()
        .unwrap()
        .to_owned()
}

/// Net amount per Xero account code.
type Amounts = BTreeMap<String, Decimal>;

fn stored_amounts(journal: &StoredJournal) -> Amounts {
    let mut out = Amounts::new();
    for line in &journal.lines {
        *out.entry(line.account_code.clone()).or_default() += line.line_amount;
    }
    out.retain(|_, v| !v.is_zero());
    out
}

fn posting_amounts(detail: &Value, mapped: &BTreeMap<&str, &str>) -> Amounts {
    let mut out = Amounts::new();
    for p in detail["postings"].as_array().unwrap() {
        let amount = |field: &str| -> Decimal {
            p[field]
                .as_str()
                .map_or_else(|| p[field].to_string(), str::to_owned)
                .parse()
                .unwrap_or_default()
        };
        let account = p["account"].as_str().unwrap();
        let code = mapped.get(account).copied().unwrap_or(account);
        *out.entry(code.to_owned()).or_default() += amount("debit") - amount("credit");
    }
    out.retain(|_, v| !v.is_zero());
    out
}

/// Step 4: each created row has a journal in Xero with exactly its SRM postings' amounts; each
/// failed row shows Xero's message.
async fn check_rows_against_xero(browser: &Browser, demo: &Demo, number: u64) -> Vec<String> {
    let detail = demo
        .call(Method::GET, &format!("/api/exports/{number}"), None)
        .await;
    let stored = demo.sim.journals();
    let mut failed = Vec::new();
    for row in detail["journals"].as_array().unwrap() {
        let key = row["key"].as_str().unwrap();
        let shown_row = browser
            .in_shadow(
                HOST,
                &format!(
                    "const r = root.querySelector('tr.clickable[data-key=\"{key}\"]'); \
                     return r ? r.className + ' | ' + r.textContent : null;"
                ),
            )
            .await;
        let shown_row = shown_row
            .as_str()
            .unwrap_or_else(|| panic!("no row for {key}"));
        match row["state"].as_str().unwrap() {
            "posted" => {
                assert!(shown_row.contains("state-created"), "{shown_row}");
                let id = row["xero_id"].as_str().unwrap();
                let journal = stored
                    .iter()
                    .find(|j| j.manual_journal_id == id)
                    .unwrap_or_else(|| panic!("Xero has no journal {id}"));
                let postings = demo
                    .call(
                        Method::GET,
                        &format!("/api/exports/{number}/journals/{key}"),
                        None,
                    )
                    .await;
                assert_eq!(
                    stored_amounts(journal),
                    posting_amounts(&postings, &BTreeMap::new()),
                    "journal {key}"
                );
            }
            "failed" => {
                assert!(shown_row.contains("state-failed"), "{shown_row}");
                let messages = row["messages"].as_array().unwrap();
                assert!(!messages.is_empty(), "{row}");
                for message in messages {
                    assert!(
                        shown_row.contains(message.as_str().unwrap()),
                        "the row shows Xero's {message}: {shown_row}"
                    );
                }
                failed.push(key.to_owned());
            }
            other => panic!("journal {key} is {other} after the export settled"),
        }
    }
    failed
}

/// Step 5: a journal's lines and totals are what Xero stored.
async fn check_journal_detail(browser: &Browser, demo: &Demo, number: u64) {
    let detail = demo
        .call(Method::GET, &format!("/api/exports/{number}"), None)
        .await;
    let row = detail["journals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["state"] == "posted")
        .expect("a created journal");
    let key = row["key"].as_str().unwrap();
    let journal = demo
        .sim
        .journals()
        .into_iter()
        .find(|j| Some(j.manual_journal_id.as_str()) == row["xero_id"].as_str())
        .unwrap();
    browser
        .shadow_click(HOST, &format!("tr.clickable[data-key=\"{key}\"]"), "")
        .await;
    let lines = browser
        .wait_in_shadow(
            HOST,
            "the journal's lines",
            "const d = root.querySelector('.journal-detail table.lines'); if (!d) return null; \
             return [...d.querySelectorAll('tr.line')].map(r => [r.children[0].textContent, \
             r.querySelector('.debit').textContent, r.querySelector('.credit').textContent]);",
        )
        .await;
    let amount = |text: &str| -> Decimal {
        if text.trim().is_empty() {
            Decimal::ZERO
        } else {
            text.replace(',', "").trim().parse().unwrap()
        }
    };
    let mut shown_amounts = Amounts::new();
    let (mut debits, mut credits) = (Decimal::ZERO, Decimal::ZERO);
    for line in lines.as_array().unwrap() {
        let account = line[0].as_str().unwrap();
        let code: String = account.chars().take_while(char::is_ascii_digit).collect();
        let (debit, credit) = (
            amount(line[1].as_str().unwrap()),
            amount(line[2].as_str().unwrap()),
        );
        debits += debit;
        credits += credit;
        *shown_amounts.entry(code).or_default() += debit - credit;
    }
    assert_eq!(shown_amounts, stored_amounts(&journal), "journal {key}");
    let stored_debits: Decimal = journal
        .lines
        .iter()
        .map(|l| l.line_amount)
        .filter(Decimal::is_sign_positive)
        .sum();
    assert_eq!(debits, stored_debits);
    assert_eq!(credits, stored_debits);
    assert_eq!(
        amount(&browser.shadow_text(HOST, "[data-testid=total-debit]").await),
        stored_debits
    );
    assert_eq!(
        amount(
            &browser
                .shadow_text(HOST, "[data-testid=total-credit]")
                .await
        ),
        stored_debits
    );
    browser
        .shadow_click(HOST, "button[name=back]", "Back")
        .await;
}

/// Step 6, first half: void a failed journal with a reason; its history shows it.
async fn void_with_reason(browser: &Browser, key: &str) {
    let reason = "Keyed into Xero by hand";
    browser
        .shadow_click(HOST, &format!("tr.clickable[data-key=\"{key}\"]"), "")
        .await;
    browser
        .shadow_click(HOST, "button[name=void]", "Void this journal")
        .await;
    browser
        .shadow_set(HOST, "input[name=void-reason]", reason)
        .await;
    browser
        .shadow_click(HOST, "button[name=void-next]", "Void")
        .await;
    browser
        .shadow_click(HOST, "button[name=void-confirm]", "Yes, void it")
        .await;
    browser
        .wait_in_shadow(
            HOST,
            "the history showing the void",
            &format!(
                "const h = root.querySelector('ol.history'); \
                 return h && h.textContent.includes({reason}) ? true : null;",
                reason = json!(reason)
            ),
        )
        .await;
    browser
        .shadow_click(HOST, "button[name=back]", "Back")
        .await;
}

/// Step 8: reopen the export by its number in the Export Transaction # field.
async fn reopen_by_number(browser: &Browser, number: u64) {
    browser
        .shadow_set(HOST, "input[name=export-number]", &number.to_string())
        .await;
    browser
        .shadow_click(HOST, "button[name=open-export]", "Open")
        .await;
    browser
        .wait_in_shadow(
            HOST,
            "the pop-up of the reopened export",
            &format!(
                "return [...root.querySelectorAll('.dialog-head')] \
                 .some(e => e.textContent.includes('Export Transaction #{number}')) \
                 && root.querySelector('tr.clickable') !== null;"
            ),
        )
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bookkeeper_connects_previews_accepts_fixes_and_reopens_an_export() {
    let demo = Arc::new(Demo::start().await);
    let d = Arc::clone(&demo);
    Browser::launch()
        .await
        .run("bookkeeper_scenario", move |browser| async move {
            let demo = d;
            open_and_connect(&browser, &demo).await;
            map_divisions(&demo).await;
            browser.open(&demo.page()).await;
            wait_connected(&browser).await;
            let archived = account_to_archive(&demo);
            let number = preview_and_accept(&browser, &demo, &archived).await;
            wait_settled(&browser).await;
            let failed = check_rows_against_xero(&browser, &demo, number).await;
            assert!(failed.len() >= 2, "{failed:?}");
            check_journal_detail(&browser, &demo, number).await;

            void_with_reason(&browser, &failed[0]).await;
            browser
                .shadow_click(HOST, ".dialog-head button.close", "")
                .await;
            reopen_by_number(&browser, number).await;
            for key in &failed[1..] {
                void_with_reason(&browser, key).await;
            }
            browser
                .wait_in_shadow(
                    HOST,
                    "every journal created or voided",
                    "const c = root.querySelector('[data-testid=counts]'); \
                     return c && c.textContent.includes(' 0 failed') \
                     && c.textContent.includes(' 0 pending') ? true : null;",
                )
                .await;
            let detail = demo
                .call(Method::GET, &format!("/api/exports/{number}"), None)
                .await;
            assert_eq!(detail["summary"]["status"], "exported", "{detail}");
            let posted = demo.sim.journals().len();
            assert_eq!(
                posted,
                15 - failed.len(),
                "every valid journal but the voided ones, once"
            );

            // Step 9: Accept again for the same date posts nothing twice.
            browser
                .shadow_click(HOST, ".dialog-head button.close", "")
                .await;
            browser
                .shadow_set(HOST, "input[name=export-number]", "")
                .await;
            browser
                .shadow_click(HOST, "button[name=preview]", "Preview")
                .await;
            let skipped = browser
                .wait_in_shadow(
                    HOST,
                    "the preview saying the postings are already exported",
                    "const e = root.querySelector('[data-testid=already-exported]'); \
                     return e && e.textContent.trim() !== '0' ? e.textContent : null;",
                )
                .await;
            assert!(
                skipped
                    .as_str()
                    .unwrap()
                    .contains(&format!("export #{number}")),
                "{skipped}"
            );
            let accept = browser
                .in_shadow(
                    HOST,
                    "const b = root.querySelector('button[name=accept]'); \
                     if (!b || b.disabled) return false; b.click(); return true;",
                )
                .await;
            if accept == Value::Bool(true) {
                browser
                    .wait_in_shadow(
                        HOST,
                        "Accept's answer",
                        "return !root.textContent.includes('Sending the export');",
                    )
                    .await;
            }
            // Only the voided journals' postings may go again; wait until any such export settles.
            let deadline = std::time::Instant::now() + srm_xero_tests::browser::PATIENCE;
            loop {
                let exports = demo.call(Method::GET, "/api/exports", None).await;
                let busy = exports
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|e| e["counts"]["pending"] != 0 || e["counts"]["posting"] != 0);
                if !busy {
                    break;
                }
                assert!(std::time::Instant::now() < deadline, "{exports}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            assert_eq!(demo.sim.journals().len(), posted, "nothing posted twice");
        })
        .await;
}
