//! The narration: the mapping's template filled in one pass, so text from SRM (a division, a
//! store) is never read as a placeholder; the rule that keeps a journal's key findable in it; and
//! pairing an echoed narration with the journal it belongs to.
//!
//! The rule: the template holds `key {key}` exactly once, after every other placeholder, and no
//! other `key ` follows it. Free text can then only come before the journal's own marker, so the
//! last `key <key>` in a narration is always the journal's own ([`JournalKey::last_in`]), whatever
//! the division or store says — "Turkey Creek", or another journal's key.

use super::JournalKey;

/// What precedes the key in a narration: `key 7f3a9c…`.
pub const MARKER: &str = "key ";

/// The placeholders a template may use.
const PLACEHOLDERS: [&str; 4] = ["{date}", "{group}", "{export}", "{key}"];

/// The values a template is filled with.
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    /// `{date}`: the posting date.
    pub date: &'a str,
    /// `{group}`: "Division 1", "Store 001", … (free text from SRM).
    pub group: &'a str,
    /// `{export}`: the export number, or "new" in a preview.
    pub export: &'a str,
    /// `{key}`: the journal key.
    pub key: &'a str,
}

impl Fields<'_> {
    fn value(&self, placeholder: &str) -> &str {
        match placeholder {
            "{date}" => self.date,
            "{group}" => self.group,
            "{export}" => self.export,
            _ => self.key,
        }
    }
}

/// The placeholder `template` starts with, if any.
fn placeholder_at(template: &str) -> Option<&'static str> {
    PLACEHOLDERS.into_iter().find(|p| template.starts_with(p))
}

/// Fills `template` in one pass: a value is never searched for placeholders.
pub fn fill(template: &str, fields: &Fields<'_>) -> String {
    let mut out = String::with_capacity(template.len() + fields.group.len() + 32);
    let mut rest = template;
    while let Some(at) = rest.find('{') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        if let Some(p) = placeholder_at(rest) {
            out.push_str(fields.value(p));
            rest = &rest[p.len()..];
        } else {
            out.push('{');
            rest = &rest[1..];
        }
    }
    out.push_str(rest);
    out
}

/// Why a narration template would not keep the journal key findable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// No `key {key}`.
    #[error(
        "the narration template must contain \"key {{key}}\": it is how each journal is found again in Xero"
    )]
    NoMarker,
    /// `{key}` more than once.
    #[error("the narration template must contain {{key}} only once, as \"key {{key}}\"")]
    KeyTwice,
    /// `{date}`, `{group}` or `{export}` after the key.
    #[error(
        "in the narration template, {0} must come before \"key {{key}}\": text from SRM may only precede the key"
    )]
    PlaceholderAfterKey(&'static str),
    /// Another `key ` after the key.
    #[error(
        "the narration template must not say \"key \" again after \"key {{key}}\": the last \"key\" in a narration must be the journal's own"
    )]
    MarkerAfterKey,
}

/// Checks the rule of the module header.
pub fn check_template(template: &str) -> Result<(), TemplateError> {
    let marker = format!("{MARKER}{{key}}");
    let Some(at) = template.find(&marker) else {
        return Err(TemplateError::NoMarker);
    };
    if template.matches("{key}").count() > 1 {
        return Err(TemplateError::KeyTwice);
    }
    let after = &template[at + marker.len()..];
    if let Some(p) = PLACEHOLDERS.into_iter().find(|p| after.contains(p)) {
        return Err(TemplateError::PlaceholderAfterKey(p));
    }
    if after.contains(MARKER) {
        return Err(TemplateError::MarkerAfterKey);
    }
    Ok(())
}

/// One journal of a call, as sent.
#[derive(Debug, Clone, Copy)]
pub struct Sent<'a> {
    /// Its key.
    pub key: &'a JournalKey,
    /// The narration exactly as sent.
    pub narration: &'a str,
}

/// Which sent journal an echoed narration belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pairing {
    /// The journal at this index of the sent list.
    One(usize),
    /// None of them: a protocol anomaly.
    NoMatch,
    /// More than one could be meant (these indexes): a protocol anomaly.
    Ambiguous(Vec<usize>),
}

/// Pairs `echoed` (a narration in Xero's answer) with one of the journals `sent` in that call:
/// the one whose narration it is exactly, else the one sent journal whose marker it carries.
/// Never guesses: no match or several is an anomaly for the caller to resolve another way.
pub fn pair(echoed: &str, sent: &[Sent<'_>]) -> Pairing {
    let exact: Vec<usize> = (0..sent.len())
        .filter(|i| sent[*i].narration == echoed)
        .collect();
    let candidates = if exact.is_empty() {
        (0..sent.len())
            .filter(|i| echoed.contains(&sent[*i].key.marker()))
            .collect()
    } else {
        exact
    };
    match candidates.as_slice() {
        [] => Pairing::NoMatch,
        [one] => Pairing::One(*one),
        _ => Pairing::Ambiguous(candidates),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mapping::DEFAULT_NARRATION;

    fn key(id: &str) -> JournalKey {
        JournalKey::from_posting_ids([id])
    }

    fn narration(template: &str, group: &str, key: &JournalKey) -> String {
        fill(
            template,
            &Fields {
                date: "2019-08-19",
                group,
                export: "12",
                key: key.as_str(),
            },
        )
    }

    #[test]
    fn free_text_is_never_read_as_a_placeholder() {
        let k = key("GL-1");
        let text = narration(DEFAULT_NARRATION, "Division {export} {key}", &k);
        assert_eq!(
            text,
            format!(
                "SRM daily close 2019-08-19 · Division {{export}} {{key}} · export 12 · key {k}"
            )
        );
        assert_eq!(narration("{unknown} {", "g", &k), "{unknown} {");
    }

    #[test]
    fn only_templates_that_keep_the_key_last_pass() {
        assert_eq!(check_template(DEFAULT_NARRATION), Ok(()));
        assert_eq!(
            check_template("key {key} {date}"),
            Err(TemplateError::PlaceholderAfterKey("{date}"))
        );
        assert_eq!(
            check_template("SRM {date} {key}"),
            Err(TemplateError::NoMarker)
        );
        assert_eq!(
            check_template("{key} key {key}"),
            Err(TemplateError::KeyTwice)
        );
        assert_eq!(
            check_template("key {key} (key 1)"),
            Err(TemplateError::MarkerAfterKey)
        );
        assert_eq!(check_template("{group}: key {key}."), Ok(()));
    }

    #[test]
    fn a_division_called_turkey_creek_still_pairs_with_its_journal() {
        let (a, b) = (key("GL-1"), key("GL-2"));
        let na = narration(DEFAULT_NARRATION, "Division Turkey Creek", &a);
        let nb = narration(DEFAULT_NARRATION, &format!("Division key {a}"), &b);
        let sent = [
            Sent {
                key: &a,
                narration: &na,
            },
            Sent {
                key: &b,
                narration: &nb,
            },
        ];
        assert_eq!(pair(&na, &sent), Pairing::One(0));
        assert_eq!(pair(&nb, &sent), Pairing::One(1));
        assert_eq!(pair(&format!("{na} (imported)"), &sent), Pairing::One(0));
        // Carries both markers and is not exactly either: not guessed.
        assert_eq!(
            pair(&format!("{nb}!"), &sent),
            Pairing::Ambiguous(vec![0, 1])
        );
        assert_eq!(pair("something else", &sent), Pairing::NoMatch);
        assert_eq!(JournalKey::last_in(&nb), Some(b));
        assert_eq!(JournalKey::last_in(&na), Some(a));
    }
}
