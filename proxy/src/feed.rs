//! SRM's G/L feed read by the proxy itself (the unattended close): the same pages and
//! `from`/`to`/`cursor` parameters as the element's `gl-feed-url`, `SRM_XERO_FEED_TOKEN` sent as
//! `Authorization: Bearer`, every page parsed by `shared` exactly as the browser parses it.
//!
//! The feed's URL may carry credentials and the token is one: errors and logs name the feed by
//! its host only, and redirects are not followed (a redirect would carry the token elsewhere).

use std::collections::HashSet;
use std::time::Duration;

use chrono::NaiveDate;
use secrecy::{ExposeSecret as _, SecretString};
use srm_xero_shared::Posting;
use srm_xero_shared::feed::{FeedCollector, FeedError, FeedPage, parse_page};

use crate::config::FeedSettings;

/// How long one page may take.
const PAGE_TIMEOUT: Duration = Duration::from_mins(1);
/// More pages than this is a feed that never ends.
const MAX_PAGES: usize = 100_000;

/// Why the feed could not be read, in words that name the page and never the URL's secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeedReadError {
    /// The proxy has no feed (`SRM_XERO_FEED_URL` is not set).
    #[error("the proxy has no SRM feed to read: set SRM_XERO_FEED_URL (and SRM_XERO_FEED_TOKEN)")]
    NotConfigured,
    /// No answer.
    #[error("SRM's G/L feed at {host} cannot be reached (page {page}): {cause}")]
    Unreachable {
        /// The feed's host.
        host: String,
        /// Which page.
        page: usize,
        /// Why, without the URL.
        cause: String,
    },
    /// 401 or 403: the token is wrong or expired.
    #[error(
        "SRM's G/L feed at {host} refused the proxy's token ({status}): check SRM_XERO_FEED_TOKEN"
    )]
    Refused {
        /// The feed's host.
        host: String,
        /// The answer's status.
        status: u16,
    },
    /// Another non-success answer.
    #[error("SRM's G/L feed at {host} answered {status} to page {page}")]
    Status {
        /// The feed's host.
        host: String,
        /// Which page.
        page: usize,
        /// The answer's status.
        status: u16,
    },
    /// A page that does not parse, or a posting that is wrong.
    #[error("SRM's G/L feed, page {page}: {error}")]
    Invalid {
        /// Which page.
        page: usize,
        /// What is wrong, naming the posting and field.
        error: FeedError,
    },
    /// The feed's cursors go round.
    #[error("SRM's G/L feed repeats a page (its next_cursor came back on page {page})")]
    Loops {
        /// Which page.
        page: usize,
    },
}

/// The postings read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedRead {
    /// Every page's postings, in feed order.
    pub postings: Vec<Posting>,
    /// The company the feed names.
    pub company: Option<String>,
    /// Pages read.
    pub pages: usize,
}

/// The proxy's feed reader: one HTTP client for SRM.
#[derive(Debug, Clone)]
pub struct FeedReader {
    http: reqwest::Client,
    url: reqwest::Url,
    token: Option<SecretString>,
}

impl FeedReader {
    /// The reader of `settings` (its URL already checked at start-up).
    pub fn new(settings: &FeedSettings) -> Result<FeedReader, String> {
        let url = reqwest::Url::parse(settings.url.expose_secret())
            .map_err(|_| "SRM_XERO_FEED_URL is not a URL".to_owned())?;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(PAGE_TIMEOUT)
            .user_agent(concat!("srm-xero-proxy/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("the feed's HTTP client cannot start: {e}"))?;
        Ok(FeedReader {
            http,
            url,
            token: settings.token.clone(),
        })
    }

    /// The feed's host, for messages.
    pub fn host(&self) -> String {
        self.url.host_str().unwrap_or("the feed").to_owned()
    }

    /// The URL of one page: the feed's own query, then `from`, `to` and `cursor`.
    pub fn page_url(&self, from: NaiveDate, to: NaiveDate, cursor: Option<&str>) -> reqwest::Url {
        let mut url = self.url.clone();
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("from", &from.to_string());
            query.append_pair("to", &to.to_string());
            if let Some(cursor) = cursor {
                query.append_pair("cursor", cursor);
            }
        }
        url
    }

    /// Every posting dated `from..=to`, following `next_cursor` until it is null, gathered in
    /// memory (a posting id on two pages is refused).
    pub async fn read(&self, from: NaiveDate, to: NaiveDate) -> Result<FeedRead, FeedReadError> {
        let mut collector = FeedCollector::default();
        let mut pages = self.pages(from, to);
        while let Some(page) = pages.next().await? {
            let number = pages.read;
            collector
                .add_page(page)
                .map_err(|error| FeedReadError::Invalid {
                    page: number,
                    error,
                })?;
        }
        Ok(FeedRead {
            company: collector.company().map(str::to_owned),
            postings: collector.into_postings(),
            pages: pages.read,
        })
    }

    /// The pages of `from..=to`, one at a time ([`FeedPages::next`]): the close stores each as
    /// it arrives, never holding the whole feed.
    pub fn pages(&self, from: NaiveDate, to: NaiveDate) -> FeedPages<'_> {
        FeedPages {
            reader: self,
            from,
            to,
            cursor: None,
            seen: HashSet::new(),
            read: 0,
            done: false,
        }
    }
}

/// A read of the feed in progress.
#[derive(Debug)]
pub struct FeedPages<'a> {
    reader: &'a FeedReader,
    from: NaiveDate,
    to: NaiveDate,
    cursor: Option<String>,
    seen: HashSet<String>,
    /// Pages read so far.
    pub read: usize,
    done: bool,
}

impl FeedPages<'_> {
    /// The next page, parsed by `shared`; `None` after the last.
    pub async fn next(&mut self) -> Result<Option<FeedPage>, FeedReadError> {
        if self.done {
            return Ok(None);
        }
        self.read += 1;
        let page = self.read;
        if page > MAX_PAGES {
            return Err(FeedReadError::Loops { page });
        }
        let host = self.reader.host();
        let mut request = self
            .reader
            .http
            .get(
                self.reader
                    .page_url(self.from, self.to, self.cursor.as_deref()),
            )
            .header(reqwest::header::ACCEPT, "application/json");
        if let Some(token) = &self.reader.token {
            request = request.bearer_auth(token.expose_secret());
        }
        let unreachable = |e: reqwest::Error| FeedReadError::Unreachable {
            host: host.clone(),
            page,
            cause: if e.is_timeout() {
                "no answer in time".to_owned()
            } else {
                e.without_url().to_string()
            },
        };
        let answer = request.send().await.map_err(unreachable)?;
        let status = answer.status();
        if matches!(status.as_u16(), 401 | 403) {
            return Err(FeedReadError::Refused {
                host,
                status: status.as_u16(),
            });
        }
        if !status.is_success() {
            return Err(FeedReadError::Status {
                host,
                page,
                status: status.as_u16(),
            });
        }
        let text = answer.text().await.map_err(unreachable)?;
        let parsed = parse_page(&text).map_err(|error| FeedReadError::Invalid { page, error })?;
        self.cursor.clone_from(&parsed.next_cursor);
        match &self.cursor {
            None => self.done = true,
            Some(next) if !self.seen.insert(next.clone()) => {
                return Err(FeedReadError::Loops { page });
            }
            Some(_) => {}
        }
        Ok(Some(parsed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_urls_keep_the_feeds_own_query_and_add_the_days_and_cursor() {
        let reader = FeedReader::new(&FeedSettings {
            url: SecretString::from("https://srm.example/api/gl?tenant=acme".to_owned()),
            token: None,
        })
        .unwrap();
        let day = |d| NaiveDate::from_ymd_opt(2019, 8, d).unwrap();
        assert_eq!(
            reader.page_url(day(1), day(19), None).as_str(),
            "https://srm.example/api/gl?tenant=acme&from=2019-08-01&to=2019-08-19"
        );
        assert_eq!(
            reader.page_url(day(1), day(19), Some("c 2&x")).as_str(),
            "https://srm.example/api/gl?tenant=acme&from=2019-08-01&to=2019-08-19&cursor=c+2%26x"
        );
        assert_eq!(reader.host(), "srm.example");
    }
}
