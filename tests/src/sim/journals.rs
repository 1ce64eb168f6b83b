//! `/ManualJournals`: PUT and POST create (POST also updates by `ManualJournalID`), with
//! `summarizeErrors` both ways and `Idempotency-Key`; GET lists (with `where` and `page`) and GET
//! by id.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use serde_json::json;

use super::config::ElementOrder;
use super::gate::{self, Need};
use super::idempotency::{self, Answer, Lookup, MAX_KEY_LEN};
use super::journal_wire::{JournalOut, parse_body, refused_out, stored_out};
use super::model::StoredJournal;
use super::rules;
use super::state::{Shared, SimState};
use super::wire::{self, header_text, json_answer};
use crate::rng::SplitMix64;

type Params = HashMap<String, String>;

fn summarize(params: &Params) -> bool {
    // Xero's default is to summarise (one bad element fails the call).
    params
        .get("summarizeErrors")
        .is_none_or(|v| !v.eq_ignore_ascii_case("false"))
}

/// `PUT` and `POST /ManualJournals`.
pub async fn create(
    State(sim): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Query(params): Query<Params>,
    body: Bytes,
) -> Response {
    let admitted = match gate::admit(&sim, &headers, &method, Need::JournalsWrite).await {
        Ok(a) => a,
        Err(refused) => return refused,
    };
    let key = header_text(&headers, "idempotency-key").map(str::to_owned);
    let answer = {
        let mut state = sim.lock();
        let now = sim.clock.now();
        let tenant = admitted.tenant.clone();
        let print = idempotency::fingerprint(
            method.as_str(),
            uri.path_and_query().map_or("", |p| p.as_str()),
            &body,
        );
        let lookup = match &key {
            Some(k) if k.len() > MAX_KEY_LEN => Some(Answer {
                status: 400,
                body: json!({"Title":"Bad Request","Status":400,"Detail":format!("Idempotency-Key must be at most {MAX_KEY_LEN} characters")}).to_string(),
            }),
            Some(k) => match state.idempotency.lookup(&tenant, k, print, now) {
                Lookup::Replay(answer) => Some(answer),
                Lookup::Mismatch => Some(Answer {
                    status: 400,
                    body: json!({"Title":"Bad Request","Status":400,"Detail":"The Idempotency-Key has already been used with a different request"}).to_string(),
                }),
                Lookup::New => None,
            },
            None => None,
        };
        lookup.unwrap_or_else(|| {
            let answer = handle_create(
                &mut state,
                &tenant,
                &body,
                &params,
                method == Method::POST,
                key.as_deref(),
                now,
            );
            if let Some(k) = &key {
                let window = state.settings.idempotency_window;
                state
                    .idempotency
                    .remember(&tenant, k, print, answer.clone(), now, window);
            }
            answer
        })
    };
    sim.bump();
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    admitted.finish(json_answer(status, answer.body))
}

fn handle_create(
    state: &mut SimState,
    tenant: &str,
    body: &[u8],
    params: &Params,
    is_post: bool,
    key: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Answer {
    let journals = match parse_body(body) {
        Ok(j) => j,
        Err(e) => {
            return Answer {
                status: 400,
                body: json!({"ErrorNumber":14,"Type":"PostDataInvalidException","Message":format!("JSON for post data was invalid, {e}")}).to_string(),
            };
        }
    };
    let Some(org) = state.org(tenant).cloned() else {
        return Answer {
            status: 404,
            body: String::new(),
        };
    };
    let settings = state.settings.clone();
    let today = now.date_naive();
    let mut outs: Vec<(JournalOut, bool)> = Vec::new();
    let mut valid: Vec<(usize, StoredJournal, Vec<String>)> = Vec::new();
    for (index, journal) in journals.iter().enumerate() {
        let mut checked = rules::check(journal, &org, &settings, today);
        let existing = journal.ManualJournalID.as_deref().filter(|_| is_post);
        if let Some(id) = existing
            && !state
                .journals
                .iter()
                .any(|j| j.tenant_id == tenant && j.manual_journal_id.eq_ignore_ascii_case(id))
        {
            checked
                .errors
                .push(format!("ManualJournal '{id}' could not be found."));
        }
        if checked.errors.is_empty() {
            let stored = StoredJournal {
                tenant_id: tenant.to_owned(),
                manual_journal_id: existing.map_or_else(|| state.rng.uuid(), str::to_lowercase),
                narration: journal.Narration.clone().unwrap_or_default(),
                date: checked.date.unwrap_or(today),
                status: checked.status,
                line_amount_types: checked.line_amount_types,
                url: journal.Url.clone(),
                show_on_cash_basis_reports: journal.ShowOnCashBasisReports,
                lines: checked.lines,
                created: now,
                updated: now,
                idempotency_key: key.map(str::to_owned),
            };
            outs.push((stored_out(&stored, true, &checked.warnings), true));
            valid.push((index, stored, checked.warnings));
        } else {
            outs.push((
                refused_out(journal, &checked.errors, &checked.warnings),
                false,
            ));
        }
    }
    let any_error = outs.iter().any(|(_, ok)| !ok);
    if summarize(params) && any_error {
        // Reported quirk: the valid journals of a summarised 400 were created anyway, without IDs.
        if settings.save_valid_in_failed_batch {
            for (_, journal, _) in valid {
                save(state, journal);
            }
        }
        let elements: Vec<JournalOut> = outs
            .into_iter()
            .filter(|(_, ok)| !ok)
            .map(|(o, _)| o)
            .collect();
        let body = format!(
            "{{\"ErrorNumber\":10,\"Type\":\"ValidationException\",\"Message\":\"A validation exception occurred\",\"Elements\":{}}}",
            serde_json::to_string(&elements).unwrap_or_default()
        );
        return Answer { status: 400, body };
    }
    for (_, journal, _) in valid {
        save(state, journal);
    }
    let mut elements: Vec<JournalOut> = outs.into_iter().map(|(o, _)| o).collect();
    reorder(&mut elements, settings.element_order);
    let id = state.rng.uuid();
    Answer {
        status: 200,
        body: wire::envelope(
            &id,
            now,
            "ManualJournals",
            &serde_json::to_string(&elements).unwrap_or_default(),
        ),
    }
}

fn save(state: &mut SimState, journal: StoredJournal) {
    if let Some(old) = state
        .journals
        .iter_mut()
        .find(|j| j.manual_journal_id == journal.manual_journal_id)
    {
        let created = old.created;
        *old = StoredJournal { created, ..journal };
    } else {
        state.journals.push(journal);
    }
}

fn reorder<T>(items: &mut [T], order: ElementOrder) {
    match order {
        ElementOrder::AsSent => {}
        ElementOrder::Reversed => items.reverse(),
        ElementOrder::Shuffled(seed) => {
            // Fisher-Yates with our own PRNG: the same seed gives the same order forever.
            let mut rng = SplitMix64::new(seed);
            for i in (1..items.len()).rev() {
                let j = usize::try_from(rng.range(0, i64::try_from(i).unwrap_or(0))).unwrap_or(0);
                items.swap(i, j);
            }
        }
    }
}

/// A parsed `where` clause.
enum Filter {
    All,
    NarrationEquals(String),
    NarrationContains(String),
}

fn parse_where(text: Option<&String>) -> Result<Filter, String> {
    let Some(text) = text.map(|t| t.trim()).filter(|t| !t.is_empty()) else {
        return Ok(Filter::All);
    };
    if let Some(rest) = text.strip_prefix("Narration==") {
        return quoted(rest).map(Filter::NarrationEquals);
    }
    if let Some(rest) = text
        .strip_prefix("Narration.Contains(")
        .and_then(|r| r.strip_suffix(')'))
    {
        return quoted(rest).map(Filter::NarrationContains);
    }
    Err(format!(
        "The where clause '{text}' is not supported by the simulator"
    ))
}

fn quoted(text: &str) -> Result<String, String> {
    let inner = text
        .trim()
        .strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'));
    inner
        .map(|t| t.replace("\\\"", "\""))
        .ok_or_else(|| format!("Expected a quoted string, got {text}"))
}

/// `GET /ManualJournals?where=…&page=N`
pub async fn list(
    State(sim): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    let admitted = match gate::admit(&sim, &headers, &Method::GET, Need::JournalsRead).await {
        Ok(a) => a,
        Err(refused) => return refused,
    };
    let answer = match parse_where(params.get("where")) {
        Err(message) => json_answer(
            StatusCode::BAD_REQUEST,
            json!({"ErrorNumber":16,"Type":"QueryParseException","Message":message}).to_string(),
        ),
        Ok(filter) => {
            let mut state = sim.lock();
            let page: Option<usize> = params.get("page").and_then(|p| p.parse().ok());
            let size = state.settings.page_size.max(1);
            let matching: Vec<&StoredJournal> = state
                .journals
                .iter()
                .filter(|j| j.tenant_id == admitted.tenant)
                .filter(|j| match &filter {
                    Filter::All => true,
                    Filter::NarrationEquals(n) => &j.narration == n,
                    Filter::NarrationContains(n) => j.narration.contains(n.as_str()),
                })
                .collect();
            let item_count = matching.len();
            // Without `page` Xero lists every journal but leaves `JournalLines` empty.
            let shown: Vec<JournalOut> = match page {
                None => matching.iter().map(|j| stored_out(j, false, &[])).collect(),
                Some(p) => matching
                    .iter()
                    .skip(p.max(1).saturating_sub(1) * size)
                    .take(size)
                    .map(|j| stored_out(j, true, &[]))
                    .collect(),
            };
            let shown = shown
                .into_iter()
                .map(|mut o| {
                    o.StatusAttributeString = None;
                    o
                })
                .collect::<Vec<_>>();
            let id = state.rng.uuid();
            let mut body = wire::envelope(
                &id,
                sim.clock.now(),
                "ManualJournals",
                &serde_json::to_string(&shown).unwrap_or_default(),
            );
            if let Some(p) = page {
                let pagination = json!({"page": p.max(1), "pageSize": size, "pageCount": item_count.div_ceil(size), "itemCount": item_count});
                body.pop();
                let _ = write!(body, ",\"pagination\":{pagination}}}");
            }
            json_answer(StatusCode::OK, body)
        }
    };
    admitted.finish(answer)
}

/// `GET /ManualJournals/{id}`
pub async fn by_id(
    State(sim): State<Arc<Shared>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let admitted = match gate::admit(&sim, &headers, &Method::GET, Need::JournalsRead).await {
        Ok(a) => a,
        Err(refused) => return refused,
    };
    let answer = {
        let mut state = sim.lock();
        let found = state
            .journals
            .iter()
            .find(|j| {
                j.tenant_id == admitted.tenant && j.manual_journal_id.eq_ignore_ascii_case(&id)
            })
            .map(|j| {
                let mut out = stored_out(j, true, &[]);
                out.StatusAttributeString = None;
                out
            });
        match found {
            None => wire::not_found(),
            Some(out) => {
                let envelope_id = state.rng.uuid();
                let items = serde_json::to_string(&[out]).unwrap_or_default();
                json_answer(
                    StatusCode::OK,
                    wire::envelope(&envelope_id, sim.clock.now(), "ManualJournals", &items),
                )
            }
        }
    };
    admitted.finish(answer)
}
