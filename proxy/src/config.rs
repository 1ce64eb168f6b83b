//! Start-up settings, read once from the environment.
//!
//! Only the listen address exists so far; the rest of DESIGN.md's table joins it with the features
//! that need it. A missing or malformed setting is one line naming it, and start-up stops.

use std::env::{self, VarError};
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};

/// The variable that holds the listen address.
pub const BIND_VAR: &str = "SRM_XERO_BIND";

/// Where the proxy listens when [`BIND_VAR`] is not set: loopback only.
pub const DEFAULT_BIND: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(Ipv4Addr::LOCALHOST), 8080);

/// A setting that stops start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfigError {
    /// The value is there but does not parse.
    Malformed {
        /// The variable's name.
        name: &'static str,
        /// What it held.
        value: String,
        /// What it should look like, in plain words.
        expected: &'static str,
    },
    /// The value is not valid Unicode.
    NotUnicode {
        /// The variable's name.
        name: &'static str,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed {
                name,
                value,
                expected,
            } => write!(f, "{name}: {value:?} is not {expected}"),
            Self::NotUnicode { name } => write!(f, "{name}: the value is not valid Unicode"),
        }
    }
}

impl std::error::Error for ConfigError {}

/// Parses a listen address such as `127.0.0.1:8080` or `[::1]:8080`; `None` means the default.
pub fn bind_address(value: Option<&str>) -> Result<SocketAddr, ConfigError> {
    let Some(value) = value else {
        return Ok(DEFAULT_BIND);
    };
    value.trim().parse().map_err(|_| ConfigError::Malformed {
        name: BIND_VAR,
        value: value.to_owned(),
        expected: "an IP address and port such as 127.0.0.1:8080",
    })
}

/// Reads [`BIND_VAR`] from the process environment.
pub fn bind_address_from_env() -> Result<SocketAddr, ConfigError> {
    match env::var(BIND_VAR) {
        Ok(value) => bind_address(Some(&value)),
        Err(VarError::NotPresent) => bind_address(None),
        Err(VarError::NotUnicode(_)) => Err(ConfigError::NotUnicode { name: BIND_VAR }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unset_bind_address_is_loopback_port_8080() {
        assert_eq!(bind_address(None), Ok("127.0.0.1:8080".parse().unwrap()));
    }

    #[test]
    fn ipv4_and_ipv6_bind_addresses_parse() {
        assert_eq!(
            bind_address(Some("0.0.0.0:9000")),
            Ok("0.0.0.0:9000".parse().unwrap())
        );
        assert_eq!(
            bind_address(Some("[::1]:8081")),
            Ok("[::1]:8081".parse().unwrap())
        );
    }

    #[test]
    fn a_malformed_bind_address_is_one_line_naming_the_setting() {
        for bad in ["localhost", "127.0.0.1", "127.0.0.1:http", ""] {
            let error = bind_address(Some(bad)).unwrap_err();
            let line = error.to_string();
            assert!(line.starts_with("SRM_XERO_BIND: "), "{line}");
            assert!(line.contains(&format!("{bad:?}")), "{line}");
            assert!(!line.contains('\n'), "{line}");
        }
    }
}
