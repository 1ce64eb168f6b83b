//! Accept of a close of any size: a draft, the postings in pieces that each fit the proxy's
//! body limit (sent again once when no answer came: the proxy takes a piece sent twice once),
//! then the accepted journals. Nothing is an export until the proxy made it of all the pieces;
//! a refused Accept deletes its draft.

use std::rc::Rc;

use chrono::NaiveDate;
use srm_xero_shared::api::{DraftAccept, DraftPiece, NewDraft, PIECE_BYTES, PIECE_POSTINGS};
use srm_xero_shared::{JournalKey, Posting};

use super::Effects;
use crate::api::{Backend, Failure, FailureKind};
use crate::state::{Action, Area};

/// `postings` cut into pieces of at most [`PIECE_POSTINGS`] postings and about [`PIECE_BYTES`]
/// of JSON (a posting with long free text makes its piece shorter).
pub fn pieces(postings: Vec<Posting>) -> Vec<Vec<Posting>> {
    let mut out: Vec<Vec<Posting>> = Vec::new();
    let mut bytes = 0;
    for posting in postings {
        // Its JSON's length, and a comma.
        let size = serde_json::to_vec(&posting).map_or(0, |b| b.len()) + 1;
        match out.last_mut() {
            Some(piece)
                if piece.len() < PIECE_POSTINGS
                    && (piece.is_empty() || bytes + size <= PIECE_BYTES) =>
            {
                bytes += size;
                piece.push(posting);
            }
            _ => {
                bytes = size;
                out.push(vec![posting]);
            }
        }
    }
    out
}

/// Sends one piece; again once when no answer came (the first may have been stored).
async fn send(backend: &Rc<dyn Backend>, draft: &str, piece: Vec<Posting>) -> Result<(), Failure> {
    let sent = backend
        .send_piece(
            draft.to_owned(),
            DraftPiece {
                postings: piece.clone(),
            },
        )
        .await;
    match sent {
        Err(f) if f.kind == FailureKind::ProxyDown => backend
            .send_piece(draft.to_owned(), DraftPiece { postings: piece })
            .await
            .map(drop),
        other => other.map(drop),
    }
}

impl Effects {
    /// Accept: the proxy stores export #N of these postings and journals, the popup opens on
    /// it, and the feed is planned again without the postings it took.
    pub fn accept(
        &self,
        from: NaiveDate,
        postings: Vec<Posting>,
        journals: Vec<JournalKey>,
        feed_ids: Vec<String>,
    ) {
        self.dispatch(Action::Accepting);
        let effects = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            let backend = Rc::clone(&effects.backend);
            let draft = match backend.new_draft(NewDraft { from }).await {
                Ok(created) => created.draft,
                Err(f) => return effects.fail(Area::Export, f),
            };
            let total = postings.len();
            let mut sent = 0;
            for piece in pieces(postings) {
                let size = piece.len();
                if let Err(f) = send(&backend, &draft, piece).await {
                    let _ = backend.discard_draft(draft).await;
                    return effects.fail(Area::Export, f);
                }
                sent += size;
                effects.dispatch(Action::AcceptSent(sent, total));
            }
            let created = match backend
                .accept_draft(draft.clone(), DraftAccept { journals })
                .await
            {
                Ok(created) => created,
                Err(f) => {
                    let _ = backend.discard_draft(draft).await;
                    return effects.fail(Area::Export, f);
                }
            };
            match backend.export(created.number).await {
                Ok(detail) => {
                    effects.dispatch(Action::ExportOpened(detail));
                    if !feed_ids.is_empty() {
                        effects.read_exported(feed_ids, true, true);
                    }
                }
                Err(f) => effects.fail(Area::Export, f),
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn posting(id: &str, memo: &str) -> Posting {
        serde_json::from_value(serde_json::json!({
            "id": id, "date": "2019-08-19", "account": "1200", "account_description": "A/R",
            "debit": "1.00", "credit": "0", "source": "AR", "reference": "INV-1", "memo": memo,
        }))
        .unwrap()
    }

    #[test]
    fn pieces_hold_every_posting_once_in_order_within_both_bounds() {
        let many: Vec<Posting> = (0..12_001)
            .map(|n| posting(&format!("GL-{n}"), ""))
            .collect();
        let cut = pieces(many.clone());
        assert_eq!(
            cut.iter().map(Vec::len).collect::<Vec<_>>(),
            [PIECE_POSTINGS, PIECE_POSTINGS, 2_001]
        );
        assert_eq!(cut.concat(), many);
        // Long free text: fewer postings a piece, each piece's JSON under the bound.
        let long = "x".repeat(100_000);
        let wordy: Vec<Posting> = (0..30)
            .map(|n| posting(&format!("GL-{n}"), &long))
            .collect();
        let cut = pieces(wordy.clone());
        assert!(cut.len() > 1);
        for piece in &cut {
            let json = serde_json::to_vec(&DraftPiece {
                postings: piece.clone(),
            })
            .unwrap();
            assert!(json.len() <= PIECE_BYTES + 64, "{} bytes", json.len());
        }
        assert_eq!(cut.concat(), wordy);
        assert!(pieces(Vec::new()).is_empty());
    }
}
