//! A proxy's ACLs compiled with proxy-core, and conditions (`if|unless ...`) turned into
//! proxy-core terms over them.

use haproxy_conf::model::{AclRef, Condition, Proxy};
use proxy_core::acl::{CompiledAcl, Cond, Fetch, Sample, Term};
use std::collections::HashMap;

#[derive(Default)]
pub struct AclSet {
    acls: Vec<CompiledAcl>,
    named: HashMap<String, usize>,
}

impl AclSet {
    pub fn new(p: &Proxy) -> Result<AclSet, String> {
        let mut set = AclSet::default();
        for a in &p.acls {
            if set.named.contains_key(&a.name) {
                return Err(format!(
                    "acl `{}` is declared on several lines; this build needs one line per name",
                    a.name
                ));
            }
            let c = CompiledAcl::compile(&a.name, &a.fetch, &a.flags, &a.patterns)
                .map_err(|e| format!("acl {}: {e}", a.name))?;
            set.named.insert(a.name.clone(), set.acls.len());
            set.acls.push(c);
        }
        Ok(set)
    }

    /// Translate a condition, compiling its anonymous ACLs.
    pub fn condition(&mut self, c: &Condition) -> Result<Cond, String> {
        let mut any_of = Vec::new();
        for group in &c.any_of {
            let mut terms = Vec::new();
            for t in group {
                let acl = match &t.acl {
                    AclRef::Named(n) => *self
                        .named
                        .get(n)
                        .ok_or_else(|| format!("acl `{n}` is not defined"))?,
                    AclRef::Anonymous(a) => {
                        let c = CompiledAcl::compile("", &a.fetch, &a.flags, &a.patterns)?;
                        self.acls.push(c);
                        self.acls.len() - 1
                    }
                };
                terms.push(Term {
                    negate: t.negate,
                    acl,
                });
            }
            any_of.push(terms);
        }
        Ok(Cond {
            unless: c.unless,
            any_of,
        })
    }

    pub fn compile_opt(&mut self, c: &Option<Condition>) -> Result<Option<Cond>, String> {
        c.as_ref().map(|c| self.condition(c)).transpose()
    }

    /// The fetches an optional condition uses.
    pub fn fetches<'a>(&'a self, c: &'a Option<Cond>) -> impl Iterator<Item = &'a Fetch> + 'a {
        c.iter()
            .flat_map(|c| c.acls())
            .filter_map(|i| self.acls.get(i).map(|a| a.fetch()))
    }

    /// Whether an optional condition holds (no condition: always).
    pub fn holds(&self, c: &Option<Cond>, s: &dyn Sample) -> bool {
        c.as_ref().is_none_or(|c| c.eval(&self.acls, s))
    }
}
