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

/// What the operating system's certificate store holds: its
/// certificates, and the first error met reading it.
type SystemStore = (Vec<CertificateDer<'static>>, Option<String>);

/// Reads the operating system's certificate store.
#[cfg(feature = "native-roots")]
fn load_system_store() -> Result<SystemStore> {
    let found = rustls_native_certs::load_native_certs();
    Ok((found.certs, found.errors.first().map(|e| e.to_string())))
}

#[cfg(not(feature = "native-roots"))]
fn load_system_store() -> Result<SystemStore> {
    Err(tls_err(
        "the system's certificate store needs respec's `native-roots` feature",
    ))
}

/// The certificate authorities to trust: the `ca_cert` file's alone when
/// one is set; otherwise the bundled Web PKI roots, and with
/// `system_roots` the operating system's store added to them (`load`
/// reads it). A system store with no usable certificate is an error, as
/// it was asked for.
fn root_store(
    cfg: &TlsConfig,
    load: impl FnOnce() -> Result<SystemStore>,
) -> Result<rustls::RootCertStore> {
    let mut roots = rustls::RootCertStore::empty();
    if let Some(path) = &cfg.ca_cert {
        for cert in certs(path)? {
            roots
                .add(cert)
                .map_err(|e| tls_err(format!("bad CA certificate: {e}")))?;
        }
        return Ok(roots);
    }
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if cfg.system_roots {
        let (found, error) = load()?;
        let (added, _ignored) = roots.add_parsable_certificates(found);
        if added == 0 {
            let why = error.map(|e| format!(": {e}")).unwrap_or_default();
            return Err(tls_err(format!(
                "no usable certificate in the system's certificate store{why}"
            )));
        }
    }
    Ok(roots)
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
        builder.with_root_certificates(root_store(cfg, load_system_store)?)
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

#[cfg(test)]
mod tests {
    use super::*;

    fn a_ca() -> CertificateDer<'static> {
        let made = rcgen::generate_simple_self_signed(vec!["system-ca.test".to_string()])
            .expect("a self-signed certificate");
        made.cert.der().clone()
    }

    fn system() -> TlsConfig {
        TlsConfig {
            system_roots: true,
            ..TlsConfig::default()
        }
    }

    #[test]
    fn the_system_store_is_added_to_the_web_pki_roots() {
        let web_pki = webpki_roots::TLS_SERVER_ROOTS.len();
        let defaults = root_store(&TlsConfig::default(), || unreachable!("not asked for"))
            .expect("the default roots");
        assert_eq!(defaults.len(), web_pki);
        let ca = a_ca();
        let both = root_store(&system(), || Ok((vec![ca.clone()], None))).expect("both stores");
        assert_eq!(both.len(), web_pki + 1);
    }

    #[test]
    fn an_empty_system_store_is_an_error_naming_it() {
        let e = root_store(&system(), || {
            Ok((Vec::new(), Some("no file at /nowhere".to_string())))
        })
        .unwrap_err();
        assert_eq!(e.kind(), &crate::error::ErrorKind::Tls);
        assert!(
            e.to_string().contains(
                "no usable certificate in the system's certificate store: no file at /nowhere"
            ),
            "{e}"
        );
    }

    #[test]
    fn a_ca_file_replaces_both() {
        let dir = std::env::temp_dir().join(format!("respec-tls-roots-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch directory");
        let made = rcgen::generate_simple_self_signed(vec!["file-ca.test".to_string()])
            .expect("a self-signed certificate");
        let path = dir.join("ca.pem");
        std::fs::write(&path, made.cert.pem()).expect("the CA file");
        let cfg = TlsConfig {
            ca_cert: Some(path),
            system_roots: true,
            ..TlsConfig::default()
        };
        let roots =
            root_store(&cfg, || unreachable!("ignored with a CA file")).expect("the file's CA");
        assert_eq!(roots.len(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
