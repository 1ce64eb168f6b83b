//! Where alerts go, on loopback: a webhook receiver that records each JSON body (and can answer
//! 500, or hold requests until released), and an SMTP sink that accepts mail and keeps it.

use std::sync::{Arc, Mutex};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::sync::watch;

/// What the webhook receiver saw and how it answers.
#[derive(Debug, Default)]
struct Seen {
    /// When each request was answered, by the shared clock.
    answered_at: Vec<chrono::DateTime<chrono::Utc>>,
    /// Bodies it answered 2xx.
    accepted: Vec<Value>,
    /// Requests it answered 500.
    refused: usize,
    /// Requests still to refuse.
    refuse_next: usize,
    /// Hold every request until released.
    holding: bool,
}

/// A webhook on loopback.
#[derive(Clone)]
pub struct Webhook {
    seen: Arc<Mutex<Seen>>,
    clock: srm_xero_tests::sim::SimClock,
    changes: watch::Sender<u64>,
    pub url: String,
}

async fn receive(State(hook): State<Webhook>, Json(body): Json<Value>) -> StatusCode {
    let mut changes = hook.changes.subscribe();
    while hook.seen.lock().unwrap().holding {
        if changes.changed().await.is_err() {
            break;
        }
    }
    let status = {
        let mut seen = hook.seen.lock().unwrap();
        seen.answered_at.push(hook.clock.now());
        if seen.refuse_next > 0 {
            seen.refuse_next -= 1;
            seen.refused += 1;
            StatusCode::INTERNAL_SERVER_ERROR
        } else {
            seen.accepted.push(body);
            StatusCode::OK
        }
    };
    hook.changes.send_modify(|n| *n += 1);
    status
}

impl Webhook {
    /// Starts a receiver that stamps requests with `clock` (the proxy's); its URL has a secret
    /// path, as Slack's do.
    pub async fn start(clock: srm_xero_tests::sim::SimClock) -> Webhook {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!(
            "http://{}/services/T000/B000/hook-secret-path",
            listener.local_addr().unwrap()
        );
        let hook = Webhook {
            seen: Arc::default(),
            clock,
            changes: watch::channel(0).0,
            url,
        };
        let app = axum::Router::new()
            .route("/services/T000/B000/hook-secret-path", post(receive))
            .with_state(hook.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        hook
    }

    /// The clock it stamps requests with.
    pub fn clock(&self) -> srm_xero_tests::sim::SimClock {
        self.clock.clone()
    }

    /// The next `n` requests are answered 500.
    pub fn refuse_next(&self, n: usize) {
        self.seen.lock().unwrap().refuse_next = n;
    }

    /// Holds every request (no answer) until [`Webhook::release`].
    pub fn hold(&self) {
        self.seen.lock().unwrap().holding = true;
    }

    /// Lets held requests be answered.
    pub fn release(&self) {
        self.seen.lock().unwrap().holding = false;
        self.changes.send_modify(|n| *n += 1);
    }

    /// The bodies answered 2xx.
    pub fn accepted(&self) -> Vec<Value> {
        self.seen.lock().unwrap().accepted.clone()
    }

    /// When each request was answered, by the shared clock.
    pub fn answered_at(&self) -> Vec<chrono::DateTime<chrono::Utc>> {
        self.seen.lock().unwrap().answered_at.clone()
    }

    /// Requests answered 500.
    pub fn refused(&self) -> usize {
        self.seen.lock().unwrap().refused
    }

    /// Waits until `done` holds of what it saw, moving `clock` by `step` between looks (so
    /// backoffs judged by the proxy's clock end); at most 30 s of real time.
    pub async fn wait_for(
        &self,
        clock: &srm_xero_tests::sim::SimClock,
        step: std::time::Duration,
        mut done: impl FnMut(&Webhook) -> bool,
    ) {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        let mut changes = self.changes.subscribe();
        while !done(self) {
            assert!(
                std::time::Instant::now() < deadline,
                "the webhook never got there: {} accepted, {} refused",
                self.accepted().len(),
                self.refused()
            );
            clock.advance(step);
            let _ =
                tokio::time::timeout(std::time::Duration::from_millis(50), changes.changed()).await;
        }
    }
}

/// An SMTP server on loopback that accepts every message and keeps its DATA.
#[derive(Clone)]
pub struct SmtpSink {
    mails: Arc<Mutex<Vec<String>>>,
    pub url: String,
}

impl SmtpSink {
    /// Starts the sink; its URL is plain `smtp://` with credentials it ignores.
    pub async fn start() -> SmtpSink {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let sink = SmtpSink {
            mails: Arc::default(),
            url: format!("smtp://alerts:smtp-secret@127.0.0.1:{port}"),
        };
        let mails = Arc::clone(&sink.mails);
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let mails = Arc::clone(&mails);
                tokio::spawn(async move {
                    let _ = converse(socket, &mails).await;
                });
            }
        });
        sink
    }

    /// Every message's DATA.
    pub fn mails(&self) -> Vec<String> {
        self.mails.lock().unwrap().clone()
    }
}

/// One SMTP conversation, as little of the protocol as a client needs to hand over mail.
async fn converse(
    socket: tokio::net::TcpStream,
    mails: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    write.write_all(b"220 sink ESMTP\r\n").await?;
    while let Some(line) = lines.next_line().await? {
        let verb = line
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        let answer: &[u8] = match verb.as_str() {
            "EHLO" | "HELO" => b"250-sink\r\n250 AUTH PLAIN LOGIN\r\n",
            "AUTH" => b"235 ok\r\n",
            "DATA" => {
                write.write_all(b"354 go on\r\n").await?;
                let mut data = String::new();
                while let Some(line) = lines.next_line().await? {
                    if line == "." {
                        break;
                    }
                    data.push_str(&line);
                    data.push('\n');
                }
                mails.lock().unwrap().push(data);
                b"250 kept\r\n"
            }
            "QUIT" => {
                write.write_all(b"221 bye\r\n").await?;
                return Ok(());
            }
            _ => b"250 ok\r\n",
        };
        write.write_all(answer).await?;
    }
    Ok(())
}
