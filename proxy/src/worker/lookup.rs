//! Looking journals up in Xero in bulk: one paged `GET /ManualJournals` ([`list_path`]) whose
//! `where` names every journal of a batch (`Narration.Contains("key …") OR …`), matched here by key — never one GET
//! per journal. A journal of Xero's is one of ours when its narration is exactly the one sent, or
//! when its own key (the last marker of its narration) is ours: a journal whose division merely
//! mentions our key is someone else's.

use std::collections::HashMap;
use std::time::Duration;

use secrecy::ExposeSecret as _;
use srm_xero_shared::JournalKey;
use srm_xero_shared::xero::limits::JOURNALS_PER_CALL;
use srm_xero_shared::xero::{ManualJournalStatus, ManualJournals};

use super::Ctx;
use super::pacing::wait_until;
use crate::ledger::Claimed;
use crate::xero::journals::{list_path, more_pages};
use crate::xero::{Fetched, XeroError};

/// The `where` clause naming each journal's marker.
pub fn where_clause(journals: &[Claimed]) -> String {
    journals
        .iter()
        .map(|j| format!("Narration.Contains(\"{}\")", j.planned.key.marker()))
        .collect::<Vec<_>>()
        .join(" OR ")
}

/// Which of `journals` Xero's `list` holds: key → ManualJournalIDs (several: a duplicate).
pub fn matches(journals: &[Claimed], list: &ManualJournals) -> HashMap<JournalKey, Vec<String>> {
    let mut found: HashMap<JournalKey, Vec<String>> = HashMap::new();
    for theirs in &list.manual_journals {
        let Some(id) = &theirs.manual_journal_id else {
            continue;
        };
        // A voided or deleted copy (a journal re-posted after it was voided in Xero carries
        // the same key) is not the journal in Xero.
        if matches!(
            theirs.status,
            Some(ManualJournalStatus::Voided | ManualJournalStatus::Deleted)
        ) {
            continue;
        }
        let own_key = JournalKey::last_in(&theirs.narration);
        let ours = journals.iter().find(|j| {
            theirs.narration == j.planned.narration || own_key.as_ref() == Some(&j.planned.key)
        });
        if let Some(journal) = ours {
            let ids = found.entry(journal.planned.key.clone()).or_default();
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
    }
    found
}

/// Looks `journals` up in `tenant`: their ManualJournalIDs by key (absent: not in Xero).
pub(crate) async fn find(
    ctx: &Ctx,
    tenant: &str,
    journals: &[Claimed],
) -> HashMap<JournalKey, Vec<String>> {
    let mut found = HashMap::new();
    for batch in journals.chunks(JOURNALS_PER_CALL) {
        let clause = where_clause(batch);
        let mut page = 1usize;
        loop {
            let list = get(ctx, tenant, &list_path(Some(&clause), page)).await;
            for (key, ids) in matches(batch, &list) {
                found.entry(key).or_insert_with(Vec::new).extend(ids);
            }
            if !more_pages(&list, page) {
                break;
            }
            page += 1;
        }
    }
    found
}

/// One page, paced and retried until Xero answers it.
async fn get(ctx: &Ctx, tenant: &str, path: &str) -> ManualJournals {
    let mut failures = 0u32;
    loop {
        ctx.pacer().slot(&ctx.state).await;
        let access = ctx.access_to(tenant).await;
        let answer = ctx
            .state
            .xero()
            .get(path, access.expose_secret(), Some(tenant), None)
            .await;
        let problem = match answer {
            Ok(Fetched::Body(body)) => match serde_json::from_slice::<ManualJournals>(&body) {
                Ok(list) => return list,
                Err(e) => format!("the answer does not parse ({e})"),
            },
            Ok(Fetched::NotModified) => "304 without If-Modified-Since".to_owned(),
            Err(XeroError::RateLimited {
                retry_after,
                problem,
            }) => {
                ctx.pacer()
                    .rate_limited(ctx.state.now(), retry_after, &problem);
                continue;
            }
            Err(XeroError::Unauthorized(detail)) => {
                ctx.state.connections().refresh_after_refusal(&access).await;
                format!("unauthorized ({detail})")
            }
            Err(e) => e.to_string(),
        };
        failures += 1;
        tracing::warn!(%problem, failures, "looking journals up in Xero failed; trying again");
        let pause = Duration::from_secs(1 << failures.min(5)).min(Duration::from_secs(30));
        let until = ctx.state.now() + chrono::TimeDelta::from_std(pause).unwrap_or_default();
        wait_until(&ctx.state, until).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use srm_xero_shared::xero::ManualJournal;

    fn claimed(ids: &[&str], group: &str) -> Claimed {
        let mut planned = crate::ledger::write::tests::journal(ids);
        planned.narration = format!("SRM · {group} · key {}", planned.key);
        Claimed {
            id: 1,
            export: 1,
            planned,
            keys_used: 1,
        }
    }

    fn theirs(narration: &str, id: &str) -> ManualJournal {
        ManualJournal {
            narration: narration.into(),
            manual_journal_id: Some(id.into()),
            ..ManualJournal::default()
        }
    }

    #[test]
    fn a_journal_that_only_mentions_our_key_or_is_voided_is_not_ours() {
        let ours = claimed(&["GL-1"], "Division Turkey Creek");
        let other_key = JournalKey::from_posting_ids(["GL-9"]);
        let list = ManualJournals {
            manual_journals: vec![
                // Another journal whose division text holds our marker.
                theirs(
                    &format!(
                        "SRM · Division {} · key {other_key}",
                        ours.planned.key.marker()
                    ),
                    "other",
                ),
                theirs(&ours.planned.narration, "mine"),
                theirs(
                    &format!("{} (edited in Xero)", ours.planned.narration),
                    "mine-too",
                ),
                ManualJournal {
                    status: Some(ManualJournalStatus::Voided),
                    ..theirs(&ours.planned.narration, "voided-copy")
                },
            ],
            ..ManualJournals::default()
        };
        let found = matches(std::slice::from_ref(&ours), &list);
        assert_eq!(found[&ours.planned.key], vec!["mine", "mine-too"]);
        assert_eq!(found.len(), 1);
        let clause = where_clause(std::slice::from_ref(&ours));
        assert_eq!(
            clause,
            format!("Narration.Contains(\"key {}\")", ours.planned.key)
        );
    }
}
