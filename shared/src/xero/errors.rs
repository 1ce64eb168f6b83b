//! The bodies of Xero's error answers.

use serde::{Deserialize, Serialize};

use super::ManualJournal;

/// A 400 answer: `{"ErrorNumber":10,"Type":"ValidationException",…,"Elements":[…]}`; each element
/// echoes a journal with its `ValidationErrors`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ApiException {
    /// Xero's error number (10 for validation).
    pub error_number: i64,
    /// `ValidationException`, …
    #[serde(rename = "Type")]
    pub kind: String,
    /// A sentence.
    pub message: String,
    /// The echoed journals, when the exception is about them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub elements: Vec<ManualJournal>,
}

/// The problem-details body of a 401, 403 or 500 (not in the spec; see XERO.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ProblemDetails {
    /// Usually null.
    #[serde(rename = "Type", default)]
    pub kind: Option<String>,
    /// `Unauthorized`, `Forbidden`, …
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// `TokenExpired: token expired at …`, `AuthenticationUnsuccessful`, …
    pub detail: String,
    /// An opaque trace id.
    #[serde(default)]
    pub instance: Option<String>,
    /// Usually `{}`.
    #[serde(default)]
    pub extensions: serde_json::Map<String, serde_json::Value>,
}
