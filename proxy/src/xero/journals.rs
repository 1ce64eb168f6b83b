//! Reading manual journals in bulk: pages of `GET /ManualJournals?where=…&page=N` (a page holds
//! up to 100 journals, with their lines), optionally `If-Modified-Since`, each page taking its
//! slot of the one pacer. The worker's look-ups ([`crate::worker::lookup`]) page the same way;
//! [`read_all`] is for a person's request: it waits for Xero's limits only so long, then says so.

use std::time::Duration;

use chrono::{DateTime, Utc};
use secrecy::ExposeSecret as _;
use srm_xero_shared::api::OrganisationRef;
use srm_xero_shared::xero::{ManualJournal, ManualJournals};

use super::{Fetched, XeroError};
use crate::AppState;
use crate::error::AppError;

/// Xero's page size for manual journals.
pub const PAGE: usize = 100;
/// The longest a person's read waits for a slot of the pacer (or a 429's Retry-After).
const SLOT_WAIT: Duration = Duration::from_secs(20);

/// `/api.xro/2.0/ManualJournals?where=…&page=N`, form-encoded.
pub fn list_path(clause: Option<&str>, page: usize) -> String {
    let mut url = reqwest::Url::parse("http://query.invalid/").expect("a valid URL");
    {
        let mut query = url.query_pairs_mut();
        if let Some(clause) = clause {
            query.append_pair("where", clause);
        }
        query.append_pair("page", &page.to_string());
    }
    format!(
        "/api.xro/2.0/ManualJournals?{}",
        url.query().unwrap_or_default()
    )
}

/// Whether a page after `page` exists.
pub fn more_pages(list: &ManualJournals, page: usize) -> bool {
    match &list.pagination {
        Some(p) => p.page_count > u32::try_from(page).unwrap_or(u32::MAX),
        None => list.manual_journals.len() >= PAGE,
    }
}

/// Every journal of `organisation` that `clause` selects (changed since `since`, when given),
/// page after page; more than `max_pages` pages is refused with `too_many`'s words.
pub async fn read_all(
    state: &AppState,
    organisation: &OrganisationRef,
    clause: Option<&str>,
    since: Option<DateTime<Utc>>,
    max_pages: usize,
    too_many: impl Fn(u32) -> String,
) -> Result<Vec<ManualJournal>, AppError> {
    let mut all = Vec::new();
    let mut page = 1;
    loop {
        let list = read_page(state, organisation, &list_path(clause, page), since).await?;
        if let Some(pagination) = &list.pagination
            && usize::try_from(pagination.page_count).unwrap_or(usize::MAX) > max_pages
        {
            return Err(AppError::Invalid(too_many(pagination.item_count)));
        }
        let more = more_pages(&list, page);
        all.extend(list.manual_journals);
        if !more || page >= max_pages {
            return Ok(all);
        }
        page += 1;
    }
}

/// One read for a person: paced, a 429 or an expired token dealt with, waiting for Xero's
/// limits at most [`SLOT_WAIT`].
async fn read_page(
    state: &AppState,
    organisation: &OrganisationRef,
    path: &str,
    since: Option<DateTime<Utc>>,
) -> Result<ManualJournals, AppError> {
    let busy = || {
        AppError::XeroUnavailable(
            "Xero's call limit is in use (posting, or Xero asked to wait): try again in a few \
             minutes"
                .into(),
        )
    };
    let mut refreshed = false;
    loop {
        tokio::time::timeout(SLOT_WAIT, state.hub().pacer().slot(state))
            .await
            .map_err(|_| busy())?;
        let (access, tenant) = state.connections().access().await?;
        if tenant != organisation.tenant_id {
            return Err(AppError::Conflict(format!(
                "{} is no longer the organisation connected",
                organisation.name
            )));
        }
        match state
            .xero()
            .get(path, access.expose_secret(), Some(&tenant), since)
            .await
        {
            Ok(Fetched::Body(body)) => {
                return serde_json::from_slice(&body).map_err(|e| {
                    AppError::XeroUnavailable(format!("Xero's journals do not parse: {e}"))
                });
            }
            Ok(Fetched::NotModified) => return Ok(ManualJournals::default()),
            Err(XeroError::RateLimited {
                retry_after,
                problem,
            }) => {
                state
                    .hub()
                    .pacer()
                    .rate_limited(state.now(), retry_after, &problem);
                if retry_after > SLOT_WAIT {
                    return Err(busy());
                }
            }
            Err(XeroError::Unauthorized(_)) if !refreshed => {
                refreshed = true;
                state.connections().refresh_after_refusal(&access).await;
            }
            Err(e) => return Err(e.into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_paths_are_form_encoded_and_pages_follow_the_pagination() {
        assert_eq!(
            list_path(Some("Narration.Contains(\"key a\") OR x"), 2),
            "/api.xro/2.0/ManualJournals?where=Narration.Contains%28%22key+a%22%29+OR+x&page=2"
        );
        assert_eq!(list_path(None, 1), "/api.xro/2.0/ManualJournals?page=1");
        let page = |count: u32, items: usize| ManualJournals {
            pagination: (count > 0).then_some(srm_xero_shared::xero::journal::Pagination {
                page: 1,
                page_size: 100,
                page_count: count,
                item_count: 0,
            }),
            manual_journals: vec![ManualJournal::default(); items],
            ..ManualJournals::default()
        };
        assert!(more_pages(&page(3, 100), 2));
        assert!(!more_pages(&page(3, 100), 3));
        // Without pagination, a full page means there may be another.
        assert!(more_pages(&page(0, 100), 1));
        assert!(!more_pages(&page(0, 99), 1));
    }
}
