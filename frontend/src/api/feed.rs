//! SRM's G/L feed, read by the browser with the user's SRM cookies, page after page.

use chrono::NaiveDate;
use gloo_net::http::Request;
use srm_xero_shared::Posting;
use srm_xero_shared::feed::{FeedCollector, parse_page};
use web_sys::RequestCredentials;

use super::failure::{Failure, FailureKind, feed_invalid, feed_refused, feed_unreachable};
use crate::format::query_value;

/// The G/L feed as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedRead {
    /// All pages' postings.
    pub postings: Vec<Posting>,
    /// The company.
    pub company: Option<String>,
    /// The currency.
    pub currency: Option<String>,
}

/// Called after each feed page with (pages read, postings read); a failure stops the reading
/// there (a feed too big for one export).
pub type OnPage = Box<dyn Fn(usize, usize) -> Result<(), Failure>>;

/// The feed URL of one page.
pub fn feed_page_url(feed: &str, from: NaiveDate, cursor: Option<&str>) -> String {
    let join = if feed.contains('?') { '&' } else { '?' };
    let mut url = format!("{feed}{join}from={from}");
    if let Some(cursor) = cursor {
        url.push_str("&cursor=");
        url.push_str(&query_value(cursor));
    }
    url
}

/// Every page of the feed from `from`, following `next_cursor`.
pub(super) async fn read_feed(
    feed: &str,
    from: NaiveDate,
    on_page: &OnPage,
) -> Result<FeedRead, Failure> {
    if feed.is_empty() {
        return Err(Failure::new(
            FailureKind::FeedUnreachable,
            "No G/L feed is configured (the element's gl-feed-url is empty). Drop SRM's G/L detail report (CSV) here instead, or ask SRM support.",
        ));
    }
    let mut collector = FeedCollector::default();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let url = feed_page_url(feed, from, cursor.as_deref());
        let answer = Request::get(&url)
            .header("Accept", "application/json")
            .credentials(RequestCredentials::Include)
            .send()
            .await
            .map_err(|_| feed_unreachable(&url))?;
        if let Some(failure) = feed_refused(answer.status()) {
            return Err(failure);
        }
        let text = answer.text().await.map_err(|_| feed_unreachable(&url))?;
        let page = parse_page(&text).map_err(|e| feed_invalid(&e, pages + 1))?;
        cursor.clone_from(&page.next_cursor);
        collector
            .add_page(page)
            .map_err(|e| feed_invalid(&e, pages + 1))?;
        pages += 1;
        on_page(pages, collector.len())?;
        if cursor.is_none() {
            break;
        }
    }
    Ok(FeedRead {
        company: collector.company().map(str::to_owned),
        currency: collector.currency().map(str::to_owned),
        postings: collector.into_postings(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feed_urls_carry_the_date_and_the_cursor() {
        let from = NaiveDate::from_ymd_opt(2019, 8, 19).unwrap();
        assert_eq!(
            feed_page_url("/srm/api/gl-postings", from, None),
            "/srm/api/gl-postings?from=2019-08-19"
        );
        assert_eq!(
            feed_page_url("/gl?tenant=a", from, Some("p 2")),
            "/gl?tenant=a&from=2019-08-19&cursor=p%202"
        );
    }
}
