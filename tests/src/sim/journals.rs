//! `/ManualJournals`: PUT and POST create (POST also updates by `ManualJournalID`), with
//! `summarizeErrors` both ways and `Idempotency-Key` (taken when the request arrives, so the same
//! key meanwhile finds it running); GET lists (with `where`, see [`super::query`], `page` and
//! `If-Modified-Since`) and GET by id. What a person does to a journal in Xero afterwards is
//! [`super::person`].

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use serde_json::json;

use super::config::{ElementOrder, KeyInProgress};
use super::faults::FaultKind;
use super::gate::{self, Need};
use super::idempotency::{self, Answer, Lookup, MAX_KEY_LEN};
use super::journal_wire::{JournalOut, parse_body, refused_out, stored_out};
use super::model::StoredJournal;
use super::state::{Shared, SimState};
use super::wire::{self, header_text, json_answer};
use super::{query, rules};
use crate::rng::SplitMix64;

type Params = HashMap<String, String>;

fn summarize(params: &Params) -> bool {
    // Xero's default is to summarise (one bad element fails the call).
    params
        .get("summarizeErrors")
        .is_none_or(|v| !v.eq_ignore_ascii_case("false"))
}

/// One create request, as received.
struct Job {
    tenant: String,
    key: Option<String>,
    print: [u8; 32],
    body: Bytes,
    params: Params,
    is_post: bool,
}

fn answer_of(status: u16, detail: &str) -> Answer {
    Answer {
        status,
        body: json!({"Title": StatusCode::from_u16(status).ok().and_then(|s| s.canonical_reason()), "Status": status, "Detail": detail}).to_string(),
    }
}

/// The request's Idempotency-Key: an answer already (a replay, a refusal, a key still running),
/// or `None` with the key taken for this request from now.
async fn take_key(sim: &Shared, job: &Job) -> Option<Answer> {
    let key = job.key.as_deref()?;
    if key.len() > MAX_KEY_LEN {
        return Some(answer_of(
            400,
            &format!("Idempotency-Key must be at most {MAX_KEY_LEN} characters"),
        ));
    }
    loop {
        let mut events = sim.events.subscribe();
        {
            let mut state = sim.lock();
            let now = sim.clock.now();
            match state.idempotency.lookup(&job.tenant, key, job.print, now) {
                Lookup::Replay(answer) => return Some(answer),
                Lookup::Mismatch => {
                    return Some(answer_of(
                        400,
                        "The Idempotency-Key has already been used with a different request",
                    ));
                }
                Lookup::New => {
                    let window = state.settings.idempotency_window;
                    state
                        .idempotency
                        .begin(&job.tenant, key, job.print, now, window);
                    return None;
                }
                Lookup::Running => {
                    if state.settings.key_in_progress == KeyInProgress::Conflict {
                        return Some(answer_of(
                            409,
                            "A request with this Idempotency-Key is still being processed",
                        ));
                    }
                }
            }
        }
        // Held until the first request is done.
        if events.changed().await.is_err() {
            return Some(answer_of(500, "the simulator is stopping"));
        }
    }
}

/// Handles the request and keeps its answer under its key.
fn run_job(sim: &Shared, job: &Job) -> Answer {
    let answer = {
        let mut state = sim.lock();
        let now = sim.clock.now();
        let answer = handle_create(
            &mut state,
            &job.tenant,
            &job.body,
            &job.params,
            job.is_post,
            job.key.as_deref(),
            now,
        );
        if let Some(key) = &job.key {
            state.idempotency.remember(&job.tenant, key, answer.clone());
        }
        answer
    };
    sim.bump();
    answer
}

/// Waits until the simulator's clock reaches `due` (tests move a frozen clock).
async fn wait_for_clock(sim: &Shared, due: chrono::DateTime<chrono::Utc>) {
    while sim.clock.now() < due {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
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
    let admitted = match gate::check(&sim, &headers, &method, Need::JournalsWrite) {
        Ok(a) => a,
        Err(refused) => return refused,
    };
    let job = Job {
        tenant: admitted.tenant.clone(),
        key: header_text(&headers, "idempotency-key").map(str::to_owned),
        print: idempotency::fingerprint(
            method.as_str(),
            uri.path_and_query().map_or("", |p| p.as_str()),
            &body,
        ),
        body,
        params,
        is_post: method == Method::POST,
    };
    if let Some(answer) = take_key(&sim, &job).await {
        let status =
            StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return admitted.finish(json_answer(status, answer.body));
    }
    if let Some(FaultKind::DropThenSave { after_ms }) = admitted.fault {
        let due = sim.clock.now()
            + chrono::Duration::milliseconds(i64::try_from(after_ms).unwrap_or(i64::MAX));
        let later = Arc::clone(&sim);
        // Still in flight (`admitted` holds the slot) until the call is handled.
        tokio::spawn(async move {
            wait_for_clock(&later, due).await;
            run_job(&later, &job);
            drop(admitted);
        });
        gate::drop_connection();
    }
    // Xero carries on with a call whose client went away (a timeout, a dropped proxy): the call
    // runs in its own task, which the connection's end does not cancel.
    let handling = tokio::spawn({
        let sim = Arc::clone(&sim);
        async move {
            admitted.proceed().await;
            let answer = run_job(&sim, &job);
            (admitted, answer)
        }
    });
    let Ok((admitted, answer)) = handling.await else {
        return json_answer(StatusCode::INTERNAL_SERVER_ERROR, "{}".into());
    };
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
    let mut elements: Vec<JournalOut> = outs
        .into_iter()
        .map(|(mut o, _)| {
            o.Narration = settings.narration_echo.echo(&o.Narration);
            o
        })
        .collect();
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
    let answer = match query::parse(params.get("where").map(String::as_str)) {
        Err(message) => json_answer(
            StatusCode::BAD_REQUEST,
            json!({"ErrorNumber":16,"Type":"QueryParseException","Message":message}).to_string(),
        ),
        Ok(filter) => {
            let mut state = sim.lock();
            let page: Option<usize> = params.get("page").and_then(|p| p.parse().ok());
            let size = state.settings.page_size.max(1);
            let since = wire::modified_since(&headers);
            let list_deleted = state.settings.list_deleted;
            let matching: Vec<&StoredJournal> = state
                .journals
                .iter()
                .filter(|j| j.tenant_id == admitted.tenant)
                .filter(|j| list_deleted || j.status != "DELETED")
                // "Only records created or modified since this timestamp" (the spec).
                .filter(|j| since.is_none_or(|s| j.updated > s))
                .filter(|j| filter.matches(j))
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
