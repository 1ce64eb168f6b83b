//! Xero's answer to a call, paired with the journals the call carried — never by position
//! (whether Xero keeps the request's order is unconfirmed, XERO.md) and never by parsing free
//! text for "the first key": each element pairs with the one sent journal whose narration it is,
//! or whose `key <key>` marker it alone carries ([`srm_xero_shared::plan::narration::pair`]).
//! An element that pairs with none, or could be several, is a protocol anomaly: logged, noted in
//! the journals' histories, and those journals are looked up rather than sent again.

use srm_xero_shared::plan::narration::{Pairing, Sent, pair};
use srm_xero_shared::xero::{ManualJournal, ManualJournals};

use super::Ctx;
use crate::ledger::Claimed;
use crate::ledger::calls::Call;
use crate::ledger::posting::{Outcome, note_each, settle};

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

/// A narration short enough for a log line.
fn shown(narration: &str) -> String {
    let mut text: String = narration.chars().take(120).collect();
    if text.len() < narration.len() {
        text.push('…');
    }
    text
}

/// Records a 2xx answer to `call`; answers the journals it does not settle clearly.
pub(crate) async fn apply(
    ctx: &Ctx,
    call: &Call,
    journals: &[Claimed],
    body: &[u8],
) -> Vec<Claimed> {
    let answer: ManualJournals = match serde_json::from_slice(body) {
        Ok(a) => a,
        Err(e) => {
            tracing::error!(key = %call.key, error = %e, "protocol anomaly: Xero's answer does not parse; looking the journals up");
            note(
                ctx,
                journals,
                &format!(
                    "Xero's answer to the call with Idempotency-Key {} does not parse ({e}): the journal is looked up in Xero, not sent again",
                    call.key
                ),
            )
            .await;
            return journals.to_vec();
        }
    };
    let sent: Vec<Sent<'_>> = journals
        .iter()
        .map(|j| Sent {
            key: &j.planned.key,
            narration: &j.planned.narration,
        })
        .collect();
    let mut hits = vec![0u32; journals.len()];
    let mut outcomes: Vec<Option<Outcome>> = vec![None; journals.len()];
    let mut anomalies = Vec::new();
    for element in &answer.manual_journals {
        match pair(&element.narration, &sent) {
            Pairing::One(i) => {
                hits[i] += 1;
                outcomes[i] = judge(element);
            }
            Pairing::NoMatch => anomalies.push(format!(
                "an element (narration \"{}\") matches no journal of the call",
                shown(&element.narration)
            )),
            Pairing::Ambiguous(candidates) => anomalies.push(format!(
                "an element (narration \"{}\") could be any of {} journals of the call",
                shown(&element.narration),
                candidates.len()
            )),
        }
    }
    let mut known = Vec::new();
    let mut unclear = Vec::new();
    for ((journal, hits), outcome) in journals.iter().zip(hits).zip(outcomes) {
        match (hits, outcome) {
            (1, Some(outcome)) => known.push((journal.clone(), outcome)),
            (0, _) => unclear.push((journal, "the answer has no element for it")),
            (1, None) => unclear.push((journal, "its element has no ManualJournalID")),
            _ => unclear.push((journal, "the answer has several elements for it")),
        }
    }
    if !anomalies.is_empty() || !unclear.is_empty() {
        tracing::error!(
            key = %call.key,
            journals = journals.len(),
            elements = answer.manual_journals.len(),
            unclear = unclear.len(),
            anomalies = ?anomalies,
            "protocol anomaly: Xero's answer does not pair with the call's journals; the unclear ones are looked up"
        );
    }
    record_each(ctx, known).await;
    for (journal, why) in &unclear {
        note(
            ctx,
            std::slice::from_ref(*journal),
            &format!(
                "Xero's answer to the call with Idempotency-Key {} is unclear about this journal ({why}{}): it is looked up in Xero, not sent again",
                call.key,
                if anomalies.is_empty() {
                    String::new()
                } else {
                    format!("; {}", anomalies.join("; "))
                }
            ),
        )
        .await;
    }
    unclear.into_iter().map(|(j, _)| j.clone()).collect()
}

/// Records the same kind of outcome for every journal of `journals`.
pub(crate) async fn record(ctx: &Ctx, journals: &[Claimed], outcome: impl Fn(&Claimed) -> Outcome) {
    let all = journals.iter().map(|j| (j.clone(), outcome(j))).collect();
    record_each(ctx, all).await;
}

/// Records each journal's outcome, in one transaction.
pub(crate) async fn record_each(ctx: &Ctx, outcomes: Vec<(Claimed, Outcome)>) {
    let now = ctx.state.now();
    let settled = outcomes
        .iter()
        .filter(|(_, o)| !matches!(o, Outcome::Requeue(_)))
        .count() as u64;
    let mut exports: Vec<u64> = outcomes.iter().map(|(j, _)| j.export).collect();
    exports.sort_unstable();
    exports.dedup();
    let tally = ctx.hub().tally().clone();
    let recorded = ctx
        .state
        .db()
        .change(move |c, seq| settle(c, &tally, seq, &outcomes, now))
        .await;
    if let Err(e) = recorded {
        // The journals stay `posting`: the next start-up settles their call.
        tracing::error!(error = %e, "cannot record outcomes");
    }
    ctx.hub().settled(now, settled);
    for export in exports {
        alert_if_settled(ctx, export).await;
    }
}

/// An export whose last journal just settled with failed or needs-attention journals raises its
/// alert (once; the alert task delivers it, posting does not wait).
async fn alert_if_settled(ctx: &Ctx, export: u64) {
    match ctx.hub().tally().standing(ctx.state.db(), export).await {
        Ok(Some(standing)) => {
            crate::alerts::export_settled(
                &ctx.state,
                export,
                &standing.counts,
                standing.organisation.as_ref().map(|o| o.name.as_str()),
            )
            .await;
        }
        Ok(None) => {}
        Err(e) => tracing::error!(error = %e, export, "cannot read an export's counts"),
    }
}

/// Adds `what` to each journal's history.
pub(crate) async fn note(ctx: &Ctx, journals: &[Claimed], what: &str) {
    let now = ctx.state.now();
    let ids: Vec<i64> = journals.iter().map(|j| j.id).collect();
    let what = what.to_owned();
    if let Err(e) = ctx
        .state
        .db()
        .write(move |c| note_each(c, &ids, now, &what))
        .await
    {
        tracing::error!(error = %e, "cannot record a journal's history");
    }
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
