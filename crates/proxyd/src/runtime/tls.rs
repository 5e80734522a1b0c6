//! TLS with rustls: termination for `bind ... ssl crt FILE|DIR [alpn ...]` (each PEM file
//! holds a certificate chain and its key, as HAProxy's; the certificate is chosen by the
//! client's SNI, the first one otherwise unless `strict-sni`; protocol versions from
//! `ssl-min-ver`/`ssl-max-ver`; ALPN offers only protocols proxyd speaks), and what the
//! client side towards servers shares with it (`srv_tls`): loading a certificate and its
//! key, and `verify none` (HAProxy's "do not verify the server's certificate").

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// The certificate files of a `crt` argument: the file, or every file of the directory
/// in name order (HAProxy loads a directory the same way).
fn crt_files(crt: &str, base: Option<&str>) -> Result<Vec<PathBuf>, String> {
    let p = match base {
        Some(b) if !crt.starts_with('/') => Path::new(b).join(crt),
        _ => PathBuf::from(crt),
    };
    // A certificate bundle: `crt site.pem` names `site.pem.rsa`, `site.pem.ecdsa` and
    // `site.pem.dsa` when `site.pem` itself does not exist (HAProxy's multi-cert bundles).
    if !p.exists() {
        let bundle: Vec<PathBuf> = ["rsa", "ecdsa", "dsa"]
            .iter()
            .map(|x| PathBuf::from(format!("{}.{x}", p.display())))
            .filter(|f| f.is_file())
            .collect();
        if !bundle.is_empty() {
            return Ok(bundle);
        }
    }
    if p.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&p)
            .map_err(|e| format!("{}: {e}", p.display()))?
            .flatten()
            .map(|e| e.path())
            .filter(|f| {
                f.is_file()
                    && !f
                        .extension()
                        .is_some_and(|x| x == "key" || x == "ocsp" || x == "issuer")
            })
            .collect();
        files.sort();
        Ok(files)
    } else {
        Ok(vec![p])
    }
}

/// A PEM file's certificate chain and private key (HAProxy's form: both in one file, or
/// the key in FILE.key beside it).
pub fn load_chain(
    path: &Path,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), String> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no certificate in it", path.display()));
    }
    // HAProxy also looks for the key in FILE.key when FILE has none.
    let key = PrivateKeyDer::from_pem_file(path)
        .or_else(|_| PrivateKeyDer::from_pem_file(path.with_extension("key")))
        .or_else(|_| PrivateKeyDer::from_pem_file(format!("{}.key", path.display())))
        .map_err(|_| {
            format!(
                "{}: no private key in it (nor in a .key file beside it)",
                path.display()
            )
        })?;
    Ok((certs, key))
}

fn load_key(path: &Path) -> Result<CertifiedKey, String> {
    let (certs, key) = load_chain(path)?;
    let signing = provider()
        .key_provider
        .load_private_key(key)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(CertifiedKey::new(certs, signing))
}

/// Chooses the certificate whose names cover the client's SNI (the first one otherwise,
/// unless `strict-sni`).
#[derive(Debug)]
struct BySni {
    keys: Vec<Arc<CertifiedKey>>,
    strict: bool,
    /// How many keys the first `crt` gave (a bundle gives several): the default ones.
    default_len: usize,
}

impl BySni {
    /// Among `keys`, the one the client can verify, ECDSA first (as HAProxy prefers in
    /// a bundle), else the first.
    fn best<'k>(
        keys: impl Iterator<Item = &'k Arc<CertifiedKey>> + Clone,
        schemes: &[rustls::SignatureScheme],
    ) -> Option<&'k Arc<CertifiedKey>> {
        let usable = |k: &&Arc<CertifiedKey>| k.key.choose_scheme(schemes).is_some();
        keys.clone()
            .filter(usable)
            .find(|k| k.key.algorithm() == rustls::SignatureAlgorithm::ECDSA)
            .or_else(|| keys.clone().find(usable))
            .or_else(|| keys.clone().next())
    }
}

impl ResolvesServerCert for BySni {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let schemes = hello.signature_schemes().to_vec();
        let by_name = hello.server_name().and_then(|name| {
            let name = ServerName::try_from(name.to_string()).ok()?;
            let matching = self.keys.iter().filter(move |k| {
                k.end_entity_cert()
                    .ok()
                    .and_then(|c| webpki::EndEntityCert::try_from(c).ok())
                    .is_some_and(|c| c.verify_is_valid_for_subject_name(&name).is_ok())
            });
            Self::best(matching, &schemes)
        });
        if self.strict {
            return by_name.cloned();
        }
        // Without a matching name, the first certificate (or bundle) written.
        by_name
            .or_else(|| Self::best(self.keys.iter().take(self.default_len), &schemes))
            .cloned()
    }
}

/// What a client's TLS handshake settled, named as OpenSSL (and so HAProxy's
/// `ssl_fc_protocol`, `ssl_fc_cipher`, `%sslv`, `%sslc`) names it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsInfo {
    pub sni: Option<String>,
    pub version: Option<String>,
    pub cipher: Option<String>,
    pub alpn: Option<String>,
    /// The session was resumed (a ticket or session id).
    pub resumed: bool,
    /// The client's certificate (verified), as DER.
    pub client_cert: Option<Vec<u8>>,
}

impl TlsInfo {
    pub fn of(c: &rustls::ServerConnection) -> TlsInfo {
        let version = c.protocol_version().map(|v| {
            match v {
                rustls::ProtocolVersion::TLSv1_2 => "TLSv1.2",
                rustls::ProtocolVersion::TLSv1_3 => "TLSv1.3",
                _ => "unknown",
            }
            .to_string()
        });
        let cipher = c
            .negotiated_cipher_suite()
            .map(|s| openssl_name(&format!("{:?}", s.suite())));
        TlsInfo {
            sni: c.server_name().map(str::to_string),
            version,
            cipher,
            alpn: c
                .alpn_protocol()
                .map(|p| String::from_utf8_lossy(p).into_owned()),
            resumed: c.handshake_kind() == Some(rustls::HandshakeKind::Resumed),
            client_cert: c
                .peer_certificates()
                .and_then(|c| c.first())
                .map(|c| c.as_ref().to_vec()),
        }
    }
}

/// rustls' IANA cipher suite name as OpenSSL writes it.
fn openssl_name(iana: &str) -> String {
    if let Some(rest) = iana.strip_prefix("TLS13_") {
        return format!("TLS_{rest}");
    }
    let Some(rest) = iana.strip_prefix("TLS_") else {
        return iana.to_string();
    };
    let Some((kx, cipher)) = rest.split_once("_WITH_") else {
        return iana.to_string();
    };
    let kx = kx.replace('_', "-");
    let cipher = match cipher {
        "AES_128_GCM_SHA256" => "AES128-GCM-SHA256",
        "AES_256_GCM_SHA384" => "AES256-GCM-SHA384",
        "CHACHA20_POLY1305_SHA256" => "CHACHA20-POLY1305",
        other => return format!("{kx}-{}", other.replace('_', "-")),
    };
    format!("{kx}-{cipher}")
}

/// The acceptor of one `bind ... ssl` line, and the ALPN protocols it offers.
#[derive(Clone)]
pub struct Acceptor {
    pub acceptor: tokio_rustls::TlsAcceptor,
    pub alpn: Vec<String>,
    /// What it was built from, for logs and the plan's printout.
    pub about: String,
}

impl std::fmt::Debug for Acceptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Acceptor({}; alpn {:?})", self.about, self.alpn)
    }
}

/// The protocol versions of `ssl-min-ver` / `ssl-max-ver` (TLSv1.2, TLSv1.3).
fn versions(
    min: Option<&str>,
    max: Option<&str>,
) -> Result<Vec<&'static rustls::SupportedProtocolVersion>, String> {
    let rank = |v: Option<&str>, default: u8| match v {
        Some("TLSv1.2") => 2,
        Some("TLSv1.3") => 3,
        _ => default,
    };
    let (lo, hi) = (rank(min, 2), rank(max, 3));
    let mut out = Vec::new();
    if lo <= 2 && hi >= 2 {
        out.push(&rustls::version::TLS12);
    }
    if lo <= 3 && hi >= 3 {
        out.push(&rustls::version::TLS13);
    }
    if out.is_empty() {
        return Err(format!(
            "ssl-min-ver {} is above ssl-max-ver {}: no protocol version is left",
            min.unwrap_or("TLSv1.2"),
            max.unwrap_or("TLSv1.3")
        ));
    }
    Ok(out)
}

/// What a bind's TLS needs.
pub struct TlsBind<'a> {
    pub crts: &'a [String],
    pub crt_base: Option<&'a str>,
    pub alpn: Option<&'a [String]>,
    pub strict_sni: bool,
    pub min_ver: Option<&'a str>,
    pub max_ver: Option<&'a str>,
    /// `verify optional|required` and the CAs client certificates must lead to.
    pub verify: Option<haproxy_conf::model::ClientVerify>,
    pub ca_file: Option<super::srv_tls::CaSource>,
}

/// The `ssl_c_*` fetches: nothing without TLS; without a certificate only `used`
/// (false) and `verify` (0: a certificate that did not verify ended the handshake).
pub fn client_cert_fetch(
    d: &haproxy_conf::sample::fetch::SslC,
    tls: Option<&TlsInfo>,
) -> Vec<proxy_core::sample::Value> {
    use haproxy_conf::sample::fetch::SslC;
    use proxy_core::sample::Value;
    let Some(t) = tls else {
        return Vec::new();
    };
    let cert = t.client_cert.as_deref();
    match (d, cert) {
        (SslC::Used, c) => vec![Value::Bool(c.is_some())],
        (SslC::Verify, _) => vec![Value::Int(0)],
        (_, None) => Vec::new(),
        (SslC::Der, Some(c)) => vec![Value::Bin(c.to_vec())],
        (SslC::Sha1, Some(c)) => {
            use sha1::Digest;
            vec![Value::Bin(sha1::Sha1::digest(c).to_vec())]
        }
        (d, Some(c)) => {
            let Some(info) = super::der::parse(c) else {
                return Vec::new();
            };
            match d {
                SslC::Serial => vec![Value::Bin(info.serial.clone())],
                SslC::NotBefore => vec![Value::Str(info.not_before_text.clone())],
                SslC::NotAfter => vec![Value::Str(info.not_after_text.clone())],
                SslC::Version => vec![Value::Int(info.version + 1)],
                SslC::Dn { issuer, entry, occ } => {
                    let name = if *issuer { &info.issuer } else { &info.subject };
                    match entry {
                        None => super::der::oneline(name)
                            .map(|n| vec![Value::Str(n)])
                            .unwrap_or_default(),
                        Some(e) => {
                            let found: Vec<String> = super::der::name_attrs(name)
                                .unwrap_or_default()
                                .into_iter()
                                .filter(|(k, _)| k == e)
                                .map(|(_, v)| v)
                                .collect();
                            let i = if *occ < 0 {
                                found.len().checked_sub(occ.unsigned_abs() as usize)
                            } else {
                                usize::try_from(occ - 1).ok()
                            };
                            i.and_then(|i| found.get(i).cloned())
                                .map(|v| vec![Value::Str(v)])
                                .unwrap_or_default()
                        }
                    }
                }
                _ => Vec::new(),
            }
        }
    }
}

/// The acceptor of one `bind ... ssl` line. ALPN offers only what proxyd speaks behind
/// it (`offered`); the protocols left out are returned to be reported.
pub fn acceptor(
    b: &TlsBind<'_>,
    offered: &dyn Fn(&str) -> bool,
) -> Result<(Acceptor, Vec<String>), String> {
    let mut keys = Vec::new();
    let mut files = Vec::new();
    let mut default_len = 0;
    for crt in b.crts {
        for f in crt_files(crt, b.crt_base)? {
            keys.push(Arc::new(load_key(&f)?));
            files.push(f.display().to_string());
        }
        if default_len == 0 {
            default_len = keys.len();
        }
    }
    if keys.is_empty() {
        return Err("`ssl` without a certificate (`crt FILE`)".into());
    }
    let versions = versions(b.min_ver, b.max_ver)?;
    let builder = rustls::ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&versions)
        .map_err(|e| e.to_string())?;
    let builder = match (b.verify, &b.ca_file) {
        (None, _) => builder.with_no_client_auth(),
        (Some(_), None) => {
            return Err(
                "`verify optional|required` needs a `ca-file` for client certificates".into(),
            )
        }
        (Some(v), Some(src)) => {
            let (cas, _) = super::srv_tls::load_cas(src)?;
            let mut roots = rustls::RootCertStore::empty();
            for c in cas {
                roots
                    .add(c)
                    .map_err(|e| format!("ca-file {}: {e}", src.describe()))?;
            }
            let mut verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider(),
            );
            if v == haproxy_conf::model::ClientVerify::Optional {
                verifier = verifier.allow_unauthenticated();
            }
            let verifier = verifier
                .build()
                .map_err(|e| format!("ca-file {}: {e}", src.describe()))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut cfg = builder.with_cert_resolver(Arc::new(BySni {
        keys,
        strict: b.strict_sni,
        default_len,
    }));
    let mut left_out = Vec::new();
    let mut alpn = Vec::new();
    for p in b.alpn.unwrap_or(&[]) {
        if offered(p) {
            alpn.push(p.clone());
        } else {
            left_out.push(p.clone());
        }
    }
    cfg.alpn_protocols = alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
    Ok((
        Acceptor {
            acceptor: tokio_rustls::TlsAcceptor::from(Arc::new(cfg)),
            alpn,
            about: format!(
                "certificates {}; versions {:?}; strict-sni {}",
                files.join(","),
                versions.iter().map(|v| v.version).collect::<Vec<_>>(),
                b.strict_sni
            ),
        },
        left_out,
    ))
}

/// `verify none`: any certificate is accepted; signatures are still checked so the
/// handshake itself is sound.
#[derive(Debug)]
pub struct NoVerify(pub Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
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
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cipher_names_as_openssl() {
        assert_eq!(
            openssl_name("TLS13_AES_256_GCM_SHA384"),
            "TLS_AES_256_GCM_SHA384"
        );
        assert_eq!(
            openssl_name("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"),
            "ECDHE-RSA-AES128-GCM-SHA256"
        );
        assert_eq!(
            openssl_name("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"),
            "ECDHE-ECDSA-CHACHA20-POLY1305"
        );
    }
}
