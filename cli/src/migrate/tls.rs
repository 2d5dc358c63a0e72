//! TLS to PostgreSQL, as libpq's `sslmode` asks for it, with rustls.
//!
//! tokio-postgres knows `sslmode=disable|prefer|require` but not libpq's `allow`,
//! `verify-ca`, `verify-full` or `sslrootcert`; this module takes those out of the URL before
//! tokio-postgres parses it, and builds the rustls connector they call for:
//!
//! | sslmode | encryption | certificate checked |
//! |---|---|---|
//! | `disable` | never | — |
//! | `allow`, `prefer` (default) | when the server offers it | no |
//! | `require` | always | no; as `verify-ca` when `sslrootcert` is given (as libpq) |
//! | `verify-ca` | always | chain to a trusted root |
//! | `verify-full` | always | chain, and the host name |
//!
//! Trusted roots: `sslrootcert=FILE` (PEM), else `~/.postgresql/root.crt` when it exists,
//! else the Mozilla roots built in (`sslrootcert=system` asks for those explicitly).
//! Client certificates (`sslcert`, `sslkey`) are not supported and say so.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};
use tokio_postgres::config::SslMode as PgSslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

/// libpq's `sslmode` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum SslMode {
    Disable,
    Allow,
    #[default]
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    fn parse(value: &str) -> Result<Self, String> {
        Ok(match value {
            "disable" => Self::Disable,
            "allow" => Self::Allow,
            "prefer" => Self::Prefer,
            "require" => Self::Require,
            "verify-ca" => Self::VerifyCa,
            "verify-full" => Self::VerifyFull,
            other => {
                return Err(format!(
                    "unknown sslmode `{other}` (one of disable, allow, prefer, require, verify-ca, verify-full)"
                ));
            }
        })
    }

    /// What tokio-postgres is told: whether to ask for TLS and whether to insist on it.
    pub(crate) fn for_tokio_postgres(self) -> PgSslMode {
        match self {
            Self::Disable => PgSslMode::Disable,
            Self::Allow | Self::Prefer => PgSslMode::Prefer,
            Self::Require | Self::VerifyCa | Self::VerifyFull => PgSslMode::Require,
        }
    }
}

/// The TLS part of a connection string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct TlsOptions {
    pub mode: SslMode,
    /// `sslrootcert`: a PEM file, or `system` for the built-in roots.
    pub root_cert: Option<String>,
}

/// Take libpq's TLS options out of a URL (`postgres://…?sslmode=…`) or a key/value string
/// (`host=… sslmode=…`), returning what tokio-postgres can parse and the options.
pub(crate) fn split_options(conn: &str) -> Result<(String, TlsOptions), String> {
    let mut tls = TlsOptions::default();
    let mut take = |key: &str, value: &str| -> Result<bool, String> {
        match key {
            "sslmode" => tls.mode = SslMode::parse(value)?,
            "sslrootcert" => tls.root_cert = Some(value.to_string()),
            "sslcert" | "sslkey" | "sslpassword" | "sslcrl" => {
                return Err(format!(
                    "`{key}` is not supported (client certificates and CRLs); use a password or a TLS proxy"
                ));
            }
            _ => return Ok(false),
        }
        Ok(true)
    };
    if conn.starts_with("postgres://") || conn.starts_with("postgresql://") {
        let Some((base, query)) = conn.split_once('?') else {
            return Ok((conn.to_string(), tls));
        };
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            if !take(key, &percent_decode(value))? {
                kept.push(pair);
            }
        }
        let rest = if kept.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        return Ok((rest, tls));
    }
    // key=value form: values with spaces are quoted, and those keys are never ours.
    let mut kept = Vec::new();
    for token in conn.split_whitespace() {
        let (key, value) = token.split_once('=').unwrap_or((token, ""));
        if !take(key, value.trim_matches('\''))? {
            kept.push(token);
        }
    }
    Ok((kept.join(" "), tls))
}

/// `%XX` escapes in a URL's query value (a path in `sslrootcert`).
fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(byte) = value
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The rustls connector for these options; `None` when TLS is off (`sslmode=disable`).
pub(crate) fn connector(opts: &TlsOptions) -> Result<Option<MakeRustlsConnect>, String> {
    if opts.mode == SslMode::Disable {
        return Ok(None);
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier: Arc<dyn ServerCertVerifier> = match check(opts) {
        Check::Nothing => Arc::new(NoVerification(provider.signature_verification_algorithms)),
        Check::Chain { names } => {
            let roots = Arc::new(roots(opts.root_cert.as_deref())?);
            let webpki = WebPkiServerVerifier::builder_with_provider(roots, provider.clone())
                .build()
                .map_err(|e| format!("cannot use the trusted roots: {e}"))?;
            Arc::new(ChainVerifier { webpki, names })
        }
    };
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("cannot set up TLS: {e}"))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(Some(MakeRustlsConnect::new(config)))
}

enum Check {
    Nothing,
    Chain { names: bool },
}

fn check(opts: &TlsOptions) -> Check {
    match opts.mode {
        SslMode::VerifyFull => Check::Chain { names: true },
        SslMode::VerifyCa => Check::Chain { names: false },
        // libpq: `require` with a root certificate given verifies the chain.
        SslMode::Require if opts.root_cert.is_some() => Check::Chain { names: false },
        _ => Check::Nothing,
    }
}

fn roots(root_cert: Option<&str>) -> Result<RootCertStore, String> {
    let default = home_root_cert().filter(|p| p.is_file());
    let file: Option<PathBuf> = match root_cert {
        Some("system") => None,
        Some(path) => Some(PathBuf::from(path)),
        None => default,
    };
    let mut store = RootCertStore::empty();
    let Some(file) = file else {
        store.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        return Ok(store);
    };
    for cert in read_pem(&file)? {
        store
            .add(cert)
            .map_err(|e| format!("`{}` holds an unusable certificate: {e}", file.display()))?;
    }
    if store.is_empty() {
        return Err(format!("`{}` holds no PEM certificate", file.display()));
    }
    Ok(store)
}

fn read_pem(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let bytes = fs_err::read(path).map_err(|e| e.to_string())?;
    rustls_pemfile::certs(&mut bytes.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("`{}` is not a PEM certificate file: {e}", path.display()))
}

fn home_root_cert() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".postgresql/root.crt"))
}

/// `sslmode=prefer|require`: encrypted, but nobody vouches for the server (as libpq).
#[derive(Debug)]
struct NoVerification(WebPkiSupportedAlgorithms);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_schemes()
    }
}

/// `verify-ca` (chain only) and `verify-full` (chain and host name).
#[derive(Debug)]
struct ChainVerifier {
    webpki: Arc<WebPkiServerVerifier>,
    names: bool,
}

impl ServerCertVerifier for ChainVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let result = self.webpki.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        match result {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.names => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tls_options_leave_the_url_for_tokio_postgres() {
        let (rest, tls) =
            split_options("postgres://u:p@db:5432/app?sslmode=verify-full&application_name=x")
                .unwrap();
        assert_eq!(rest, "postgres://u:p@db:5432/app?application_name=x");
        assert_eq!(tls.mode, SslMode::VerifyFull);
        let (rest, tls) =
            split_options("postgresql://db/app?sslrootcert=%2Ftmp%2Fca.pem&sslmode=require")
                .unwrap();
        assert_eq!(rest, "postgresql://db/app");
        assert_eq!(tls.root_cert.as_deref(), Some("/tmp/ca.pem"));
        assert_eq!(tls.mode, SslMode::Require);
        let (rest, tls) = split_options("host=db dbname=app sslmode=verify-ca").unwrap();
        assert_eq!(rest, "host=db dbname=app");
        assert_eq!(tls.mode, SslMode::VerifyCa);
        let (rest, tls) = split_options("postgres://db/app").unwrap();
        assert_eq!(
            (rest.as_str(), tls.mode),
            ("postgres://db/app", SslMode::Prefer)
        );
    }

    #[test]
    fn bad_tls_options_are_named() {
        let err = split_options("postgres://db/app?sslmode=sometimes").unwrap_err();
        assert!(
            err.contains("sometimes") && err.contains("verify-full"),
            "{err}"
        );
        let err = split_options("postgres://db/app?sslcert=/c.pem").unwrap_err();
        assert!(err.contains("sslcert"), "{err}");
    }

    #[test]
    fn require_with_a_root_certificate_checks_the_chain() {
        let opts = TlsOptions {
            mode: SslMode::Require,
            root_cert: Some("/ca.pem".into()),
        };
        assert!(matches!(check(&opts), Check::Chain { names: false }));
        let opts = TlsOptions {
            mode: SslMode::Require,
            root_cert: None,
        };
        assert!(matches!(check(&opts), Check::Nothing));
    }
}
