//! Variables (`set-var(txn.x)`, `var(sess.y)`): one store per scope, the data plane
//! deciding how long each lives (the process, a connection, a request and its response,
//! one direction of it).

use super::Value;
use haproxy_conf::sample::conv::VarCond;
use haproxy_conf::sample::{Scope, VarRef};
use std::collections::HashMap;
use std::sync::Mutex;

/// The variables of one scope.
#[derive(Debug, Default)]
pub struct Store(Mutex<HashMap<String, Value>>);

impl Store {
    pub fn new() -> Store {
        Store::default()
    }

    fn with<R>(&self, f: impl FnOnce(&mut HashMap<String, Value>) -> R) -> R {
        match self.0.lock() {
            Ok(mut m) => f(&mut m),
            // A panic elsewhere while holding the lock: the map itself is still whole.
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    pub fn get(&self, name: &str) -> Option<Value> {
        self.with(|m| m.get(name).cloned())
    }

    pub fn set(&self, name: &str, v: Value) {
        self.with(|m| {
            m.insert(name.to_string(), v);
        })
    }

    pub fn unset(&self, name: &str) {
        self.with(|m| {
            m.remove(name);
        })
    }

    pub fn clear(&self) {
        self.with(|m| m.clear())
    }
}

/// The stores a rule can reach now (None: that scope does not exist at this point, e.g.
/// `res.` while the request is processed).
#[derive(Debug, Clone, Copy)]
pub struct Scopes<'a> {
    pub proc: &'a Store,
    pub sess: Option<&'a Store>,
    pub txn: Option<&'a Store>,
    pub req: Option<&'a Store>,
    pub res: Option<&'a Store>,
    pub check: Option<&'a Store>,
}

impl<'a> Scopes<'a> {
    fn store(&self, s: Scope) -> Option<&'a Store> {
        match s {
            Scope::Proc => Some(self.proc),
            Scope::Sess => self.sess,
            Scope::Txn => self.txn,
            Scope::Req => self.req,
            Scope::Res => self.res,
            Scope::Check => self.check,
        }
    }

    pub fn get(&self, v: &VarRef) -> Option<Value> {
        self.store(v.scope)?.get(&v.name)
    }

    /// `set-var`: store `val` unless a condition says no; whether it was stored.
    pub fn set(&self, v: &VarRef, val: Value, conds: &[VarCond]) -> bool {
        let Some(store) = self.store(v.scope) else {
            return false;
        };
        let old = store.get(&v.name);
        let ok = conds.iter().all(|c| match c {
            VarCond::IfExists | VarCond::IfSet => old.is_some(),
            VarCond::IfNotExists | VarCond::IfNotSet => old.is_none(),
            VarCond::IfEmpty => val.is_empty(),
            VarCond::IfNotEmpty => !val.is_empty(),
            // Compared when both are integers; otherwise the condition holds.
            VarCond::IfGt => match (&old, &val) {
                (Some(Value::Int(o)), Value::Int(n)) => o > n,
                _ => true,
            },
            VarCond::IfLt => match (&old, &val) {
                (Some(Value::Int(o)), Value::Int(n)) => o < n,
                _ => true,
            },
        });
        if ok {
            store.set(&v.name, val);
        }
        ok
    }

    pub fn unset(&self, v: &VarRef) {
        if let Some(s) = self.store(v.scope) {
            s.unset(&v.name);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_and_conditions() {
        let (proc, txn) = (Store::new(), Store::new());
        let s = Scopes {
            proc: &proc,
            sess: None,
            txn: Some(&txn),
            req: None,
            res: None,
            check: None,
        };
        let v = VarRef::parse("txn.n").unwrap();
        assert!(s.set(&v, Value::Int(5), &[VarCond::IfNotSet]));
        assert!(!s.set(&v, Value::Int(9), &[VarCond::IfNotSet]));
        // ifgt: set when the variable is greater than the input.
        assert!(!s.set(&v, Value::Int(9), &[VarCond::IfGt]));
        assert!(s.set(&v, Value::Int(3), &[VarCond::IfGt]));
        assert!(!s.set(&v, Value::Int(1), &[VarCond::IfLt]));
        assert_eq!(s.get(&v), Some(Value::Int(3)));
        assert!(!s.set(&v, Value::Str(String::new()), &[VarCond::IfNotEmpty]));
        s.unset(&v);
        assert_eq!(s.get(&v), None);
        // A scope that does not exist here takes nothing.
        let r = VarRef::parse("res.x").unwrap();
        assert!(!s.set(&r, Value::Int(1), &[]));
        assert_eq!(s.get(&r), None);
    }
}
