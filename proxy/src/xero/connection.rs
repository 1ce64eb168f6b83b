//! The tenant's Xero connection: the connect flow's pending authorizations, the token set sealed
//! in SQLite, single-flight refresh, proactive refresh, and the "reconnect needed" state.
//!
//! Refresh rules (XERO.md "Tokens"): one refresh in flight per token set — everyone else waits for
//! it and then uses its result; the rotated refresh token is committed to the database before the
//! new access token is handed out; refresh a little before expiry on use, and at least every
//! [`IDLE_REFRESH`] when idle so a quiet tenant never reaches Xero's 60-day limit.

use chrono::{DateTime, Duration, Utc};
use rusqlite::{OptionalExtension as _, params};
use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};
use srm_xero_shared::api::{ConnectionState, ConnectionStatus, OrganisationRef};

use super::attempt::{self, AttemptError};
use super::oauth::{GrantError, OAuth, TokenSet};
use super::{XeroClient, XeroError};
use crate::auth::Caller;
use crate::clock::Clock;
use crate::crypto::Sealer;
use crate::db::Db;

/// Refresh when the access token has less than this left.
pub const REFRESH_MARGIN: Duration = Duration::minutes(2);
/// Refresh at least this often, even when nothing uses the connection.
pub const IDLE_REFRESH: Duration = Duration::days(21);
/// The associated data of the sealed token set.
const TOKENS_PURPOSE: &str = "srm-xero xero_connection.tokens v1";

/// What the callback achieved.
#[derive(Debug, Clone)]
pub struct Finished {
    /// The connection's state now.
    pub status: ConnectionStatus,
}

/// Why the callback could not finish.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CallbackError {
    /// No `state` parameter.
    #[error("Xero's answer has no state; start again from the page")]
    NoState,
    /// Unknown or expired `state`.
    #[error("this connection attempt is unknown or has expired; start again from the page")]
    UnknownState,
    /// The state is not this browser's (no cookie, or another browser's).
    #[error("{0}")]
    OtherBrowser(AttemptError),
    /// Xero sent `error=…` (e.g. the admin pressed Cancel).
    #[error("Xero did not grant access ({0})")]
    Denied(String),
    /// No `code`.
    #[error("Xero's answer has no authorization code")]
    NoCode,
    /// The code exchange or `/connections` failed.
    #[error("connecting failed: {0}")]
    Xero(String),
    /// The consent covered no organisation.
    #[error("no Xero organisation was connected; choose at least one on Xero's page")]
    NoOrganisation,
    /// Storing it failed.
    #[error("internal error")]
    Internal,
}

#[derive(Serialize, Deserialize)]
struct SealedTokens {
    access_token: String,
    refresh_token: String,
    expires_at: DateTime<Utc>,
}

/// The stored connection (its non-secret columns plus the opened token set).
struct Row {
    state: ConnectionState,
    tenant_id: Option<String>,
    tenant_name: Option<String>,
    choices: Vec<OrganisationRef>,
    scopes: Vec<String>,
    tokens: TokenSet,
    last_refreshed_at: DateTime<Utc>,
    connected_by: String,
    message: Option<String>,
}

/// The connection service.
pub struct Connections {
    db: Db,
    sealer: Sealer,
    oauth: OAuth,
    xero: XeroClient,
    clock: Clock,
    /// Held while a refresh is in flight: the single flight.
    refreshing: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for Connections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connections").finish_non_exhaustive()
    }
}

fn state_text(state: ConnectionState) -> &'static str {
    match state {
        ConnectionState::Disconnected => "disconnected",
        ConnectionState::ChoosingOrganisation => "choosing_organisation",
        ConnectionState::Connected => "connected",
        ConnectionState::ReconnectNeeded => "reconnect_needed",
    }
}

fn parse_state(text: &str) -> ConnectionState {
    match text {
        "choosing_organisation" => ConnectionState::ChoosingOrganisation,
        "connected" => ConnectionState::Connected,
        "reconnect_needed" => ConnectionState::ReconnectNeeded,
        _ => ConnectionState::Disconnected,
    }
}

impl Connections {
    /// The service over the database.
    pub fn new(db: Db, sealer: Sealer, oauth: OAuth, xero: XeroClient, clock: Clock) -> Self {
        Connections {
            db,
            sealer,
            oauth,
            xero,
            clock,
            refreshing: tokio::sync::Mutex::new(()),
        }
    }

    fn now(&self) -> DateTime<Utc> {
        (self.clock)()
    }

    fn seal(&self, tokens: &TokenSet) -> Vec<u8> {
        let plain = serde_json::to_vec(&SealedTokens {
            access_token: tokens.access_token.expose_secret().to_owned(),
            refresh_token: tokens.refresh_token.expose_secret().to_owned(),
            expires_at: tokens.expires_at,
        })
        .expect("token set serialises");
        self.sealer.seal(TOKENS_PURPOSE, &plain)
    }

    async fn load(&self) -> Result<Option<Row>, XeroError> {
        let raw = self
            .db
            .read(|c| {
                c.query_row(
                    "SELECT state, tenant_id, tenant_name, choices, scopes, tokens,
                            last_refreshed_at, connected_by, message
                     FROM xero_connection WHERE id = 1",
                    [],
                    |r| {
                        Ok((
                            r.get::<_, String>(0)?,
                            r.get::<_, Option<String>>(1)?,
                            r.get::<_, Option<String>>(2)?,
                            r.get::<_, String>(3)?,
                            r.get::<_, String>(4)?,
                            r.get::<_, Vec<u8>>(5)?,
                            r.get::<_, DateTime<Utc>>(6)?,
                            r.get::<_, String>(7)?,
                            r.get::<_, Option<String>>(8)?,
                        ))
                    },
                )
                .optional()
            })
            .await
            .map_err(|e| XeroError::Other(format!("database: {e}")))?;
        let Some((state, tenant_id, tenant_name, choices, scopes, sealed, refreshed, by, message)) =
            raw
        else {
            return Ok(None);
        };
        let plain = self
            .sealer
            .open(TOKENS_PURPOSE, &sealed)
            .map_err(|e| XeroError::Other(e.to_string()))?;
        let tokens: SealedTokens = serde_json::from_slice(&plain)
            .map_err(|_| XeroError::Other("the stored token set does not parse".into()))?;
        Ok(Some(Row {
            state: parse_state(&state),
            tenant_id,
            tenant_name,
            choices: serde_json::from_str(&choices).unwrap_or_default(),
            scopes: scopes.split_whitespace().map(String::from).collect(),
            tokens: TokenSet {
                access_token: SecretString::from(tokens.access_token),
                refresh_token: SecretString::from(tokens.refresh_token),
                expires_at: tokens.expires_at,
                scopes: Vec::new(),
            },
            last_refreshed_at: refreshed,
            connected_by: by,
            message,
        }))
    }

    /// Where the connection stands, for the component.
    pub async fn status(&self) -> Result<ConnectionStatus, XeroError> {
        let Some(row) = self.load().await? else {
            return Ok(ConnectionStatus {
                state: ConnectionState::Disconnected,
                organisation: None,
                choices: Vec::new(),
                scopes: Vec::new(),
                last_refreshed_at: None,
                connected_by: None,
                message: None,
            });
        };
        let organisation = match (&row.tenant_id, &row.tenant_name) {
            (Some(id), name) => Some(OrganisationRef {
                tenant_id: id.clone(),
                name: name.clone().unwrap_or_default(),
            }),
            (None, _) => None,
        };
        Ok(ConnectionStatus {
            state: row.state,
            organisation,
            choices: if row.state == ConnectionState::ChoosingOrganisation {
                row.choices
            } else {
                Vec::new()
            },
            scopes: row.scopes,
            last_refreshed_at: Some(row.last_refreshed_at),
            connected_by: Some(row.connected_by),
            message: row.message,
        })
    }

    /// Starts a connection for `caller`: stores the attempt and answers its id, which the
    /// admin's browser opens at `/auth/xero/start` ([`Connections::open_attempt`]).
    pub async fn start(&self, caller: &Caller) -> rusqlite::Result<String> {
        let authorization = self.oauth.authorize();
        attempt::store(
            &self.db,
            &self.sealer,
            &authorization,
            &caller.name,
            self.now(),
        )
        .await?;
        Ok(authorization.state)
    }

    /// The admin's browser opens the attempt's link: binds the attempt to that browser (the
    /// answer's secret goes into its cookie) and answers Xero's authorize URL. A reconnect first
    /// revokes the previous grant at Xero, under the refresh lock: Xero's revocation removes
    /// every connection of that Xero user to the app, so it must come before the new consent,
    /// not after it. Until the new consent completes, the connection is "reconnect needed".
    pub async fn open_attempt(&self, id: &str) -> Result<(String, String), OpenError> {
        let url = attempt::unopened(&self.db, id, self.now())
            .await
            .map_err(OpenError::Attempt)?;
        self.revoke_previous()
            .await
            .map_err(OpenError::Revocation)?;
        let secret = attempt::bind(&self.db, id, self.now())
            .await
            .map_err(OpenError::Attempt)?;
        Ok((url, secret))
    }

    /// Revokes the stored grant at Xero (unless Xero has refused it already) and marks the
    /// connection "reconnect needed".
    async fn revoke_previous(&self) -> Result<(), XeroError> {
        let _flight = self.refreshing.lock().await;
        let Some(row) = self.load().await? else {
            return Ok(());
        };
        if row.state == ConnectionState::ReconnectNeeded {
            return Ok(());
        }
        self.oauth
            .revoke(self.xero.http(), &row.tokens.refresh_token)
            .await?;
        self.db
            .write(|c| {
                c.execute(
                    "UPDATE xero_connection SET state = 'reconnect_needed', message = ?1 WHERE id = 1",
                    params![
                        "reconnecting: the previous connection was revoked at Xero; finish connecting in the Xero window"
                    ],
                )
            })
            .await
            .map_err(|e| XeroError::Other(format!("database: {e}")))?;
        tracing::info!("reconnecting: the previous Xero grant was revoked");
        Ok(())
    }

    /// The callback: checks the state against this browser's secret, exchanges the code, reads
    /// `/connections`, stores the sealed token set (under the refresh lock, so a refresh in
    /// flight cannot overwrite the new tokens with the old grant's).
    pub async fn finish(
        &self,
        state: &str,
        browser: Option<&str>,
        code: Option<String>,
        error: Option<String>,
    ) -> Result<Finished, CallbackError> {
        let now = self.now();
        let pending = attempt::take(&self.db, &self.sealer, state, browser, now)
            .await
            .map_err(|e| match e {
                AttemptError::Unknown => CallbackError::UnknownState,
                AttemptError::OtherBrowser => CallbackError::OtherBrowser(e),
                AttemptError::Internal => CallbackError::Internal,
            })?;
        if let Some(error) = error {
            return Err(CallbackError::Denied(error));
        }
        let code = code.ok_or(CallbackError::NoCode)?;
        let tokens = self
            .oauth
            .exchange(self.xero.http(), code, &pending.verifier, now)
            .await
            .map_err(|e| CallbackError::Xero(e.to_string()))?;
        let organisations = self
            .xero
            .connections(
                tokens.access_token.expose_secret(),
                tokens.auth_event_id().as_deref(),
            )
            .await
            .map_err(|e| CallbackError::Xero(e.to_string()))?;
        let choices: Vec<OrganisationRef> = organisations
            .iter()
            .filter(|c| c.tenant_type.as_deref().is_none_or(|t| t == "ORGANISATION"))
            .map(|c| OrganisationRef {
                tenant_id: c.tenant_id.clone(),
                name: c.tenant_name.clone().unwrap_or_default(),
            })
            .collect();
        let (state, chosen) = match choices.as_slice() {
            [] => return Err(CallbackError::NoOrganisation),
            [only] => (ConnectionState::Connected, Some(only.clone())),
            _ => (ConnectionState::ChoosingOrganisation, None),
        };
        let sealed = self.seal(&tokens);
        let choices_json = serde_json::to_string(&choices).map_err(|_| CallbackError::Internal)?;
        let _flight = self.refreshing.lock().await;
        let chosen_tenant = chosen.as_ref().map(|o| o.tenant_id.clone());
        let chosen_name = chosen.as_ref().map(|o| o.name.clone());
        let (scopes, expires_at, started_by) = (
            tokens.scopes.join(" "),
            tokens.expires_at,
            pending.started_by.clone(),
        );
        self.db
            .write(move |c| {
                c.execute(
                    "INSERT OR REPLACE INTO xero_connection
                       (id, state, tenant_id, tenant_name, choices, scopes, tokens, access_expires_at,
                        last_refreshed_at, connected_by, connected_at, message)
                     VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?8, NULL)",
                    params![
                        state_text(state),
                        chosen_tenant,
                        chosen_name,
                        choices_json,
                        scopes,
                        sealed,
                        expires_at,
                        now,
                        started_by,
                    ],
                )
            })
            .await
            .map_err(|e| {
                tracing::error!(error = %e, "storing the connection failed");
                CallbackError::Internal
            })?;
        tracing::info!(
            by = %pending.started_by,
            organisations = choices.len(),
            state = state_text(state),
            "Xero connected"
        );
        let status = self.status().await.map_err(|_| CallbackError::Internal)?;
        Ok(Finished { status })
    }

    /// Picks the organisation while choosing (or switches between the consented ones).
    pub async fn choose(&self, tenant_id: &str) -> Result<ConnectionStatus, ChooseError> {
        let row = self
            .load()
            .await
            .map_err(ChooseError::Xero)?
            .ok_or(ChooseError::NotConnected)?;
        if row.state == ConnectionState::ReconnectNeeded {
            return Err(ChooseError::Xero(XeroError::ReconnectNeeded));
        }
        let choice = row
            .choices
            .into_iter()
            .find(|c| c.tenant_id == tenant_id)
            .ok_or_else(|| ChooseError::UnknownTenant(tenant_id.to_owned()))?;
        self.db
            .write(move |c| {
                c.execute(
                    "UPDATE xero_connection SET state = 'connected', tenant_id = ?1, tenant_name = ?2
                     WHERE id = 1",
                    params![choice.tenant_id, choice.name],
                )
            })
            .await
            .map_err(|e| ChooseError::Xero(XeroError::Other(format!("database: {e}"))))?;
        self.status().await.map_err(ChooseError::Xero)
    }

    /// The organisation journals go to now: the chosen one, while connected (no token is read).
    pub async fn organisation(&self) -> Result<Option<OrganisationRef>, XeroError> {
        let row = self
            .db
            .read(|c| {
                c.query_row(
                    "SELECT tenant_id, tenant_name FROM xero_connection
                     WHERE id = 1 AND state = 'connected'",
                    [],
                    |r| {
                        Ok((
                            r.get::<_, Option<String>>(0)?,
                            r.get::<_, Option<String>>(1)?,
                        ))
                    },
                )
                .optional()
            })
            .await
            .map_err(|e| XeroError::Other(format!("database: {e}")))?;
        Ok(row.and_then(|(id, name)| {
            id.map(|tenant_id| OrganisationRef {
                name: name.unwrap_or_else(|| tenant_id.clone()),
                tenant_id,
            })
        }))
    }

    /// A usable access token and the chosen tenant, refreshing first when needed.
    pub async fn access(&self) -> Result<(SecretString, String), XeroError> {
        if let Some(ready) = self.usable(self.now()).await? {
            return Ok(ready);
        }
        // Single flight: whoever gets the lock refreshes; the others wait here, then find the
        // fresh token already stored.
        let _flight = self.refreshing.lock().await;
        if let Some(ready) = self.usable(self.now()).await? {
            return Ok(ready);
        }
        self.refresh_locked().await?;
        self.usable(self.now())
            .await?
            .ok_or_else(|| XeroError::Other("the refreshed token is already expiring".into()))
    }

    /// `Some` when connected with an access token good for more than the margin.
    async fn usable(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Option<(SecretString, String)>, XeroError> {
        let row = self.load().await?.ok_or(XeroError::NotConnected)?;
        match row.state {
            ConnectionState::Connected => {}
            ConnectionState::ReconnectNeeded => return Err(XeroError::ReconnectNeeded),
            _ => return Err(XeroError::NotConnected),
        }
        let tenant = row.tenant_id.ok_or(XeroError::NotConnected)?;
        Ok((row.tokens.expires_at - now > REFRESH_MARGIN)
            .then_some((row.tokens.access_token, tenant)))
    }

    /// Refreshes now; the caller holds the single-flight lock.
    async fn refresh_locked(&self) -> Result<(), XeroError> {
        let row = self.load().await?.ok_or(XeroError::NotConnected)?;
        if row.state == ConnectionState::ReconnectNeeded {
            return Err(XeroError::ReconnectNeeded);
        }
        let now = self.now();
        match self
            .oauth
            .refresh(self.xero.http(), &row.tokens.refresh_token, now)
            .await
        {
            Ok(tokens) => {
                let scopes = if tokens.scopes.is_empty() {
                    row.scopes.join(" ")
                } else {
                    tokens.scopes.join(" ")
                };
                let sealed = self.seal(&tokens);
                // Committed before anyone uses the new access token: the old refresh token dies
                // 30 minutes after rotation, so losing the new one would lose the connection.
                let expires_at = tokens.expires_at;
                self.db
                    .write(move |c| {
                        c.execute(
                            "UPDATE xero_connection SET tokens = ?1, access_expires_at = ?2,
                               last_refreshed_at = ?3, scopes = ?4, message = NULL WHERE id = 1",
                            params![sealed, expires_at, now, scopes],
                        )
                    })
                    .await
                    .map_err(|e| XeroError::Other(format!("database: {e}")))?;
                tracing::info!(expires_at = %tokens.expires_at, "Xero tokens refreshed");
                Ok(())
            }
            Err(GrantError::InvalidGrant) => {
                self.db
                    .write(|c| {
                        c.execute(
                            "UPDATE xero_connection SET state = 'reconnect_needed', message = ?1
                             WHERE id = 1",
                            params![
                                "Xero no longer accepts this connection's refresh token: \
                                 an admin must connect to Xero again"
                            ],
                        )
                    })
                    .await
                    .map_err(|e| XeroError::Other(format!("database: {e}")))?;
                tracing::warn!("Xero refused the refresh token: reconnect needed");
                Err(XeroError::ReconnectNeeded)
            }
            Err(GrantError::Xero(e)) => {
                tracing::warn!(error = %e, "refreshing the Xero tokens failed");
                Err(e)
            }
        }
    }

    /// Xero refused `refused` (a 401): refresh once, unless another task already has (single
    /// flight). Errors are logged; the next [`Connections::access`] reports them.
    pub async fn refresh_after_refusal(&self, refused: &SecretString) {
        let _flight = self.refreshing.lock().await;
        let current = match self.load().await {
            Ok(Some(row)) => row.tokens.access_token,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the connection");
                return;
            }
        };
        if current.expose_secret() != refused.expose_secret() {
            return;
        }
        if let Err(e) = self.refresh_locked().await {
            tracing::warn!(error = %e, "refreshing after a 401 failed");
        }
    }

    /// The background duty, at `now`: refresh a connection left idle for [`IDLE_REFRESH`].
    /// Answers whether a refresh happened.
    pub async fn maintain(&self) -> Result<bool, XeroError> {
        let due = |row: &Row, now: DateTime<Utc>| {
            row.state == ConnectionState::Connected && now - row.last_refreshed_at >= IDLE_REFRESH
        };
        let Some(row) = self.load().await? else {
            return Ok(false);
        };
        if !due(&row, self.now()) {
            return Ok(false);
        }
        let _flight = self.refreshing.lock().await;
        match self.load().await? {
            Some(row) if due(&row, self.now()) => self.refresh_locked().await.map(|()| true),
            _ => Ok(false),
        }
    }

    /// Revokes the token set at Xero and deletes the connection.
    pub async fn disconnect(&self) -> Result<(), XeroError> {
        let _flight = self.refreshing.lock().await;
        let Some(row) = self.load().await? else {
            return Err(XeroError::NotConnected);
        };
        self.oauth
            .revoke(self.xero.http(), &row.tokens.refresh_token)
            .await?;
        self.db
            .write(|c| {
                let tx = c.transaction()?;
                tx.execute("DELETE FROM xero_connection", [])?;
                tx.execute("DELETE FROM reference_cache", [])?;
                tx.commit()
            })
            .await
            .map_err(|e| XeroError::Other(format!("database: {e}")))?;
        tracing::info!("Xero disconnected and the tokens revoked");
        Ok(())
    }
}

/// Why the admin's browser cannot go on to Xero's consent page.
#[derive(Debug, Clone, thiserror::Error)]
pub enum OpenError {
    /// The link is unknown, opened already or expired.
    #[error(transparent)]
    Attempt(AttemptError),
    /// Xero did not revoke the previous grant.
    #[error("Xero did not revoke the previous connection ({0}); try again")]
    Revocation(XeroError),
}

/// Why choosing an organisation failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ChooseError {
    /// Not connected at all.
    #[error("not connected to Xero")]
    NotConnected,
    /// Not one of the consented organisations.
    #[error("organisation {0} is not one of the connected organisations")]
    UnknownTenant(String),
    /// Reading or writing failed.
    #[error(transparent)]
    Xero(XeroError),
}
