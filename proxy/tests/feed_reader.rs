//! The proxy's own reader of SRM's G/L feed: pages followed to the end with the bearer token,
//! and each failure a clear message that names the page (and the posting and field) but never
//! the token or the URL's query.

mod common;

use std::collections::HashMap;

use axum::extract::Query;
use axum::routing::get;
use chrono::NaiveDate;
use common::exports::{gl, posting};
use common::feed::{FEED_TOKEN, SrmFeed};
use secrecy::SecretString;
use srm_xero_proxy::config::FeedSettings;
use srm_xero_proxy::feed::{FeedReadError, FeedReader};

fn reader(url: &str, token: &str) -> FeedReader {
    FeedReader::new(&FeedSettings {
        url: SecretString::from(url.to_owned()),
        token: Some(SecretString::from(token.to_owned())),
    })
    .unwrap()
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2019, 7, d).unwrap()
}

/// A feed answering `body(cursor)` to every page.
async fn serving(body: fn(Option<&str>) -> String) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/gl?key=url-secret",
        listener.local_addr().unwrap()
    );
    let app = axum::Router::new().route(
        "/gl",
        get(move |Query(q): Query<HashMap<String, String>>| async move {
            body(q.get("cursor").map(String::as_str))
        }),
    );
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    url
}

#[tokio::test]
async fn every_page_of_the_days_asked_is_read_with_the_token() {
    let postings = gl("GL-", 30);
    let feed = SrmFeed::start(postings.clone()).await;
    let read = reader(&feed.url, FEED_TOKEN)
        .read(day(20), day(25))
        .await
        .unwrap();
    // 30 journals over ten days, 3 postings each: six days are 54 postings, 6 pages of 10.
    let expected: Vec<_> = postings
        .iter()
        .filter(|p| p.date <= day(25))
        .cloned()
        .collect();
    assert_eq!(read.postings, expected);
    assert_eq!((read.pages, feed.requests()), (6, 6));
    assert_eq!(read.company.as_deref(), Some("Acme Equipment Rentals"));
}

#[tokio::test]
async fn each_failure_names_the_page_never_the_secrets() {
    let feed = SrmFeed::start(vec![posting("GL-1", day(20), "1200", "Calgary", 100)]).await;
    let refused = reader(&feed.url, "wrong-token-secret")
        .read(day(20), day(20))
        .await
        .unwrap_err();
    assert!(matches!(
        refused,
        FeedReadError::Refused { status: 401, .. }
    ));

    let bad = serving(|cursor| match cursor {
        None => r#"{"company":"Acme","currency":"CAD","postings":[],"next_cursor":"2"}"#.into(),
        Some(_) => r#"{"postings":[{"id":"GL-9","date":"2019-07-40","account":"1200","debit":"1.00","credit":"0","source":"AR","reference":"","memo":"","account_description":""}]}"#.into(),
    })
    .await;
    let invalid = reader(&bad, "t").read(day(20), day(20)).await.unwrap_err();
    let text = invalid.to_string();
    assert!(text.starts_with("SRM's G/L feed, page 2: "), "{text}");
    assert!(text.contains("GL-9") && text.contains("date"), "{text}");

    let looping = serving(|_| {
        r#"{"company":"Acme","currency":"CAD","postings":[],"next_cursor":"again"}"#.into()
    })
    .await;
    let loops = reader(&looping, "t")
        .read(day(20), day(20))
        .await
        .unwrap_err();
    assert_eq!(loops, FeedReadError::Loops { page: 2 });

    let gone = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!(
            "http://{}/gl?key=url-secret",
            listener.local_addr().unwrap()
        )
    };
    let unreachable = reader(&gone, "t").read(day(20), day(20)).await.unwrap_err();
    let text = unreachable.to_string();
    assert!(
        text.starts_with("SRM's G/L feed at 127.0.0.1 cannot be reached (page 1)"),
        "{text}"
    );
    for error in [refused, invalid, unreachable] {
        let text = error.to_string();
        for secret in ["url-secret", "wrong-token-secret"] {
            assert!(!text.contains(secret), "{text}");
        }
    }
}
