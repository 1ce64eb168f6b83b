//! Alert emails through SMTP (`lettre`, TLS by rustls). The SMTP URL holds the server's password:
//! it is checked at start-up without being repeated, and no error of a send quotes it.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};
use secrecy::{ExposeSecret as _, SecretString};

use crate::config::EmailSettings;

/// How long one SMTP conversation may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

/// Checks an SMTP URL as lettre reads it (`smtp://`, `smtps://`, `?tls=required`, credentials
/// in the user part); the error names what is wrong, never the URL.
pub fn check_url(url: &str) -> Result<SecretString, String> {
    AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|_| {
        "is not an SMTP URL such as smtps://user:password@mail.example:465 (the value is not \
         repeated here: it holds a password)"
            .to_owned()
    })?;
    Ok(SecretString::from(url.to_owned()))
}

/// Checks a comma-separated list of addresses; answers them trimmed.
pub fn check_addresses(list: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for address in list.split(',').map(str::trim).filter(|a| !a.is_empty()) {
        address
            .parse::<Mailbox>()
            .map_err(|_| format!("{address:?} is not an email address"))?;
        out.push(address.to_owned());
    }
    if out.is_empty() {
        return Err("names no email address".to_owned());
    }
    Ok(out)
}

/// The SMTP transport and the message's addresses, built once.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    to: Vec<Mailbox>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The transport holds the password.
        f.debug_struct("Mailer")
            .field("to", &self.to.len())
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// The mailer of checked settings.
    pub fn new(settings: &EmailSettings) -> Result<Mailer, String> {
        let transport =
            AsyncSmtpTransport::<Tokio1Executor>::from_url(settings.smtp_url.expose_secret())
                .map_err(|_| "SRM_XERO_SMTP_URL cannot be used".to_owned())?
                .timeout(Some(SMTP_TIMEOUT))
                .build();
        let to = settings
            .to
            .iter()
            .map(|a| a.parse::<Mailbox>().map_err(|e| e.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        let from = to.first().cloned().ok_or("no address")?;
        Ok(Mailer {
            transport,
            from,
            to,
        })
    }

    /// Sends the alert `payload` (its JSON) as a plain-text email; the error says why in words
    /// (no URL, no password).
    pub async fn send(&self, payload: &str) -> Result<(), String> {
        let alert: serde_json::Value =
            serde_json::from_str(payload).map_err(|e| format!("the alert does not read: {e}"))?;
        let field = |name: &str| alert[name].as_str().unwrap_or_default().to_owned();
        let subject = format!("SRM → Xero: {}", field("title"));
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(subject.clone())
            .header(ContentType::TEXT_PLAIN);
        for to in &self.to {
            builder = builder.to(to.clone());
        }
        let body = format!(
            "{subject}\n\n{}\n\nOpen Post Xero Journals: {}\n\n({}, {}, raised {})\n",
            field("message"),
            field("link"),
            field("kind"),
            field("subject"),
            field("raised_at"),
        );
        let message = builder
            .body(body)
            .map_err(|e| format!("the email cannot be written: {e}"))?;
        self.transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| describe(&e))
    }
}

/// An SMTP failure in words, without lettre's own text (which may name the server's URL).
fn describe(error: &lettre::transport::smtp::Error) -> String {
    if error.is_permanent() {
        "the SMTP server refused the email".to_owned()
    } else if error.is_transient() {
        "the SMTP server asked to try again later".to_owned()
    } else if error.is_timeout() {
        "the SMTP server did not answer in time".to_owned()
    } else if error.is_tls() {
        "the TLS connection to the SMTP server failed".to_owned()
    } else {
        "the SMTP server cannot be reached".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_and_addresses_are_checked_without_repeating_a_password() {
        assert!(check_url("smtps://alerts:pw-secret@mail.example:465").is_ok());
        assert!(check_url("smtp://mail.example:587?tls=required").is_ok());
        let bad = check_url("mail.example:pw-secret").unwrap_err();
        assert!(!bad.contains("pw-secret"), "{bad}");
        assert_eq!(
            check_addresses(" a@acme.example,b@acme.example ,").unwrap(),
            ["a@acme.example", "b@acme.example"]
        );
        assert!(
            check_addresses("a@acme.example, nobody")
                .unwrap_err()
                .contains("\"nobody\"")
        );
        assert!(check_addresses(" , ").is_err());
    }
}
