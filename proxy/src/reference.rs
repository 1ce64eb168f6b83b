//! Xero reference data (accounts, tax rates, tracking categories, the organisation), cached per
//! tenant in SQLite and re-read with `If-Modified-Since`: Xero answers 304 when nothing changed
//! (and `/Accounts` only the accounts changed since), so a refresh costs little.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension as _, params};
use secrecy::ExposeSecret as _;
use srm_xero_shared::api::ReferenceSnapshot;
use srm_xero_shared::xero::reference::{
    Account, Accounts, Organisation, Organisations, ReferenceData, TaxRates, TrackingCategories,
};

use crate::AppState;
use crate::error::AppError;
use crate::xero::{Fetched, XeroError};

const ACCOUNTS: &str = "Accounts";
const TAX_RATES: &str = "TaxRates";
const TRACKING: &str = "TrackingCategories";
const ORGANISATION: &str = "Organisation";

struct Cached {
    body: String,
    fetched_at: DateTime<Utc>,
}

async fn cached(
    state: &AppState,
    tenant: &str,
    resource: &str,
) -> Result<Option<Cached>, AppError> {
    let (tenant, resource) = (tenant.to_owned(), resource.to_owned());
    Ok(state
        .db()
        .read(move |c| {
            c.query_row(
                "SELECT body, fetched_at FROM reference_cache
                 WHERE tenant_id = ?1 AND resource = ?2",
                params![tenant, resource],
                |r| {
                    Ok(Cached {
                        body: r.get(0)?,
                        fetched_at: r.get(1)?,
                    })
                },
            )
            .optional()
        })
        .await?)
}

async fn store(
    state: &AppState,
    tenant: &str,
    resource: &str,
    body: &str,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    let (tenant, resource, body) = (tenant.to_owned(), resource.to_owned(), body.to_owned());
    state
        .db()
        .write(move |c| {
            c.execute(
                "INSERT OR REPLACE INTO reference_cache (tenant_id, resource, body, fetched_at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![tenant, resource, body, at],
            )
        })
        .await?;
    Ok(())
}

fn parse<T: serde::de::DeserializeOwned>(what: &str, bytes: &[u8]) -> Result<T, AppError> {
    serde_json::from_slice(bytes)
        .map_err(|e| AppError::XeroUnavailable(format!("Xero's {what} answer does not parse: {e}")))
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, AppError> {
    serde_json::to_string(value).map_err(AppError::internal)
}

/// Merges accounts changed since the last read into the cached list (matched by id, then code).
fn merge_accounts(mut cached: Vec<Account>, changed: Vec<Account>) -> Vec<Account> {
    for account in changed {
        let same = |a: &Account| match (&a.account_id, &account.account_id) {
            (Some(x), Some(y)) => x == y,
            _ => a.code.is_some() && a.code == account.code,
        };
        match cached.iter_mut().find(|a| same(a)) {
            Some(slot) => *slot = account,
            None => cached.push(account),
        }
    }
    cached
}

/// One resource: the cache, or Xero (with `If-Modified-Since` when cached) when `refresh` or absent.
async fn resource(
    state: &AppState,
    access: &str,
    tenant: &str,
    name: &str,
    refresh: bool,
) -> Result<(String, DateTime<Utc>), AppError> {
    let cache = cached(state, tenant, name).await?;
    if let Some(c) = &cache
        && !refresh
    {
        return Ok((c.body.clone(), c.fetched_at));
    }
    let since = cache.as_ref().map(|c| c.fetched_at);
    let path = format!("/api.xro/2.0/{name}");
    // Xero counts this call in the tenant's minute: it waits for a slot of the one pacer, like
    // the worker's calls, so a refresh never costs an export a 429.
    state.hub().pacer().slot(state).await;
    let now = state.now();
    let fetched = state.xero().get(&path, access, Some(tenant), since).await?;
    let body = match (fetched, cache) {
        (Fetched::NotModified, Some(c)) => c.body,
        (Fetched::NotModified, None) => {
            return Err(XeroError::Other(format!("{name}: 304 without a cached copy")).into());
        }
        (Fetched::Body(bytes), cache) => match name {
            ACCOUNTS => {
                let fresh = parse::<Accounts>(name, &bytes)?.accounts;
                let merged = match cache {
                    Some(c) if since.is_some() => {
                        merge_accounts(serde_json::from_str(&c.body).unwrap_or_default(), fresh)
                    }
                    _ => fresh,
                };
                to_json(&merged)?
            }
            TAX_RATES => to_json(&parse::<TaxRates>(name, &bytes)?.tax_rates)?,
            TRACKING => to_json(&parse::<TrackingCategories>(name, &bytes)?.tracking_categories)?,
            _ => to_json(
                &parse::<Organisations>(name, &bytes)?
                    .organisations
                    .into_iter()
                    .next()
                    .unwrap_or_default(),
            )?,
        },
    };
    store(state, tenant, name, &body, now).await?;
    Ok((body, now))
}

/// The connected organisation's reference data: cached, or read (`refresh`: re-read) from Xero.
pub async fn snapshot(state: &AppState, refresh: bool) -> Result<ReferenceSnapshot, AppError> {
    snapshot_with(state, refresh, refresh).await
}

/// The reference data an export is checked against: cached, but the organisation (its lock
/// dates) read again from Xero (XERO.md: re-read lock dates before every export).
pub async fn for_export(state: &AppState) -> Result<ReferenceSnapshot, AppError> {
    snapshot_with(state, false, true).await
}

async fn snapshot_with(
    state: &AppState,
    refresh: bool,
    refresh_organisation: bool,
) -> Result<ReferenceSnapshot, AppError> {
    let (access, tenant) = state.connections().access().await?;
    let access = access.expose_secret();
    let mut fetched_at = None::<DateTime<Utc>>;
    let mut read = async |name: &str| -> Result<String, AppError> {
        let again = refresh || (refresh_organisation && name == ORGANISATION);
        let (body, at) = resource(state, access, &tenant, name, again).await?;
        fetched_at = Some(fetched_at.map_or(at, |f| f.min(at)));
        Ok(body)
    };
    let accounts = read(ACCOUNTS).await?;
    let tax_rates = read(TAX_RATES).await?;
    let tracking = read(TRACKING).await?;
    let organisation = read(ORGANISATION).await?;
    let broken = |e: serde_json::Error| AppError::internal(format!("reference cache: {e}"));
    let reference = ReferenceData {
        accounts: serde_json::from_str(&accounts).map_err(broken)?,
        tax_rates: serde_json::from_str(&tax_rates).map_err(broken)?,
        tracking_categories: serde_json::from_str(&tracking).map_err(broken)?,
        organisation: serde_json::from_str::<Organisation>(&organisation).map_err(broken)?,
    };
    Ok(ReferenceSnapshot {
        reference,
        fetched_at: fetched_at.unwrap_or_else(|| state.now()),
    })
}
