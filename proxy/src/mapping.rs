//! The tenant's mapping settings: read by any caller, changed by admins only, checked on save
//! against the live reference data, every version kept with who saved it and when. A change names
//! the version it was made from; a stale one is refused (optimistic concurrency).

use rusqlite::{OptionalExtension as _, params};
use srm_xero_shared::MappingSettings;
use srm_xero_shared::api::{MappingDocument, MappingHistoryEntry};
use srm_xero_shared::mapping::DimensionMap;
use srm_xero_shared::validate::ReferenceIndex;
use srm_xero_shared::xero::reference::ReferenceData;

use crate::AppState;
use crate::auth::Caller;
use crate::error::AppError;

fn u64_of(v: i64) -> u64 {
    u64::try_from(v).unwrap_or_default()
}

/// The current settings (the defaults, version 0, before the first save).
pub async fn current(state: &AppState) -> Result<MappingDocument, AppError> {
    let row = state
        .db()
        .read(|c| {
            c.query_row(
                "SELECT version, settings, changed_by, changed_at FROM mapping_version
             ORDER BY version DESC LIMIT 1",
                [],
                |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, chrono::DateTime<chrono::Utc>>(3)?,
                    ))
                },
            )
            .optional()
        })
        .await?;
    let Some((version, settings, by, at)) = row else {
        return Ok(MappingDocument {
            settings: MappingSettings::default(),
            version: 0,
            updated_by: None,
            updated_at: None,
        });
    };
    Ok(MappingDocument {
        settings: serde_json::from_str(&settings)
            .map_err(|e| AppError::internal(format!("stored mapping: {e}")))?,
        version: u64_of(version),
        updated_by: Some(by),
        updated_at: Some(at),
    })
}

/// Every saved version, newest first.
pub async fn history(state: &AppState) -> Result<Vec<MappingHistoryEntry>, AppError> {
    let rows = state
        .db()
        .read(|c| {
            let mut statement = c.prepare(
                "SELECT version, settings, changed_by, changed_at FROM mapping_version
             ORDER BY version DESC",
            )?;
            statement
                .query_map([], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, chrono::DateTime<chrono::Utc>>(3)?,
                    ))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .await?;
    rows.into_iter()
        .map(|(version, settings, changed_by, changed_at)| {
            Ok(MappingHistoryEntry {
                version: u64_of(version),
                settings: serde_json::from_str(&settings)
                    .map_err(|e| AppError::internal(format!("stored mapping: {e}")))?,
                changed_by,
                changed_at,
            })
        })
        .collect()
}

/// Everything in `settings` that the organisation does not have, in words.
pub fn unknown_references(settings: &MappingSettings, reference: &ReferenceData) -> Vec<String> {
    let index = ReferenceIndex::new(reference);
    let mut problems = Vec::new();
    let mut account = |code: &str, role: String| match index.account(code) {
        None => problems.push(format!("{role}: Xero account {code} does not exist")),
        Some(a) if a.status() != "ACTIVE" => problems.push(format!(
            "{role}: Xero account {code} is {}",
            a.status().to_lowercase()
        )),
        Some(_) => {}
    };
    for rule in &settings.accounts {
        let role = match &rule.division {
            Some(d) => format!("SRM account {} (division {d})", rule.srm_account),
            None => format!("SRM account {}", rule.srm_account),
        };
        account(&rule.xero_code, role);
    }
    for code in settings.tax_types.keys() {
        account(code, "tax type setting".to_owned());
    }
    if let Some(code) = &settings.rounding.account {
        account(code, "rounding account".to_owned());
    }
    for (tax_code, tax_type) in &settings.tax_types {
        if !reference.tax_rates.iter().any(|t| &t.tax_type == tax_type) {
            problems.push(format!(
                "account {tax_code}: tax type {tax_type} does not exist in Xero"
            ));
        }
    }
    let mut dimension = |what: &str, map: &DimensionMap| {
        let category = reference
            .tracking_categories
            .iter()
            .find(|c| c.name.eq_ignore_ascii_case(&map.category));
        let Some(category) = category else {
            problems.push(format!(
                "{what} tracking: category {:?} does not exist in Xero",
                map.category
            ));
            return;
        };
        for (value, option) in &map.options {
            let found = category
                .options
                .iter()
                .find(|o| o.name.eq_ignore_ascii_case(option));
            match found {
                None => problems.push(format!(
                    "{what} {value}: tracking option {option:?} does not exist in category {:?}",
                    category.name
                )),
                Some(o) if o.status.as_deref().is_some_and(|s| s != "ACTIVE") => {
                    problems.push(format!(
                        "{what} {value}: tracking option {option:?} is not active"
                    ));
                }
                Some(_) => {}
            }
        }
    };
    if let Some(map) = &settings.tracking.division {
        dimension("division", map);
    }
    if let Some(map) = &settings.tracking.store {
        dimension("store", map);
    }
    problems
}

/// Saves a change made from `from_version` by `caller`, after the checks.
pub async fn change(
    state: &AppState,
    caller: &Caller,
    settings: MappingSettings,
    from_version: u64,
) -> Result<MappingDocument, AppError> {
    let own: Vec<String> = settings.check().iter().map(ToString::to_string).collect();
    if !own.is_empty() {
        return Err(AppError::Invalid(own.join("; ")));
    }
    let now_current = current(state).await?;
    if now_current.version != from_version {
        return Err(stale(&now_current, from_version));
    }
    // Checked against the live data: re-read (cheaply, with If-Modified-Since) before saving.
    let snapshot = crate::reference::snapshot(state, true).await?;
    let unknown = unknown_references(&settings, &snapshot.reference);
    if !unknown.is_empty() {
        return Err(AppError::Invalid(format!(
            "the mapping names what the Xero organisation does not have: {}",
            unknown.join("; ")
        )));
    }
    let text = serde_json::to_string(&settings).map_err(AppError::internal)?;
    let now = state.now();
    let next = i64::try_from(from_version + 1).map_err(AppError::internal)?;
    let (name, sub) = (caller.name.clone(), caller.sub.clone());
    let saved = state
        .db()
        .write(move |c| {
            let tx = c.transaction()?;
            let latest: i64 = tx.query_row(
                "SELECT COALESCE(MAX(version), 0) FROM mapping_version",
                [],
                |r| r.get(0),
            )?;
            if latest + 1 != next {
                return Ok(false);
            }
            tx.execute(
            "INSERT INTO mapping_version (version, settings, changed_by, changed_by_sub, changed_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![next, text, name, sub, now],
        )?;
            tx.commit()?;
            Ok::<_, rusqlite::Error>(true)
        })
        .await?;
    if !saved {
        return Err(stale(&current(state).await?, from_version));
    }
    tracing::info!(version = next, by = %caller.name, "mapping settings changed");
    current(state).await
}

fn stale(current: &MappingDocument, from: u64) -> AppError {
    AppError::Conflict(format!(
        "the mapping changed since version {from}: it is at version {} (by {}); reload and apply your change again",
        current.version,
        current.updated_by.as_deref().unwrap_or("nobody")
    ))
}
