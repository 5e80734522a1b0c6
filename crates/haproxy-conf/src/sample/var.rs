//! Variable names: `txn.user`, `sess.src`, `proc.limit`... as `set-var`, `var()` and the
//! converters taking a variable write them.

use serde::Serialize;

/// How long a variable lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// The whole process.
    Proc,
    /// One client connection.
    Sess,
    /// One request and its response.
    Txn,
    /// While the request is processed.
    Req,
    /// While the response is processed.
    Res,
    /// One health check.
    Check,
}

impl Scope {
    pub fn name(self) -> &'static str {
        match self {
            Scope::Proc => "proc",
            Scope::Sess => "sess",
            Scope::Txn => "txn",
            Scope::Req => "req",
            Scope::Res => "res",
            Scope::Check => "check",
        }
    }
}

/// A variable: its scope and its name within the scope.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct VarRef {
    pub scope: Scope,
    pub name: String,
}

impl std::fmt::Display for VarRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.scope.name(), self.name)
    }
}

impl VarRef {
    /// `scope.name`; the error says what is wrong.
    pub fn parse(text: &str) -> Result<VarRef, String> {
        let (scope, name) = text.split_once('.').ok_or_else(|| {
            format!("`{text}`: a variable name starts with its scope (proc., sess., txn., req., res. or check.)")
        })?;
        let scope = match scope {
            "proc" => Scope::Proc,
            "sess" => Scope::Sess,
            "txn" => Scope::Txn,
            "req" => Scope::Req,
            "res" => Scope::Res,
            "check" => Scope::Check,
            other => {
                return Err(format!(
                "`{text}`: unknown variable scope `{other}` (proc, sess, txn, req, res or check)"
            ))
            }
        };
        if name.is_empty()
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
        {
            return Err(format!(
                "`{text}`: a variable name may only hold letters, digits, `.` and `_`"
            ));
        }
        Ok(VarRef {
            scope,
            name: name.to_string(),
        })
    }

    /// Whether `text` looks like a variable rather than a literal (a known scope prefix).
    pub fn looks_like(text: &str) -> bool {
        text.split_once('.')
            .is_some_and(|(s, _)| matches!(s, "proc" | "sess" | "txn" | "req" | "res" | "check"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let v = VarRef::parse("txn.my.var_1").unwrap();
        assert_eq!((v.scope, v.name.as_str()), (Scope::Txn, "my.var_1"));
        assert_eq!(v.to_string(), "txn.my.var_1");
        assert!(VarRef::parse("foo").is_err());
        assert!(VarRef::parse("tx.foo").is_err());
        assert!(VarRef::parse("txn.").is_err());
        assert!(VarRef::parse("txn.a-b").is_err());
        assert!(VarRef::looks_like("sess.x") && !VarRef::looks_like("12"));
    }
}
