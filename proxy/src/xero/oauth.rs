//! Xero's OAuth 2 code flow with the `oauth2` crate: the authorize URL (PKCE S256 and a random
//! `state`), the code exchange, refresh, and revocation. Client authentication is HTTP Basic, as
//! Xero's token endpoint expects.

use chrono::{DateTime, Duration, Utc};
use oauth2::basic::{BasicClient, BasicErrorResponseType, BasicRequestTokenError};
use oauth2::{
    AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointNotSet, EndpointSet,
    HttpClientError, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, Scope,
    TokenResponse as _, TokenUrl,
};
use secrecy::{ExposeSecret as _, SecretString};

use super::XeroError;
use crate::config::XeroSettings;

type Client = BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// A token set as Xero issued it. Never printed.
#[derive(Clone)]
pub struct TokenSet {
    /// The bearer token for API calls.
    pub access_token: SecretString,
    /// The rotating refresh token.
    pub refresh_token: SecretString,
    /// When the access token expires.
    pub expires_at: DateTime<Utc>,
    /// Granted scopes.
    pub scopes: Vec<String>,
}

impl std::fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSet")
            .field("expires_at", &self.expires_at)
            .field("scopes", &self.scopes)
            .finish_non_exhaustive()
    }
}

impl TokenSet {
    /// The consent this token set came from: the `authentication_event_id` claim of Xero's JWT
    /// access token. Read without verifying the signature — the token came straight from Xero's
    /// token endpoint — and only used to filter `/connections`; `None` when absent or odd.
    pub fn auth_event_id(&self) -> Option<String> {
        use base64::Engine as _;
        let payload = self.access_token.expose_secret().split('.').nth(1)?;
        let json = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .ok()?;
        let claims: serde_json::Value = serde_json::from_slice(&json).ok()?;
        let event = claims.get("authentication_event_id")?.as_str()?;
        let plain =
            !event.is_empty() && event.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        plain.then(|| event.to_owned())
    }
}

/// A started authorization: the URL for the admin's popup, and what the callback needs.
pub struct Authorization {
    /// Xero's consent page.
    pub url: String,
    /// The `state` parameter.
    pub state: String,
    /// The PKCE verifier.
    pub verifier: SecretString,
}

/// The OAuth side of Xero.
#[derive(Debug, Clone)]
pub struct OAuth {
    client: Client,
    scopes: Vec<String>,
    revocation_url: String,
    client_id: String,
    client_secret: SecretString,
}

/// Why a token request failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GrantError {
    /// `invalid_grant`: the code or refresh token is no longer good.
    #[error("Xero answered invalid_grant")]
    InvalidGrant,
    /// Anything else, classified.
    #[error(transparent)]
    Xero(#[from] XeroError),
}

impl OAuth {
    /// Builds the client for `redirect_uri`.
    pub fn new(settings: &XeroSettings, redirect_uri: &str) -> Result<Self, String> {
        let url = |what: &str, text: String| {
            reqwest::Url::parse(&text).map_err(|e| format!("{what} URL {text:?}: {e}"))
        };
        let client = BasicClient::new(ClientId::new(settings.client_id.clone()))
            .set_client_secret(ClientSecret::new(
                settings.client_secret.expose_secret().to_owned(),
            ))
            .set_auth_uri(AuthUrl::from_url(url(
                "authorize",
                format!("{}/identity/connect/authorize", settings.login_url),
            )?))
            .set_token_uri(TokenUrl::from_url(url(
                "token",
                format!("{}/connect/token", settings.identity_url),
            )?))
            .set_redirect_uri(RedirectUrl::from_url(url(
                "redirect",
                redirect_uri.to_owned(),
            )?));
        Ok(OAuth {
            client,
            scopes: settings.scopes.clone(),
            revocation_url: format!("{}/connect/revocation", settings.identity_url),
            client_id: settings.client_id.clone(),
            client_secret: settings.client_secret.clone(),
        })
    }

    /// A new authorize URL with a fresh `state` and PKCE challenge.
    pub fn authorize(&self) -> Authorization {
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state) = self
            .client
            .authorize_url(CsrfToken::new_random)
            .add_scopes(self.scopes.iter().cloned().map(Scope::new))
            .set_pkce_challenge(challenge)
            .url();
        Authorization {
            url: url.to_string(),
            state: state.secret().clone(),
            verifier: SecretString::from(verifier.secret().clone()),
        }
    }

    /// Exchanges an authorization code.
    pub async fn exchange(
        &self,
        http: &reqwest::Client,
        code: String,
        verifier: &SecretString,
        now: DateTime<Utc>,
    ) -> Result<TokenSet, GrantError> {
        let answer = self
            .client
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(PkceCodeVerifier::new(verifier.expose_secret().to_owned()))
            .request_async(http)
            .await
            .map_err(grant_error)?;
        Ok(token_set(&answer, None, now))
    }

    /// Exchanges a refresh token for a new (rotated) token set.
    pub async fn refresh(
        &self,
        http: &reqwest::Client,
        refresh_token: &SecretString,
        now: DateTime<Utc>,
    ) -> Result<TokenSet, GrantError> {
        let token = RefreshToken::new(refresh_token.expose_secret().to_owned());
        let answer = self
            .client
            .exchange_refresh_token(&token)
            .request_async(http)
            .await
            .map_err(grant_error)?;
        Ok(token_set(&answer, Some(refresh_token), now))
    }

    /// Revokes a refresh token (and with it, at Xero, the user's connections to the app).
    /// Sent by hand: the `oauth2` crate refuses a revocation URL that is not https, and the
    /// simulator (like any test double) is plain http on loopback.
    pub async fn revoke(
        &self,
        http: &reqwest::Client,
        refresh_token: &SecretString,
    ) -> Result<(), XeroError> {
        let response = http
            .post(&self.revocation_url)
            .basic_auth(&self.client_id, Some(self.client_secret.expose_secret()))
            .form(&[
                ("token", refresh_token.expose_secret()),
                ("token_type_hint", "refresh_token"),
            ])
            .send()
            .await
            .map_err(super::transport)?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        let headers = response.headers().clone();
        let body = response.bytes().await.unwrap_or_default();
        Err(super::classify(status, &headers, &body))
    }
}

fn token_set(
    answer: &oauth2::basic::BasicTokenResponse,
    previous_refresh: Option<&SecretString>,
    now: DateTime<Utc>,
) -> TokenSet {
    let lifetime = answer
        .expires_in()
        .and_then(|d| Duration::from_std(d).ok())
        .unwrap_or_else(|| Duration::minutes(30));
    let refresh_token = answer.refresh_token().map_or_else(
        || previous_refresh.cloned().unwrap_or_default(),
        |t| SecretString::from(t.secret().clone()),
    );
    TokenSet {
        access_token: SecretString::from(answer.access_token().secret().clone()),
        refresh_token,
        expires_at: now + lifetime,
        scopes: answer
            .scopes()
            .map(|s| s.iter().map(|s| s.to_string()).collect())
            .unwrap_or_default(),
    }
}

fn grant_error(e: BasicRequestTokenError<HttpClientError<reqwest::Error>>) -> GrantError {
    match e {
        oauth2::RequestTokenError::ServerResponse(r)
            if *r.error() == BasicErrorResponseType::InvalidGrant =>
        {
            GrantError::InvalidGrant
        }
        oauth2::RequestTokenError::ServerResponse(r) => {
            GrantError::Xero(XeroError::Other(format!("token endpoint: {}", r.error())))
        }
        oauth2::RequestTokenError::Request(HttpClientError::Reqwest(e)) => {
            GrantError::Xero(super::transport(*e))
        }
        oauth2::RequestTokenError::Parse(_, _) => GrantError::Xero(XeroError::Other(
            "the token endpoint's answer does not parse".into(),
        )),
        _ => GrantError::Xero(XeroError::Transient("token request failed".into())),
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

    fn with_access(access: &str) -> TokenSet {
        TokenSet {
            access_token: SecretString::from(access.to_owned()),
            refresh_token: SecretString::from(String::new()),
            expires_at: DateTime::<Utc>::MIN_UTC,
            scopes: Vec::new(),
        }
    }

    fn jwt(payload: &str) -> String {
        format!("e30.{}.sig", URL_SAFE_NO_PAD.encode(payload))
    }

    #[test]
    fn the_auth_event_is_read_from_the_access_tokens_claims() {
        let event = "8e6a1f52-0c3b-4b9e-9d3e-1f2a3b4c5d6e";
        let token = jwt(&format!(
            r#"{{"authentication_event_id":"{event}","exp":1}}"#
        ));
        assert_eq!(with_access(&token).auth_event_id().as_deref(), Some(event));
        // Opaque tokens, a missing claim and anything that would need escaping in a URL: none.
        assert_eq!(with_access("opaque-token").auth_event_id(), None);
        assert_eq!(with_access(&jwt(r#"{"exp":1}"#)).auth_event_id(), None);
        let odd = jwt(r#"{"authentication_event_id":"a&b=c"}"#);
        assert_eq!(with_access(&odd).auth_event_id(), None);
    }
}
