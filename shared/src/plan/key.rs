//! The journal key: a deterministic name for "the journal made of exactly these postings".

use std::fmt::{self, Write as _};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Hex characters kept from the digest: 80 bits, far beyond any tenant's journal count.
const KEY_LEN: usize = 20;

/// Derived from the set of posting ids a journal holds (order and repeats do not matter). It goes
/// into the Narration so a journal can be found again in Xero.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JournalKey(String);

impl JournalKey {
    /// The key of a set of posting ids.
    pub fn from_posting_ids<'a>(ids: impl IntoIterator<Item = &'a str>) -> JournalKey {
        let mut ids: Vec<&str> = ids.into_iter().collect();
        ids.sort_unstable();
        ids.dedup();
        let mut digest = Sha256::new();
        for id in ids {
            // Length-prefixed, so no two different sets can feed the same bytes.
            digest.update((id.len() as u64).to_be_bytes());
            digest.update(id.as_bytes());
        }
        let mut hex = String::with_capacity(64);
        for byte in digest.finalize() {
            let _ = write!(hex, "{byte:02x}");
        }
        hex.truncate(KEY_LEN);
        JournalKey(hex)
    }

    /// Reads a key back (from a narration or an API path), if it has the right shape.
    pub fn parse(text: &str) -> Option<JournalKey> {
        let well_formed = text.len() == KEY_LEN
            && text
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
        well_formed.then(|| JournalKey(text.to_owned()))
    }

    /// `key <key>`, as every narration carries it ([`super::narration`]).
    pub fn marker(&self) -> String {
        format!("{}{}", super::narration::MARKER, self.0)
    }

    /// The journal's own key in a narration: the last `key <key>` in it. The narration rule puts
    /// free text from SRM only before the journal's marker, so an earlier `key …` (a division
    /// called "Turkey Creek", another journal's key) is never taken for it.
    pub fn last_in(narration: &str) -> Option<JournalKey> {
        let marker = super::narration::MARKER;
        narration.rmatch_indices(marker).find_map(|(at, _)| {
            let start = at + marker.len();
            narration
                .get(start..start + KEY_LEN)
                .and_then(JournalKey::parse)
        })
    }

    /// The key's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JournalKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// In the OpenAPI document: 20 lower-case hex characters.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for JournalKey {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some("^[0-9a-f]{20}$"))
            .description(Some(
                "The journal key, derived from the journal's posting ids",
            ))
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for JournalKey {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_depends_on_the_set_not_the_order() {
        let a = JournalKey::from_posting_ids(["GL-1", "GL-2", "GL-3"]);
        let b = JournalKey::from_posting_ids(["GL-3", "GL-1", "GL-2", "GL-1"]);
        assert_eq!(a, b);
        assert_ne!(a, JournalKey::from_posting_ids(["GL-1", "GL-2"]));
        // Concatenations that would collide without the length prefix.
        assert_ne!(
            JournalKey::from_posting_ids(["ab", "c"]),
            JournalKey::from_posting_ids(["a", "bc"])
        );
        assert_eq!(a.as_str().len(), 20);
    }

    #[test]
    fn the_key_is_found_again_in_a_narration() {
        let key = JournalKey::from_posting_ids(["GL-1"]);
        let other = JournalKey::from_posting_ids(["GL-2"]);
        let narration = format!(
            "SRM daily close 2019-08-19 · Division Turkey Creek key {other} · export 12 · key {key}"
        );
        assert_eq!(JournalKey::last_in(&narration), Some(key.clone()));
        assert_eq!(
            JournalKey::last_in(&format!("{narration} · key 123")),
            Some(key)
        );
        assert_eq!(JournalKey::last_in("key 123"), None);
        assert_eq!(JournalKey::last_in("κey ключ key"), None);
    }
}
