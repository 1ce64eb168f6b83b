//! The simulator's consent page as a person meets it in a browser: the organisations it lists,
//! then "Allow access", which sends the browser back to the app's redirect URI with a code.

use crate::browser::Browser;

/// On the consent page (the current window): waits for the list of organisations, checks it
/// names `organisation`, and presses "Allow access".
///
/// # Panics
/// When the page does not appear, or does not list `organisation`.
pub async fn allow_access(browser: &Browser, organisation: &str) {
    let listed = browser
        .wait_for("#organisations")
        .await
        .text()
        .await
        .unwrap_or_else(|e| panic!("the consent page's organisations cannot be read: {e}"));
    assert!(
        listed.contains(organisation),
        "the consent page lists {organisation:?}: {listed}"
    );
    browser.click_button("Allow access").await;
}
