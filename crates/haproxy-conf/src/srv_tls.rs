//! TLS towards servers: the protocol versions a server line (with the global
//! `ssl-default-server-options`) allows, combined as HAProxy 2.6 combines them.
//!
//! Measured with HAProxy 2.6.12: a server's versions start from TLSv1.0-TLSv1.3; `no-*`
//! options take versions out from either end (a version taken out between two that stay
//! leaves a hole: HAProxy warns and keeps the whole range, so `no-tlsv12` alone still
//! speaks TLSv1.2); `force-*` allows one version; `ssl-min-ver` / `ssl-max-ver` set the
//! ends and, when present, make HAProxy ignore every `no-*` option (with a warning),
//! while a `force-*` still gives the end they do not set.

use serde::Serialize;

/// A TLS protocol version, as HAProxy names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum TlsVersion {
    SslV3,
    Tls10,
    Tls11,
    Tls12,
    Tls13,
}

impl TlsVersion {
    pub const ALL: [TlsVersion; 5] = [
        TlsVersion::SslV3,
        TlsVersion::Tls10,
        TlsVersion::Tls11,
        TlsVersion::Tls12,
        TlsVersion::Tls13,
    ];

    /// `SSLv3`, `TLSv1.0`... as `ssl-min-ver` takes them.
    pub fn named(s: &str) -> Option<TlsVersion> {
        TlsVersion::ALL.into_iter().find(|v| v.name() == s)
    }

    pub fn name(self) -> &'static str {
        match self {
            TlsVersion::SslV3 => "SSLv3",
            TlsVersion::Tls10 => "TLSv1.0",
            TlsVersion::Tls11 => "TLSv1.1",
            TlsVersion::Tls12 => "TLSv1.2",
            TlsVersion::Tls13 => "TLSv1.3",
        }
    }

    /// The suffix of `no-*` / `force-*` options (`sslv3`, `tlsv10`...).
    pub fn option_suffix(self) -> &'static str {
        match self {
            TlsVersion::SslV3 => "sslv3",
            TlsVersion::Tls10 => "tlsv10",
            TlsVersion::Tls11 => "tlsv11",
            TlsVersion::Tls12 => "tlsv12",
            TlsVersion::Tls13 => "tlsv13",
        }
    }

    /// The version of a `no-*` / `force-*` option's suffix.
    pub fn of_suffix(s: &str) -> Option<TlsVersion> {
        TlsVersion::ALL.into_iter().find(|v| v.option_suffix() == s)
    }

    /// Whether rustls (so proxyd) speaks it.
    pub fn spoken(self) -> bool {
        self >= TlsVersion::Tls12
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// The version options of a server line, or of `ssl-default-server-options`, as written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TlsVersions {
    /// `ssl-min-ver`.
    pub min: Option<TlsVersion>,
    /// `ssl-max-ver`.
    pub max: Option<TlsVersion>,
    /// `force-*`.
    pub force: Option<TlsVersion>,
    /// `no-*`, one bit per version.
    pub disabled: u8,
}

/// A remark about how the versions were combined (HAProxy gives the same warnings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum VersionNote {
    /// `ssl-min-ver`/`ssl-max-ver` are set: the `no-*` options are ignored.
    NoOptionsIgnored,
    /// `no-*` options take out versions between two that stay: the range is kept.
    Hole(Vec<TlsVersion>),
}

impl TlsVersions {
    pub fn disable(&mut self, v: TlsVersion) {
        self.disabled |= v.bit();
    }

    pub fn enable(&mut self, v: TlsVersion) {
        self.disabled &= !v.bit();
    }

    pub fn is_disabled(&self, v: TlsVersion) -> bool {
        self.disabled & v.bit() != 0
    }

    /// A server's options over the global defaults: the server's ends win, the `no-*`
    /// options add up.
    pub fn over(self, defaults: &TlsVersions) -> TlsVersions {
        TlsVersions {
            min: self.min.or(defaults.min),
            max: self.max.or(defaults.max),
            force: self.force.or(defaults.force),
            disabled: self.disabled | defaults.disabled,
        }
    }

    /// The versions HAProxy would allow, lowest and highest, with its remarks; an error
    /// when none is left.
    pub fn range(&self) -> Result<(TlsVersion, TlsVersion, Vec<VersionNote>), String> {
        let mut notes = Vec::new();
        let (mut lo, mut hi) = match self.force {
            Some(f) => (f, f),
            None => (TlsVersion::Tls10, TlsVersion::Tls13),
        };
        if self.min.is_some() || self.max.is_some() {
            if self.disabled != 0 {
                notes.push(VersionNote::NoOptionsIgnored);
            }
            lo = self.min.unwrap_or(lo);
            hi = self.max.unwrap_or(hi);
        } else if self.force.is_none() {
            let on: Vec<TlsVersion> = TlsVersion::ALL
                .into_iter()
                .filter(|v| (TlsVersion::Tls10..=TlsVersion::Tls13).contains(v))
                .filter(|v| !self.is_disabled(*v))
                .collect();
            match (on.first(), on.last()) {
                (Some(&a), Some(&b)) => {
                    lo = a;
                    hi = b;
                    let hole: Vec<TlsVersion> = TlsVersion::ALL
                        .into_iter()
                        .filter(|v| *v > a && *v < b && self.is_disabled(*v))
                        .collect();
                    if !hole.is_empty() {
                        notes.push(VersionNote::Hole(hole));
                    }
                }
                _ => return Err("every SSL/TLS version is disabled".into()),
            }
        }
        if lo > hi {
            return Err(format!(
                "no SSL/TLS version is left between {} and {}",
                lo.name(),
                hi.name()
            ));
        }
        Ok((lo, hi, notes))
    }

    /// The versions proxyd speaks of that range (rustls: TLSv1.2 and TLSv1.3); an error
    /// when only older ones would be left.
    pub fn spoken_range(&self) -> Result<(TlsVersion, TlsVersion), String> {
        let (lo, hi, _) = self.range()?;
        if !hi.spoken() {
            return Err(format!(
                "only versions up to {} are allowed, and proxyd (rustls) speaks TLSv1.2 and TLSv1.3 only",
                hi.name()
            ));
        }
        Ok((lo.max(TlsVersion::Tls12), hi))
    }
}

#[cfg(test)]
mod tests {
    use super::TlsVersion::*;
    use super::*;

    fn no(vs: &[TlsVersion]) -> TlsVersions {
        let mut t = TlsVersions::default();
        for v in vs {
            t.disable(*v);
        }
        t
    }

    #[test]
    fn versions_combine_as_haproxy() {
        // Nothing said: TLSv1.0 to TLSv1.3 (proxyd: 1.2 and 1.3).
        let t = TlsVersions::default();
        assert_eq!(t.range().unwrap(), (Tls10, Tls13, vec![]));
        assert_eq!(t.spoken_range().unwrap(), (Tls12, Tls13));
        // `no-tlsv12` alone leaves a hole: HAProxy warns and still speaks TLSv1.2.
        let t = no(&[Tls12]);
        assert_eq!(
            t.range().unwrap(),
            (Tls10, Tls13, vec![VersionNote::Hole(vec![Tls12])])
        );
        assert_eq!(
            no(&[Tls11, Tls12]).range().unwrap(),
            (Tls10, Tls13, vec![VersionNote::Hole(vec![Tls11, Tls12])])
        );
        assert_eq!(t.spoken_range().unwrap(), (Tls12, Tls13));
        // Taken from the bottom: only TLSv1.3.
        let t = no(&[Tls10, Tls11, Tls12]);
        assert_eq!(t.spoken_range().unwrap(), (Tls13, Tls13));
        // `no-sslv3` changes nothing (SSLv3 is not in the range).
        assert_eq!(no(&[SslV3]).range().unwrap(), (Tls10, Tls13, vec![]));
        // `no-tlsv13`: up to TLSv1.2.
        assert_eq!(no(&[Tls13]).spoken_range().unwrap(), (Tls12, Tls12));
        // Nothing proxyd speaks is left.
        assert!(no(&[Tls12, Tls13]).spoken_range().is_err());
        assert!(no(&[Tls10, Tls11, Tls12, Tls13]).range().is_err());
        // Explicit ends make the `no-*` options ignored.
        let mut t = no(&[Tls12]);
        t.min = Some(Tls12);
        assert_eq!(
            t.range().unwrap(),
            (Tls12, Tls13, vec![VersionNote::NoOptionsIgnored])
        );
        // force-tlsv12 with ssl-max-ver TLSv1.3: 1.2 to 1.3 (measured, either order).
        let t = TlsVersions {
            force: Some(Tls12),
            max: Some(Tls13),
            ..TlsVersions::default()
        };
        assert_eq!(t.spoken_range().unwrap(), (Tls12, Tls13));
        let t = TlsVersions {
            force: Some(Tls13),
            ..TlsVersions::default()
        };
        assert_eq!(t.spoken_range().unwrap(), (Tls13, Tls13));
        // min above max: nothing left.
        let t = TlsVersions {
            min: Some(Tls13),
            max: Some(Tls12),
            ..TlsVersions::default()
        };
        assert!(t.range().is_err());
    }

    #[test]
    fn server_options_over_global_defaults() {
        let global = TlsVersions {
            max: Some(Tls12),
            disabled: Tls10.bit(),
            ..TlsVersions::default()
        };
        let server = TlsVersions {
            min: Some(Tls12),
            ..TlsVersions::default()
        };
        let t = server.over(&global);
        assert_eq!((t.min, t.max), (Some(Tls12), Some(Tls12)));
        assert!(t.is_disabled(Tls10));
        assert_eq!(TlsVersion::named("TLSv1.3"), Some(Tls13));
        assert_eq!(TlsVersion::of_suffix("tlsv11"), Some(Tls11));
    }
}
