//! End to end in a real headless Chromium: the mock SRM Daily Close page embedding the component
//! from the release bundle, the real proxy in demo configuration and the Xero simulator, all on
//! loopback ports. Run by `cargo xtask test` after the release bundle is built:
//! `cargo test -p srm-xero-proxy --features e2e --test e2e`. On failure the screenshot, page
//! source and console log are under `target/e2e-artifacts/`.

mod demo;
mod large_export;
mod mapping_screen;
mod reconcile;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use chrono::NaiveDate;
use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::{Value, json};
use srm_xero_shared::JournalKey;
use srm_xero_tests::browser::Browser;
use srm_xero_tests::consent;
use srm_xero_tests::demo::gl::{GlConfig, generate_with_problems};
use srm_xero_tests::demo::org::{ACME_NAME, ACME_TENANT_ID};
use srm_xero_tests::sim::model::StoredJournal;
use srm_xero_tests::sim::{Fault, FaultKind};

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
    consent::allow_access(browser, ACME_NAME).await;
    browser.client().switch_to_window(main).await.unwrap();
    browser
        .shadow_click(HOST, "ul.choices button", "Acme Equipment Rentals")
        .await;
    browser
        .wait_in_shadow(
            HOST,
            "the component showing the connection",
            "const t = root.querySelector('.connection-text'); \
             return t && t.textContent.includes('Posting to Acme Equipment Rentals');",
        )
        .await;
}

/// The first day the scenario exports from: the last six days of the feed.
fn sync_from(demo: &Demo) -> NaiveDate {
    demo.last_day() - chrono::Duration::days(5)
}

/// An account that Xero will refuse once it is archived after the preview: one in valid journals
/// of at least two divisions (as few journals as possible, so that one division's can be fixed and
/// retried and another's voided), computed from the demo feed itself.
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
        .filter_map(|code| journals_with.get(code).map(|g| (g, code)))
        .filter(|(groups, _)| groups.iter().map(|(_, d)| d).collect::<BTreeSet<_>>().len() >= 2)
        .map(|(groups, code)| (groups.len(), code))
        .min()
        .map(|(_, code)| code.to_owned())
        .expect("an account in journals of two divisions")
}

/// Step 3: choose a date and preview; map the divisions to Xero's tracking options in the mapping
/// screen; the preview shows the journals and the deliberate problems; accept only the valid ones.
async fn preview_and_accept(browser: &Browser, demo: &Demo, archive: &str) -> u64 {
    browser
        .shadow_set(HOST, "input[name=sync-from]", &sync_from(demo).to_string())
        .await;
    browser
        .shadow_click(HOST, "button[name=preview]", "Preview")
        .await;
    browser
        .shadow_text(HOST, "[data-testid=journal-count]")
        .await;
    mapping_screen::open(browser).await;
    mapping_screen::track_divisions(browser).await;
    mapping_screen::save_and_close(browser).await;
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
    post_only_valid(browser).await;
    // Someone archives an account in Xero after the preview: Xero refuses its journals.
    demo.sim.update_org(ACME_TENANT_ID, |org| {
        for account in org.accounts.iter_mut().filter(|a| a.code == archive) {
            account.status = "ARCHIVED".into();
            // As Xero does: the change shows to a read with If-Modified-Since.
            account.updated = chrono::Utc::now();
        }
    });
    browser
        .shadow_click(HOST, "button[name=accept]", "Accept: post 15 journals")
        .await;
    shown_export_number(browser).await
}

/// Ticks "post only the valid journals".
async fn post_only_valid(browser: &Browser) {
    browser
        .wait_in_shadow(
            HOST,
            "ticking \"post only the valid journals\"",
            "const c = root.querySelector('input[name=post-only-valid]'); if (!c) return null; \
             if (!c.checked) c.click(); return c.checked;",
        )
        .await;
}

/// Waits for the Export Journals pop-up and returns the Export Transaction # in its title.
async fn shown_export_number(browser: &Browser) -> u64 {
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
/// failed row shows Xero's message. Division "Turkey Creek" (its narration says `key ` before the
/// journal's own key) is among the created ones.
async fn check_rows_against_xero(browser: &Browser, demo: &Demo, number: u64) -> Vec<String> {
    let detail = demo
        .call(Method::GET, &format!("/api/exports/{number}"), None)
        .await;
    let turkey_creek = detail["journals"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["group"] == "Division Turkey Creek" && r["state"] == "posted")
        .count();
    assert!(turkey_creek > 0, "{detail}");
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
                assert_in_xero_once(demo, number, key, &BTreeMap::new()).await;
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

/// Step 6, second half: void a failed journal with a reason; its history shows it.
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

/// The Xero account the scenario moves an archived account's postings to: an active one of the
/// same kind.
fn replacement_for(archived: &str) -> &'static str {
    match archived {
        "5100" => "5000",
        "5000" => "5100",
        "6100" => "6000",
        "6000" => "6100",
        _ => "4000",
    }
}

/// Xero holds the journal of row `key` of export `number` exactly once, with its postings' amounts
/// (their SRM accounts mapped as `mapped` says).
async fn assert_in_xero_once(demo: &Demo, number: u64, key: &str, mapped: &BTreeMap<&str, &str>) {
    let postings = demo
        .call(
            Method::GET,
            &format!("/api/exports/{number}/journals/{key}"),
            None,
        )
        .await;
    let id = postings["row"]["xero_id"].as_str().unwrap_or_default();
    let stored: Vec<StoredJournal> = demo
        .sim
        .journals()
        .into_iter()
        .filter(|j| JournalKey::last_in(&j.narration).is_some_and(|k| k.as_str() == key))
        .collect();
    assert_eq!(stored.len(), 1, "journal {key} is in Xero once");
    assert_eq!(stored[0].manual_journal_id, id, "journal {key}");
    assert_eq!(
        stored_amounts(&stored[0]),
        posting_amounts(&postings, mapped),
        "journal {key}"
    );
}

/// Step 6, first half: in the mapping screen the archived account's postings of one division go to
/// an active account; the export reopened by its number (step 8), Retry posts that division's
/// failed journals (Xero holds the call a moment, so the pop-up shows them posting). Returns the
/// keys retried.
async fn fix_and_retry(
    browser: &Browser,
    demo: &Demo,
    number: u64,
    archived: &str,
    failed: &[String],
) -> Vec<String> {
    let replacement = replacement_for(archived);
    let detail = demo
        .call(Method::GET, &format!("/api/exports/{number}"), None)
        .await;
    let division_of = |key: &str| -> String {
        let row = detail["journals"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["key"] == key)
            .unwrap();
        row["group"]
            .as_str()
            .unwrap()
            .trim_start_matches("Division ")
            .to_owned()
    };
    let division = division_of(&failed[0]);
    let retried: Vec<String> = failed
        .iter()
        .filter(|k| division_of(k) == division)
        .cloned()
        .collect();
    assert!(
        retried.len() < failed.len(),
        "failed in one division only: {failed:?}"
    );

    browser
        .shadow_click(HOST, ".dialog-head button.close", "")
        .await;
    mapping_screen::open(browser).await;
    mapping_screen::remap_archived(browser, archived, &division, replacement).await;
    mapping_screen::save_and_close(browser).await;
    reopen_by_number(browser, number).await;
    demo.sim.inject(Fault::next(1, FaultKind::Hold).only("PUT"));
    browser
        .shadow_click(
            HOST,
            "button[name=retry]",
            &format!("Retry {} failed", failed.len()),
        )
        .await;
    browser
        .wait_in_shadow(
            HOST,
            "the pop-up showing the retried journals posting",
            &format!(
                "const c = root.querySelector('[data-testid=counts]'); \
                 return c && c.textContent.includes(' {} pending');",
                retried.len()
            ),
        )
        .await;
    demo.sim.release_held();
    for key in &retried {
        browser
            .wait_in_shadow(
                HOST,
                &format!("the retried journal {key} created"),
                &format!(
                    "const r = root.querySelector('tr.clickable[data-key=\"{key}\"]'); \
                     return r && r.classList.contains('state-created');"
                ),
            )
            .await;
    }
    let mapped = BTreeMap::from([(archived, replacement)]);
    for key in &retried {
        assert_in_xero_once(demo, number, key, &mapped).await;
    }
    retried
}

/// No journal is in Xero twice (each carries its key in the narration), and Xero holds as many
/// journals as the exports say are created.
async fn assert_each_once_in_xero(demo: &Demo) {
    let mut keys: BTreeMap<String, usize> = BTreeMap::new();
    let stored = demo.sim.journals();
    for journal in &stored {
        let key = JournalKey::last_in(&journal.narration)
            .unwrap_or_else(|| panic!("no key in {:?}", journal.narration));
        *keys.entry(key.as_str().to_owned()).or_default() += 1;
    }
    let twice: Vec<(&String, &usize)> = keys.iter().filter(|(_, n)| **n > 1).collect();
    assert_eq!(twice, vec![], "journals in Xero more than once");
    let exports = demo.call(Method::GET, "/api/exports", None).await;
    let posted: u64 = exports
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["counts"]["posted"].as_u64().unwrap())
        .sum();
    assert_eq!(stored.len() as u64, posted, "{exports}");
}

/// Waits until no export has journals left to post.
async fn wait_all_exports_settled(demo: &Demo) {
    let deadline = std::time::Instant::now() + srm_xero_tests::browser::PATIENCE;
    loop {
        let exports = demo.call(Method::GET, "/api/exports", None).await;
        let busy = exports
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["counts"]["pending"] != 0 || e["counts"]["posting"] != 0);
        if !busy {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "{exports}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Step 9: Accept again for the same date: the preview says the postings are already exported,
/// and nothing goes to Xero twice (only the voided journal's postings may go again).
async fn accept_again(browser: &Browser, demo: &Demo, number: u64) {
    browser
        .shadow_click(HOST, ".dialog-head button.close", "")
        .await;
    browser
        .shadow_set(HOST, "input[name=export-number]", "")
        .await;
    browser
        .shadow_set(HOST, "input[name=sync-from]", &sync_from(demo).to_string())
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
        shown_export_number(browser).await;
    }
    wait_all_exports_settled(demo).await;
    assert_each_once_in_xero(demo).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bookkeeper_posts_fixes_retries_voids_reopens_and_reloads_mid_export() {
    let demo = Arc::new(Demo::start().await);
    let d = Arc::clone(&demo);
    Browser::launch()
        .await
        .run("bookkeeper_scenario", move |browser| async move {
            let demo = d;
            open_and_connect(&browser, &demo).await;
            let archived = account_to_archive(&demo);
            let number = preview_and_accept(&browser, &demo, &archived).await;
            wait_settled(&browser).await;
            let failed = check_rows_against_xero(&browser, &demo, number).await;
            assert!(failed.len() >= 2, "{failed:?}");
            check_journal_detail(&browser, &demo, number).await;

            let retried = fix_and_retry(&browser, &demo, number, &archived, &failed).await;
            // Void the others, in the same pop-up: its counts follow.
            let voided: Vec<&String> = failed.iter().filter(|k| !retried.contains(k)).collect();
            for key in &voided {
                void_with_reason(&browser, key).await;
            }
            browser
                .wait_in_shadow(
                    HOST,
                    "the counts showing every failed journal created or voided",
                    &format!(
                        "const c = root.querySelector('[data-testid=counts]'); \
                         return c && c.textContent.includes(' 0 failed') \
                           && c.textContent.includes(' 0 pending') \
                           && c.textContent.includes(' {} voided');",
                        voided.len()
                    ),
                )
                .await;
            browser
                .wait_in_shadow(
                    HOST,
                    "the pop-up saying the export is exported",
                    "return root.querySelector('.progress-block').textContent \
                     .includes('Exported: every journal is posted or voided.');",
                )
                .await;
            let detail = demo
                .call(Method::GET, &format!("/api/exports/{number}"), None)
                .await;
            assert_eq!(detail["summary"]["status"], "exported", "{detail}");
            assert_eq!(
                demo.sim.journals().len(),
                15 - voided.len(),
                "every valid journal but the voided ones, once"
            );
            assert_each_once_in_xero(&demo).await;

            accept_again(&browser, &demo, number).await;
            // Step 7 last: it exports the older days, which steps 8 and 9 do not involve.
            large_export::reload_in_the_middle(&browser, &demo).await;
        })
        .await;
}
