//! Userlists at run time: Basic credentials checked against `user` lines
//! (`insecure-password` compared as written, `password` hashes through crypt(3)'s
//! algorithms), and the groups a user belongs to (`http_auth_group`).

use super::PlanError;
use base64::Engine;
use haproxy_conf::model::{Config, Password, Userlist};
use std::collections::HashMap;

/// The hash formats proxyd can check: MD5 (`$1$`), SHA-256 (`$5$`), SHA-512 (`$6$`),
/// bcrypt (`$2a$`, `$2b$`, `$2y$`) and traditional DES (13 characters).
fn checkable(hash: &str) -> bool {
    ["$1$", "$5$", "$6$", "$2a$", "$2b$", "$2y$"]
        .iter()
        .any(|p| hash.starts_with(p))
        || (hash.len() == 13
            && hash
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'/'))
}

#[derive(Debug, Default)]
pub struct Userlists(HashMap<String, Userlist>);

impl Userlists {
    pub fn new(cfg: &Config) -> (Userlists, Vec<PlanError>) {
        let mut errors = Vec::new();
        for u in &cfg.userlists {
            for user in &u.users {
                if let Some(Password::Hashed(h)) = &user.password {
                    if !checkable(h) {
                        errors.push(PlanError {
                            span: None,
                            message: format!(
                                "userlist {}: user `{}`: proxyd cannot check this password hash (it checks $1$, $5$, $6$, $2b$ and DES hashes; yescrypt `$y$` and others not yet)",
                                u.name, user.name
                            ),
                        });
                    }
                }
            }
        }
        (
            Userlists(
                cfg.userlists
                    .iter()
                    .map(|u| (u.name.clone(), u.clone()))
                    .collect(),
            ),
            errors,
        )
    }

    /// Whether `user`/`pass` are valid in `list`.
    pub fn check(&self, list: &str, user: &str, pass: &str) -> bool {
        let Some(u) = self.0.get(list) else {
            return false;
        };
        u.users
            .iter()
            .filter(|x| x.name == user)
            .any(|x| match &x.password {
                Some(Password::Insecure(p)) => p == pass,
                Some(Password::Hashed(h)) => pwhash::unix::verify(pass, h),
                None => false,
            })
    }

    /// The groups `user` belongs to in `list`.
    pub fn groups(&self, list: &str, user: &str) -> Vec<String> {
        self.0
            .get(list)
            .map(|u| u.groups_of(user).into_iter().map(str::to_string).collect())
            .unwrap_or_default()
    }
}

/// The Authorization header's scheme (as written) and, for Basic, the user and password.
pub fn credentials(h: &http::HeaderMap) -> Option<(String, Option<(String, String)>)> {
    let v = h.get(http::header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, rest) = v.trim().split_once(' ').unwrap_or((v.trim(), ""));
    let basic = scheme
        .eq_ignore_ascii_case("basic")
        .then(|| {
            let raw = base64::engine::general_purpose::STANDARD
                .decode(rest.trim())
                .ok()?;
            let text = String::from_utf8(raw).ok()?;
            let (u, p) = text.split_once(':')?;
            Some((u.to_string(), p.to_string()))
        })
        .flatten();
    Some((scheme.to_string(), basic))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_and_headers() {
        assert!(checkable("$6$salt$abc"));
        assert!(checkable("abJnggxhB/yWI"));
        assert!(!checkable("$y$j9T$abc"));
        // `openssl passwd -1|-5|-6 -salt ... secret`
        for h in [
            "$1$xyz$Qia9Wq6FxQkYcwNWMk/RM0",
            "$5$saltsalt$0IyaXrmV7.sGNS6tirgqHLqX/G.FBvgkYA.lpPdS5sA",
            "$6$saltsalt$TVLlQcbpFVof5W3Yz4DTP6gRstiNuHwwTt6GLc1E5n0U0aDehy0S5knV8wiOQSpT0Y77vwPZN.Pq.H91p5hVO1",
        ] {
            assert!(pwhash::unix::verify("secret", h), "{h}");
            assert!(!pwhash::unix::verify("Secret", h), "{h}");
        }
        let mut h = http::HeaderMap::new();
        h.insert(
            http::header::AUTHORIZATION,
            http::HeaderValue::from_static("Basic dXNlcjpwYTpzcw=="),
        );
        assert_eq!(
            credentials(&h),
            Some((
                "Basic".to_string(),
                Some(("user".to_string(), "pa:ss".to_string()))
            ))
        );
    }
}
