//! TLS client configuration with rustls.

use std::sync::Arc;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};

use super::config::TlsConfig;
use crate::error::{Error, ErrorKind, Result};

fn tls_err(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::Tls, msg)
}

fn read_pem(path: &std::path::Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| tls_err(format!("cannot read {}: {e}", path.display())))
}

fn certs(path: &std::path::Path) -> Result<Vec<CertificateDer<'static>>> {
    let pem = read_pem(path)?;
    let certs = rustls_pemfile::certs(&mut pem.as_slice())
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| {
            tls_err(format!(
                "invalid certificate PEM in {}: {e}",
                path.display()
            ))
        })?;
    if certs.is_empty() {
        return Err(tls_err(format!("no certificate in {}", path.display())));
    }
    Ok(certs)
}

/// Adds the operating system's trusted certificates.
#[cfg(feature = "native-roots")]
fn system_roots(roots: &mut rustls::RootCertStore) -> Result<()> {
    let found = rustls_native_certs::load_native_certs();
    let (added, _ignored) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        let why = match found.errors.first() {
            Some(e) => format!(": {e}"),
            None => String::new(),
        };
        return Err(tls_err(format!(
            "no usable certificate in the system's certificate store{why}"
        )));
    }
    Ok(())
}

#[cfg(not(feature = "native-roots"))]
fn system_roots(_: &mut rustls::RootCertStore) -> Result<()> {
    Err(tls_err(
        "the system's certificate store needs respec's `native-roots` feature",
    ))
}

/// Builds the rustls client configuration for these settings.
pub(crate) fn client_config(cfg: &TlsConfig) -> Result<Arc<rustls::ClientConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| tls_err(e.to_string()))?;
    let builder = if cfg.insecure {
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerify(provider)))
    } else {
        let mut roots = rustls::RootCertStore::empty();
        match &cfg.ca_cert {
            Some(path) => {
                for cert in certs(path)? {
                    roots
                        .add(cert)
                        .map_err(|e| tls_err(format!("bad CA certificate: {e}")))?;
                }
            }
            None if cfg.system_roots => system_roots(&mut roots)?,
            None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
        }
        builder.with_root_certificates(roots)
    };
    let config = match (&cfg.client_cert, &cfg.client_key) {
        (Some(cert), Some(key)) => {
            let chain = certs(cert)?;
            let pem = read_pem(key)?;
            let key: PrivateKeyDer<'static> = rustls_pemfile::private_key(&mut pem.as_slice())
                .map_err(|e| tls_err(format!("invalid key PEM: {e}")))?
                .ok_or_else(|| tls_err("no private key in the key file"))?;
            builder
                .with_client_auth_cert(chain, key)
                .map_err(|e| tls_err(format!("client certificate rejected: {e}")))?
        }
        (None, None) => builder.with_no_client_auth(),
        _ => {
            return Err(tls_err(
                "a client certificate needs both a cert and a key file",
            ))
        }
    };
    Ok(Arc::new(config))
}

/// The rustls error somewhere in `e`'s sources (how a failed TLS
/// handshake surfaces through the I/O of the TLS stream).
pub(crate) fn rustls_error(e: &(dyn std::error::Error + 'static)) -> Option<rustls::Error> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(r) = err.downcast_ref::<rustls::Error>() {
            return Some(r.clone());
        }
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if let Some(inner) = io.get_ref() {
                if let Some(r) = inner.downcast_ref::<rustls::Error>() {
                    return Some(r.clone());
                }
            }
        }
        cur = err.source();
    }
    None
}

/// What a rustls error means for the user, when rustls' own words need
/// help: which check failed, or what the server wanted.
fn explain(e: &rustls::Error, cfg: &TlsConfig) -> Option<&'static str> {
    use rustls::{AlertDescription as A, CertificateError as C};
    let no_client_cert = cfg.client_cert.is_none();
    Some(match e {
        rustls::Error::InvalidCertificate(c) => match c {
            C::UnknownIssuer => {
                "certificate verification failed: the server's certificate is not signed by a \
                 trusted certificate authority (set the CA with `ssl_ca_certs` / \
                 TlsConfig::ca_cert)"
            }
            C::BadSignature => {
                "certificate verification failed: a signature does not verify (the server's \
                 certificate was not signed by the trusted certificate authority of that name)"
            }
            C::Expired | C::ExpiredContext { .. } => {
                "certificate verification failed: the server's certificate has expired"
            }
            C::NotValidYet | C::NotValidYetContext { .. } => {
                "certificate verification failed: the server's certificate is not valid yet"
            }
            C::NotValidForName | C::NotValidForNameContext { .. } => {
                "certificate verification failed: the server's certificate is not valid for \
                 the host name (or `ssl_server_name`) connected to"
            }
            C::Revoked => "certificate verification failed: the certificate was revoked",
            _ => "certificate verification failed",
        },
        rustls::Error::AlertReceived(A::CertificateRequired) => {
            "the server requires a client certificate (mutual TLS: set `ssl_certfile` and \
             `ssl_keyfile` / TlsConfig::client_cert and client_key)"
        }
        rustls::Error::AlertReceived(A::HandshakeFailure) if no_client_cert => {
            "the server refused the handshake; it may require a client certificate \
             (`ssl_certfile` and `ssl_keyfile`)"
        }
        rustls::Error::AlertReceived(A::UnknownCA | A::BadCertificate) if !no_client_cert => {
            "the server refused the client certificate (it does not trust its issuer)"
        }
        _ => return None,
    })
}

/// The error for a connection whose TLS handshake failed, or whose first
/// exchange failed because of TLS (a server that checks the client
/// certificate only after the TLS 1.3 handshake answers the first request
/// with an alert): a [`ErrorKind::Tls`] error naming the server, what
/// failed and why. Other errors pass through.
pub(crate) fn handshake_failure(addr: &super::Addr, cfg: &TlsConfig, e: Error) -> Error {
    let Some(tls) = rustls_error(&e) else {
        return e;
    };
    let why = match explain(&tls, cfg) {
        Some(why) => format!(": {why}"),
        None => String::new(),
    };
    Error::with_source(
        ErrorKind::Tls,
        format!("TLS handshake with {addr} failed: {tls}{why}"),
        tls,
    )
}

/// The name the server's certificate is checked against.
pub(crate) fn server_name(cfg: &TlsConfig, host: &str) -> Result<ServerName<'static>> {
    let name = cfg.server_name.as_deref().unwrap_or(host);
    ServerName::try_from(name.to_string())
        .map_err(|_| tls_err(format!("`{name}` is not a valid TLS server name")))
}

/// Accepts any certificate (the `insecure` setting), still checking signatures.
#[derive(Debug)]
struct NoVerify(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> std::result::Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
