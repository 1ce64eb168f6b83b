//! Xero's answer to a call, matched to journals by the key in each element's Narration (never by
//! position: whether Xero keeps the request's order is unconfirmed, XERO.md), then recorded.

use std::collections::HashMap;

use srm_xero_shared::JournalKey;
use srm_xero_shared::xero::{ManualJournal, ManualJournals};

use super::Ctx;
use crate::ledger::Claimed;
use crate::ledger::write::{Outcome, settle};

/// What one answer element says about its journal (`None`: nothing usable).
pub fn judge(element: &ManualJournal) -> Option<Outcome> {
    let messages = |list: &[srm_xero_shared::xero::ValidationError]| {
        list.iter().map(|m| m.message.clone()).collect::<Vec<_>>()
    };
    match element
        .status_attribute_string
        .as_deref()
        .map(str::to_ascii_uppercase)
        .as_deref()
    {
        Some("ERROR") => {
            let mut all = messages(&element.validation_errors);
            if all.is_empty() {
                all.push("Xero refused the journal without a message".to_owned());
            }
            Some(Outcome::Failed(all))
        }
        Some("OK" | "WARNING") | None => {
            element.manual_journal_id.clone().map(|id| Outcome::Posted {
                xero_id: id,
                warnings: messages(&element.warnings),
                how: "posted to Xero".to_owned(),
            })
        }
        Some(_) => None,
    }
}

/// Records a 2xx answer; answers the journals it says nothing clear about.
pub(crate) fn apply(ctx: &Ctx, batch: &[Claimed], body: &[u8]) -> Vec<Claimed> {
    let answer: ManualJournals = match serde_json::from_slice(body) {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(error = %e, "Xero's answer does not parse; looking the journals up");
            return batch.to_vec();
        }
    };
    let mut by_key: HashMap<JournalKey, Outcome> = HashMap::new();
    for element in &answer.manual_journals {
        if let (Some(key), Some(outcome)) =
            (JournalKey::find_in(&element.narration), judge(element))
        {
            by_key.insert(key, outcome);
        }
    }
    let mut unknown = Vec::new();
    let mut known = Vec::new();
    for journal in batch {
        match by_key.remove(&journal.planned.key) {
            Some(outcome) => known.push((journal, outcome)),
            None => unknown.push(journal.clone()),
        }
    }
    record_each(ctx, &known);
    unknown
}

/// Records the same kind of outcome for every journal of `batch`.
pub(crate) fn record(ctx: &Ctx, batch: &[Claimed], outcome: impl Fn(&Claimed) -> Outcome) {
    let all: Vec<_> = batch.iter().map(|j| (j, outcome(j))).collect();
    record_each(ctx, &all);
}

pub(crate) fn record_each(ctx: &Ctx, outcomes: &[(&Claimed, Outcome)]) {
    let now = ctx.state.now();
    let mut settled = 0;
    for (journal, outcome) in outcomes {
        if let Err(e) = ctx
            .state
            .db()
            .with(|c| settle(c, ctx.hub().tally(), journal, outcome, now))
        {
            // The journal stays `posting`: the next start-up looks it up in Xero.
            tracing::error!(error = %e, key = %journal.planned.key, "cannot record an outcome");
        }
        if !matches!(outcome, Outcome::Requeue(_)) {
            settled += 1;
        }
    }
    ctx.hub().settled(now, settled);
    ctx.hub().changed();
}

#[cfg(test)]
mod tests {
    use super::*;
    use srm_xero_shared::xero::ValidationError;

    fn element(status: &str, id: Option<&str>, errors: &[&str]) -> ManualJournal {
        ManualJournal {
            status_attribute_string: Some(status.into()),
            manual_journal_id: id.map(Into::into),
            validation_errors: errors
                .iter()
                .map(|m| ValidationError {
                    message: (*m).into(),
                })
                .collect(),
            ..ManualJournal::default()
        }
    }

    #[test]
    fn each_element_is_judged_by_its_own_status() {
        assert!(matches!(
            judge(&element("OK", Some("id-1"), &[])),
            Some(Outcome::Posted { xero_id, .. }) if xero_id == "id-1"
        ));
        assert!(matches!(
            judge(&element("WARNING", Some("id-2"), &[])),
            Some(Outcome::Posted { .. })
        ));
        assert_eq!(
            judge(&element(
                "ERROR",
                None,
                &["The total debits (1.00) must equal total credits (-2.00)"]
            )),
            Some(Outcome::Failed(vec![
                "The total debits (1.00) must equal total credits (-2.00)".into()
            ]))
        );
        assert_eq!(judge(&element("OK", None, &[])), None, "no id: look it up");
    }
}
