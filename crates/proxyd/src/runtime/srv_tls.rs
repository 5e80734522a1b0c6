//! TLS towards servers (`server ... ssl`, and checks with `check-ssl`): the rustls client
//! of one server, as HAProxy 2.6 sets its OpenSSL one up.
//!
//! - `verify required` (the default unless `ssl-server-verify none`): the chain must lead
//!   to a certificate of `ca-file` (a PEM bundle, a directory of them, or `@system-ca`,
//!   the system's store; `ca-base` applies to relative names). As OpenSSL does, only the
//!   self-signed certificates of the file are roots; the others help build the chain. A
//!   self-signed server certificate found as it is in the file is trusted as it is (within
//!   its dates), as OpenSSL trusts it.
//! - The name checked (measured with HAProxy): the SNI sent, else `verifyhost`, else none
//!   (the chain alone). It matches the certificate's DNS names or its subject's common
//!   names, HAProxy's wildcards included (see `der::host_matches`).
//! - `verify none`: any certificate (the handshake's signatures are still checked).
//! - `crt`: the client certificate, sent when the server asks; versions from
//!   `ssl-min-ver`... (`haproxy_conf::srv_tls`); ALPN as the caller filtered it; session
//!   reuse unless `no-ssl-reuse`, TLSv1.2 tickets unless `no-tls-tickets`.
//!
//! rustls sends an SNI only for a DNS name: a connection without one is opened with the
//! unspecified address as its name, which tells the verifier no name was sent.

use super::der;
use super::tls::{provider, NoVerify};
use haproxy_conf::model::TlsVersion;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The name a connection without SNI is opened with.
const NO_SNI: IpAddr = IpAddr::V4(Ipv4Addr::UNSPECIFIED);

/// The rustls name of a connection: the SNI to send (a DNS name), or none. An SNI that
/// is an IP address cannot be sent (RFC 6066): the name is still checked against the
/// certificate, as HAProxy checks it.
pub fn server_name(sni: Option<&str>) -> Result<ServerName<'static>, String> {
    let Some(n) = sni.filter(|n| !n.is_empty()) else {
        return Ok(ServerName::IpAddress(NO_SNI.into()));
    };
    if let Ok(ip) = n.parse::<IpAddr>() {
        if ip.is_unspecified() {
            return Err(format!("`{n}` cannot be a server name"));
        }
        return Ok(ServerName::IpAddress(ip.into()));
    }
    ServerName::try_from(n.to_string()).map_err(|_| format!("`{n}` is not a valid server name"))
}

/// The SNI a request (or TCP connection) sends: the `sni` expression's value as a
/// string; none when it gives nothing or an empty string.
pub fn sni_value(
    e: &haproxy_conf::sample::Expr,
    s: &dyn proxy_core::sample::Sample,
) -> Option<String> {
    use proxy_core::sample::{Kind, Value};
    match proxy_core::sample::value(e, s)?.cast(Kind::Str)? {
        Value::Str(v) if !v.is_empty() => Some(v),
        _ => None,
    }
}

/// The SNI of a connection to server `s` for a request seen through `sample`.
pub fn sni_for(
    s: &super::server::ServerRt,
    sample: &dyn proxy_core::sample::Sample,
) -> Option<String> {
    let e = s.tls.as_ref()?.sni.as_ref()?;
    sni_value(e, sample)
}

/// Where `ca-file` points: `ca-base` joined to a relative name (even `@system-ca`, as
/// HAProxy does), else the system's store for `@system-ca`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaSource {
    File(PathBuf),
    System,
}

impl CaSource {
    pub fn of(ca_file: &str, ca_base: Option<&str>) -> CaSource {
        match ca_base {
            Some(b) if !ca_file.starts_with('/') => CaSource::File(Path::new(b).join(ca_file)),
            _ if ca_file == "@system-ca" => CaSource::System,
            _ => CaSource::File(PathBuf::from(ca_file)),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            CaSource::File(p) => p.display().to_string(),
            CaSource::System => "@system-ca".into(),
        }
    }
}

/// The directories of the system's store: `SSL_CERT_DIR` (colon-separated), else
/// OpenSSL's default.
fn system_dirs() -> Vec<PathBuf> {
    match std::env::var("SSL_CERT_DIR") {
        Ok(v) if !v.is_empty() => v.split(':').map(PathBuf::from).collect(),
        _ => vec![PathBuf::from("/usr/lib/ssl/certs")],
    }
}

/// The files of a CA directory HAProxy loads: `.pem`, `.crt`, `.cer`, `.crl`, dot files
/// left out, in name order.
fn dir_files(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|f| {
            let name = f.file_name().and_then(|n| n.to_str()).unwrap_or(".");
            !name.starts_with('.')
                && f.extension()
                    .and_then(|x| x.to_str())
                    .is_some_and(|x| matches!(x, "pem" | "crt" | "cer" | "crl"))
                && f.is_file()
        })
        .collect();
    files.sort();
    Ok(files)
}

/// The certificates of one PEM file.
fn pem_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// The CA certificates of `ca-file`, and remarks (files of a directory that hold none).
/// A file without any is an error, as in HAProxy; a directory without any is a remark
/// (nothing verifies then).
pub fn load_cas(src: &CaSource) -> Result<(Vec<CertificateDer<'static>>, Vec<String>), String> {
    let mut notes = Vec::new();
    let mut certs: Vec<CertificateDer<'static>> = Vec::new();
    let dirs = match src {
        CaSource::System => system_dirs(),
        CaSource::File(p) if p.is_dir() => vec![p.clone()],
        CaSource::File(p) => {
            let c = pem_certs(p)?;
            if c.is_empty() {
                return Err(format!("{}: no certificate in it", p.display()));
            }
            return Ok((c, notes));
        }
    };
    for d in &dirs {
        for f in dir_files(d)? {
            match pem_certs(&f) {
                Ok(c) if !c.is_empty() => {
                    for x in c {
                        if !certs.contains(&x) {
                            certs.push(x);
                        }
                    }
                }
                _ => {
                    if f.extension().is_some_and(|x| x != "crl") {
                        notes.push(format!("{}: no certificate in it", f.display()));
                    }
                }
            }
        }
    }
    if certs.is_empty() {
        notes.push(format!(
            "no CA certificate was loaded from {}: no server certificate can be verified",
            src.describe()
        ));
    }
    Ok((certs, notes))
}

/// `verify required`: the chain, then the name (the SNI sent, else `verifyhost`).
#[derive(Debug)]
struct Verify {
    provider: Arc<CryptoProvider>,
    /// The self-signed certificates of the CA file: the roots.
    roots: RootCertStore,
    /// The same, as they are: a server presenting one of them is trusted as it is.
    pinned: Vec<CertificateDer<'static>>,
    /// The others (intermediates), to build the chain with.
    others: Vec<CertificateDer<'static>>,
    verifyhost: Option<String>,
}

impl Verify {
    fn new(
        provider: Arc<CryptoProvider>,
        cas: Vec<CertificateDer<'static>>,
        verifyhost: Option<String>,
    ) -> Verify {
        let mut roots = RootCertStore::empty();
        let (mut pinned, mut others) = (Vec::new(), Vec::new());
        for c in cas {
            match der::parse(c.as_ref()) {
                Some(info) if info.self_issued() => {
                    // A certificate webpki cannot take as a root is left out: the
                    // chains through it do not verify (fails closed).
                    let _ = roots.add(c.clone());
                    pinned.push(c);
                }
                Some(_) => others.push(c),
                None => {}
            }
        }
        Verify {
            provider,
            roots,
            pinned,
            others,
            verifyhost,
        }
    }

    /// The chain (or the certificate trusted as it is), at `now`.
    fn chain(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        info: &der::CertInfo,
        now: UnixTime,
    ) -> Result<(), rustls::Error> {
        if self
            .pinned
            .iter()
            .any(|c| c.as_ref() == end_entity.as_ref())
        {
            let t = now.as_secs() as i64;
            if t < info.not_before {
                return Err(CertificateError::NotValidYet.into());
            }
            if t > info.not_after {
                return Err(CertificateError::Expired.into());
            }
            return Ok(());
        }
        let parsed = rustls::server::ParsedCertificate::try_from(end_entity)?;
        let mut chain: Vec<CertificateDer<'_>> = intermediates.to_vec();
        chain.extend(self.others.iter().cloned());
        rustls::client::verify_server_cert_signed_by_trust_anchor(
            &parsed,
            &self.roots,
            &chain,
            now,
            self.provider.signature_verification_algorithms.all,
        )
    }
}

impl ServerCertVerifier for Verify {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let info = der::parse(end_entity.as_ref()).ok_or(rustls::Error::InvalidCertificate(
            CertificateError::BadEncoding,
        ))?;
        self.chain(end_entity, intermediates, &info, now)?;
        let name = match server_name {
            ServerName::DnsName(d) => Some(d.as_ref().to_string()),
            ServerName::IpAddress(ip) if IpAddr::from(*ip) != NO_SNI => {
                Some(IpAddr::from(*ip).to_string())
            }
            _ => self.verifyhost.clone(),
        };
        if let Some(n) = name {
            if !der::names_match(&info, &n) {
                return Err(CertificateError::NotValidForName.into());
            }
        }
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
            &self.provider.signature_verification_algorithms,
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
            &self.provider.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// How a server's certificate is judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verification {
    /// `verify none`.
    None,
    /// `verify required` with the CA file's certificates and `verifyhost`.
    Required {
        cas: Vec<CertificateDer<'static>>,
        /// Where they came from, for the plan's printout.
        from: String,
        verifyhost: Option<String>,
    },
}

/// What one server's TLS client is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSpec {
    pub verification: Verification,
    /// `crt`: the client certificate file.
    pub crt: Option<PathBuf>,
    /// The versions spoken (rustls: TLSv1.2, TLSv1.3).
    pub versions: (TlsVersion, TlsVersion),
    /// The ALPN protocols offered, in order.
    pub alpn: Vec<String>,
    /// `ssl-reuse` (sessions resumed) and `tls-tickets` (TLSv1.2 tickets).
    pub reuse: bool,
    pub tickets: bool,
}

/// A server's TLS client.
#[derive(Clone)]
pub struct Client {
    pub connector: tokio_rustls::TlsConnector,
    /// What it was built from, for logs and the plan's printout.
    pub about: String,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Client({})", self.about)
    }
}

impl ClientSpec {
    /// The rustls client.
    pub fn build(&self) -> Result<Client, String> {
        let p = provider();
        let mut versions = Vec::new();
        if self.versions.0 <= TlsVersion::Tls12 && self.versions.1 >= TlsVersion::Tls12 {
            versions.push(&rustls::version::TLS12);
        }
        if self.versions.1 >= TlsVersion::Tls13 {
            versions.push(&rustls::version::TLS13);
        }
        if versions.is_empty() {
            return Err("no TLS version proxyd speaks is allowed".into());
        }
        let builder = rustls::ClientConfig::builder_with_provider(p.clone())
            .with_protocol_versions(&versions)
            .map_err(|e| e.to_string())?
            .dangerous();
        let (builder, verify) = match &self.verification {
            Verification::None => (
                builder.with_custom_certificate_verifier(Arc::new(NoVerify(p.clone()))),
                "verify none".to_string(),
            ),
            Verification::Required {
                cas,
                from,
                verifyhost,
            } => {
                let v = Verify::new(p.clone(), cas.clone(), verifyhost.clone());
                let about = format!(
                    "verify required: {} roots and {} other certificates from {from}; name: the SNI, else {}",
                    v.pinned.len(),
                    v.others.len(),
                    verifyhost
                        .as_deref()
                        .map(|h| format!("verifyhost {h}"))
                        .unwrap_or_else(|| "none (the chain alone)".into())
                );
                (builder.with_custom_certificate_verifier(Arc::new(v)), about)
            }
        };
        let mut cfg = match &self.crt {
            None => builder.with_no_client_auth(),
            Some(path) => {
                let (certs, key) = super::tls::load_chain(path)?;
                builder
                    .with_client_auth_cert(certs, key)
                    .map_err(|e| format!("{}: {e}", path.display()))?
            }
        };
        cfg.alpn_protocols = self.alpn.iter().map(|a| a.as_bytes().to_vec()).collect();
        cfg.resumption = if self.reuse {
            rustls::client::Resumption::default().tls12_resumption(if self.tickets {
                rustls::client::Tls12Resumption::SessionIdOrTickets
            } else {
                rustls::client::Tls12Resumption::SessionIdOnly
            })
        } else {
            rustls::client::Resumption::disabled()
        };
        let about = format!(
            "{verify}; client certificate {}; versions {}-{}; alpn [{}]; session reuse {}, tickets {}",
            self.crt
                .as_ref()
                .map(|c| c.display().to_string())
                .unwrap_or_else(|| "none".into()),
            self.versions.0.name(),
            self.versions.1.name(),
            self.alpn.join(","),
            if self.reuse { "on" } else { "off" },
            if self.tickets { "on" } else { "off" },
        );
        Ok(Client {
            connector: tokio_rustls::TlsConnector::from(Arc::new(cfg)),
            about,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn server_names() {
        assert_eq!(
            server_name(None).unwrap(),
            ServerName::IpAddress(NO_SNI.into())
        );
        assert_eq!(
            server_name(Some("")).unwrap(),
            ServerName::IpAddress(NO_SNI.into())
        );
        assert!(matches!(
            server_name(Some("www.example.com")).unwrap(),
            ServerName::DnsName(_)
        ));
        assert!(matches!(
            server_name(Some("10.0.0.1")).unwrap(),
            ServerName::IpAddress(_)
        ));
        assert!(server_name(Some("0.0.0.0")).is_err());
        assert!(server_name(Some("a b")).is_err());
    }

    /// Certificates made with openssl for one test.
    struct Pki {
        dir: tempfile::TempDir,
    }

    impl Pki {
        fn new() -> Pki {
            Pki {
                dir: tempfile::tempdir().unwrap(),
            }
        }
        fn path(&self, name: &str) -> PathBuf {
            self.dir.path().join(name)
        }
        fn openssl(&self, args: &[&str]) {
            let out = std::process::Command::new("openssl")
                .args(args)
                .current_dir(self.dir.path())
                .output()
                .expect("openssl");
            assert!(
                out.status.success(),
                "{args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        /// A self-signed certificate (a root, or a server's own), `NAME.crt`/`NAME.key`.
        fn root(&self, name: &str, cn: &str, ext: &[&str]) {
            let mut args = vec![
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
            ];
            let subj = format!("/CN={cn}");
            let (key, crt) = (format!("{name}.key"), format!("{name}.crt"));
            args.push(&subj);
            for e in ext {
                args.extend_from_slice(&["-addext", e]);
            }
            args.extend_from_slice(&["-keyout", &key, "-out", &crt]);
            self.openssl(&args);
        }
        /// A certificate signed by `ca`, with extensions `ext` (one per line).
        fn signed(&self, name: &str, cn: &str, ca: &str, ext: &str) {
            let subj = format!("/CN={cn}");
            let (key, csr, crt, extf) = (
                format!("{name}.key"),
                format!("{name}.csr"),
                format!("{name}.crt"),
                format!("{name}.ext"),
            );
            std::fs::write(self.path(&extf), ext).unwrap();
            self.openssl(&[
                "req", "-newkey", "rsa:2048", "-nodes", "-subj", &subj, "-keyout", &key, "-out",
                &csr,
            ]);
            let (cacrt, cakey) = (format!("{ca}.crt"), format!("{ca}.key"));
            self.openssl(&[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                &cacrt,
                "-CAkey",
                &cakey,
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                &extf,
                "-out",
                &crt,
            ]);
        }
        fn cert(&self, name: &str) -> CertificateDer<'static> {
            CertificateDer::from_pem_file(self.path(&format!("{name}.crt"))).unwrap()
        }
    }

    const LEAF: &str = "basicConstraints=CA:FALSE\nsubjectAltName=DNS:good.example\n";

    fn check(
        v: &Verify,
        leaf: &CertificateDer<'static>,
        chain: &[CertificateDer<'static>],
        sni: Option<&str>,
    ) -> Result<(), rustls::Error> {
        v.verify_server_cert(
            leaf,
            chain,
            &server_name(sni).unwrap(),
            &[],
            UnixTime::now(),
        )
        .map(|_| ())
    }

    fn name_error(r: Result<(), rustls::Error>) -> bool {
        matches!(
            r,
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName
            ))
        )
    }

    #[test]
    fn verification_as_haproxy() {
        let pki = Pki::new();
        pki.root("ca", "testca", &[]);
        pki.root("other", "otherca", &[]);
        pki.signed("leaf", "cn.example", "ca", LEAF);
        let leaf = pki.cert("leaf");
        let v = |cas: &[&str], host: Option<&str>| {
            Verify::new(
                provider(),
                cas.iter().map(|c| pki.cert(c)).collect(),
                host.map(str::to_string),
            )
        };
        // The right CA: the SNI is checked, against the DNS names and the CN.
        let right = v(&["ca"], None);
        assert!(check(&right, &leaf, &[], Some("good.example")).is_ok());
        assert!(check(&right, &leaf, &[], Some("GOOD.example")).is_ok());
        assert!(check(&right, &leaf, &[], Some("cn.example")).is_ok());
        assert!(name_error(check(&right, &leaf, &[], Some("bad.example"))));
        // No SNI and no verifyhost: the chain alone (measured with HAProxy).
        assert!(check(&right, &leaf, &[], None).is_ok());
        // No SNI: verifyhost.
        assert!(name_error(check(
            &v(&["ca"], Some("bad.example")),
            &leaf,
            &[],
            None
        )));
        assert!(check(&v(&["ca"], Some("good.example")), &leaf, &[], None).is_ok());
        // The SNI sent wins over verifyhost (measured).
        let vh = v(&["ca"], Some("bad.example"));
        assert!(check(&vh, &leaf, &[], Some("good.example")).is_ok());
        let vh = v(&["ca"], Some("good.example"));
        assert!(name_error(check(&vh, &leaf, &[], Some("bad.example"))));
        // The wrong CA, whatever the name.
        let wrong = v(&["other"], None);
        assert!(check(&wrong, &leaf, &[], Some("good.example")).is_err());
        assert!(check(&wrong, &leaf, &[], None).is_err());
        // Out of its dates.
        let later = UnixTime::since_unix_epoch(std::time::Duration::from_secs(
            UnixTime::now().as_secs() + 10 * 86_400,
        ));
        assert!(right
            .verify_server_cert(&leaf, &[], &server_name(None).unwrap(), &[], later)
            .is_err());
    }

    #[test]
    fn chains_and_self_signed_certificates() {
        let pki = Pki::new();
        pki.root("root", "root", &[]);
        pki.signed(
            "inter",
            "inter",
            "root",
            "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n",
        );
        pki.signed("leaf", "leaf", "inter", LEAF);
        // A self-signed server certificate (CA:TRUE, as `openssl req -x509` makes it).
        pki.root("self", "self.example", &["subjectAltName=DNS:self.example"]);
        let (root, inter, leaf, own) = (
            pki.cert("root"),
            pki.cert("inter"),
            pki.cert("leaf"),
            pki.cert("self"),
        );
        let v = |cas: Vec<CertificateDer<'static>>| Verify::new(provider(), cas, None);
        let sni = Some("good.example");
        // The server sends the intermediate; the CA file has the root.
        assert!(check(
            &v(vec![root.clone()]),
            &leaf,
            std::slice::from_ref(&inter),
            sni
        )
        .is_ok());
        // It does not: the CA file's intermediate completes the chain.
        assert!(check(&v(vec![root.clone(), inter.clone()]), &leaf, &[], sni).is_ok());
        // Only the intermediate in the CA file: not a root (OpenSSL's rule), refused.
        assert!(check(&v(vec![inter.clone()]), &leaf, &[], sni).is_err());
        // Neither has it: no chain.
        assert!(check(&v(vec![root.clone()]), &leaf, &[], sni).is_err());
        // A self-signed certificate found as it is in the CA file is trusted, with its
        // names still checked (HAProxy accepts it too).
        let pinned = v(vec![own.clone()]);
        assert!(check(&pinned, &own, &[], None).is_ok());
        assert!(check(&pinned, &own, &[], Some("self.example")).is_ok());
        assert!(name_error(check(&pinned, &own, &[], Some("bad.example"))));
        assert!(check(&v(vec![root]), &own, &[], None).is_err());
    }

    #[test]
    fn clients_are_built_from_the_options() {
        let pki = Pki::new();
        pki.root("ca", "testca", &[]);
        pki.signed("client", "client", "ca", "basicConstraints=CA:FALSE\n");
        let pem = std::fs::read_to_string(pki.path("client.crt")).unwrap()
            + &std::fs::read_to_string(pki.path("client.key")).unwrap();
        std::fs::write(pki.path("client.pem"), pem).unwrap();
        let spec = ClientSpec {
            verification: Verification::Required {
                cas: vec![pki.cert("ca")],
                from: "ca.pem".into(),
                verifyhost: Some("v.example".into()),
            },
            crt: Some(pki.path("client.pem")),
            versions: (TlsVersion::Tls13, TlsVersion::Tls13),
            alpn: vec!["http/1.1".into()],
            reuse: false,
            tickets: true,
        };
        let about = spec.build().unwrap().about;
        for part in [
            "verify required: 1 roots",
            "verifyhost v.example",
            "client.pem",
            "versions TLSv1.3-TLSv1.3",
            "alpn [http/1.1]",
            "session reuse off",
        ] {
            assert!(about.contains(part), "{part} in {about}");
        }
        // A certificate file without its key (nor a .key file beside it) cannot be used.
        std::fs::copy(pki.path("client.crt"), pki.path("lonely.pem")).unwrap();
        let no_key = ClientSpec {
            crt: Some(pki.path("lonely.pem")),
            ..spec.clone()
        };
        assert!(no_key.build().is_err());
        let none = ClientSpec {
            verification: Verification::None,
            crt: None,
            ..spec
        };
        assert!(none.build().unwrap().about.starts_with("verify none"));
    }

    #[test]
    fn ca_files_and_directories() {
        let pki = Pki::new();
        pki.root("a", "a", &[]);
        pki.root("b", "b", &[]);
        let bundle = std::fs::read_to_string(pki.path("a.crt")).unwrap()
            + &std::fs::read_to_string(pki.path("b.crt")).unwrap();
        std::fs::write(pki.path("bundle.pem"), bundle).unwrap();
        let (cas, notes) = load_cas(&CaSource::File(pki.path("bundle.pem"))).unwrap();
        assert_eq!((cas.len(), notes.len()), (2, 0));
        // A file without a certificate, or none at all: errors (HAProxy's too).
        std::fs::write(pki.path("empty.pem"), "").unwrap();
        assert!(load_cas(&CaSource::File(pki.path("empty.pem"))).is_err());
        assert!(load_cas(&CaSource::File(pki.path("nope.pem"))).is_err());
        // A directory: its .pem/.crt/.cer files, each certificate once; remarks for
        // files without one.
        let (cas, notes) = load_cas(&CaSource::File(pki.dir.path().to_path_buf())).unwrap();
        assert_eq!(cas.len(), 2);
        assert_eq!(notes.len(), 1, "{notes:?}");
        let empty = tempfile::tempdir().unwrap();
        let (cas, notes) = load_cas(&CaSource::File(empty.path().to_path_buf())).unwrap();
        assert!(cas.is_empty() && notes.len() == 1);
    }

    #[test]
    fn ca_sources_as_haproxy() {
        assert_eq!(CaSource::of("@system-ca", None), CaSource::System);
        // ca-base applies to relative names, `@system-ca` included (HAProxy 2.6 then
        // looks for a file of that name, and fails).
        assert_eq!(
            CaSource::of("@system-ca", Some("/etc/ssl")),
            CaSource::File(PathBuf::from("/etc/ssl/@system-ca"))
        );
        assert_eq!(
            CaSource::of("ca.pem", Some("/etc/ssl")),
            CaSource::File(PathBuf::from("/etc/ssl/ca.pem"))
        );
        assert_eq!(
            CaSource::of("/x/ca.pem", Some("/etc/ssl")),
            CaSource::File(PathBuf::from("/x/ca.pem"))
        );
    }
}
