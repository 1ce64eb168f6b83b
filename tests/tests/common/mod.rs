//! Helpers shared by the simulator's tests: a started simulator with a token for both demo
//! organisations, a reqwest client, and journal bodies.

#![allow(dead_code)] // Each test file uses a different subset.

use chrono::{DateTime, Utc};
use reqwest::{Client, RequestBuilder, Response};
use serde_json::{Value, json};
use srm_xero_tests::demo::org::{ACME_TENANT_ID, ACME_TEST_TENANT_ID};
use srm_xero_tests::sim::{SimClock, SimHandle, Simulator};

/// The default granular scopes the product asks for.
pub const SCOPES: &str = "offline_access accounting.manualjournals accounting.settings.read";

/// 2019-08-20 09:00 UTC: the demo lock date is then 2019-07-06.
pub fn start_instant() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2019-08-20T09:00:00Z")
        .expect("valid instant")
        .with_timezone(&Utc)
}

/// A running simulator with a frozen clock, a client and an access token.
pub struct TestSim {
    pub sim: SimHandle,
    pub http: Client,
    pub token: String,
    pub refresh: String,
}

/// Starts `builder` on a frozen clock and issues tokens for both demo organisations.
pub async fn start_with(builder: Simulator) -> TestSim {
    let sim = builder
        .clock(SimClock::fixed(start_instant()))
        .start()
        .await
        .expect("simulator starts");
    let tokens = sim.issue_tokens(SCOPES, &[ACME_TENANT_ID, ACME_TEST_TENANT_ID]);
    TestSim {
        sim,
        http: client(),
        token: tokens.access_token,
        refresh: tokens.refresh_token,
    }
}

pub async fn start() -> TestSim {
    start_with(Simulator::new()).await
}

/// A client that does not follow redirects (so authorize answers can be read).
pub fn client() -> Client {
    Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client builds")
}

impl TestSim {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.sim.urls().accounting)
    }

    /// An authorised request to the accounting API for the main demo organisation.
    pub fn api(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        self.api_for(ACME_TENANT_ID, method, path)
    }

    /// An authorised request to the accounting API for `tenant`.
    pub fn api_for(&self, tenant: &str, method: reqwest::Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, self.url(path))
            .bearer_auth(&self.token)
            .header("xero-tenant-id", tenant)
            .header("Accept", "application/json")
    }

    pub async fn get(&self, path: &str) -> Response {
        self.api(reqwest::Method::GET, path)
            .send()
            .await
            .expect("answer")
    }

    /// PUTs a ManualJournals body (`summarizeErrors=false` unless `summarize`).
    pub async fn put_journals(&self, body: &Value, summarize: bool) -> Response {
        let path = if summarize {
            "/ManualJournals".to_owned()
        } else {
            "/ManualJournals?summarizeErrors=false".to_owned()
        };
        self.api(reqwest::Method::PUT, &path)
            .json(body)
            .send()
            .await
            .expect("answer")
    }
}

/// A posted, balanced two-line journal on `date`.
pub fn balanced(narration: &str, date: &str) -> Value {
    json!({
        "Narration": narration,
        "Date": date,
        "Status": "POSTED",
        "LineAmountTypes": "NoTax",
        "JournalLines": [
            {"LineAmount": 125, "AccountCode": "1200", "Description": "A/R clearing",
             "Tracking": [{"Name": "Division", "Option": "Vancouver"}]},
            {"LineAmount": -125, "AccountCode": "4000", "Description": "Rental revenue", "TaxType": "NONE"}
        ]
    })
}

/// Wraps journals in the `ManualJournals` array.
#[allow(clippy::needless_pass_by_value)] // By value so call sites can build the list inline.
pub fn wrap(journals: Vec<Value>) -> Value {
    json!({ "ManualJournals": journals })
}

/// The body's JSON.
pub async fn body_json(response: Response) -> Value {
    let text = response.text().await.expect("body");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// A response header as text.
pub fn header(response: &Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// The validation messages of element `index`.
pub fn errors_of(element: &Value) -> Vec<String> {
    element["ValidationErrors"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|m| m["Message"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The warning messages of an element.
pub fn warnings_of(element: &Value) -> Vec<String> {
    element["Warnings"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|m| m["Message"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}
