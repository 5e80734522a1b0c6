//! A proxy's ACLs, grouped by name (several `acl` lines with one name are one ACL, true
//! when any line is), HAProxy's predefined ACLs on demand, and conditions (`if|unless
//! ...`) turned into proxy-core terms over them. Everything arrives typed from the model.

use haproxy_conf::model::{Acl, AclRef, Condition, Proxy};
use haproxy_conf::sample::predefined_acl;
use proxy_core::acl::{Cond, Fetch, Sample, Term};
use std::collections::HashMap;

#[derive(Debug, Default)]
pub struct AclSet {
    groups: Vec<Vec<Acl>>,
    named: HashMap<String, usize>,
    /// The ACLs as the runtime API left them (`add acl`...): set when the process
    /// serves; until then, and without changes, they are `groups`.
    live: std::sync::OnceLock<super::acl_refs::Live>,
}

impl AclSet {
    pub fn new(p: &Proxy) -> AclSet {
        let mut set = AclSet::default();
        for a in &p.acls {
            match set.named.get(&a.name) {
                Some(&i) => set.groups[i].push(a.clone()),
                None => {
                    set.named.insert(a.name.clone(), set.groups.len());
                    set.groups.push(vec![a.clone()]);
                }
            }
        }
        set
    }

    /// Translate a condition, adding its anonymous and predefined ACLs. The model's
    /// checks guarantee every name exists; one that does not is an error here too.
    pub fn condition(&mut self, c: &Condition) -> Result<Cond, String> {
        let mut any_of = Vec::new();
        for group in &c.any_of {
            let mut terms = Vec::new();
            for t in group {
                let acl = match &t.acl {
                    AclRef::Named(n) => match self.named.get(n) {
                        Some(&i) => i,
                        None => {
                            let def = predefined_acl(n)
                                .ok_or_else(|| format!("acl `{n}` is not defined"))?;
                            self.named.insert(n.clone(), self.groups.len());
                            self.groups.push(vec![def]);
                            self.groups.len() - 1
                        }
                    },
                    AclRef::Anonymous(a) => {
                        self.groups.push(vec![a.clone()]);
                        self.groups.len() - 1
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
            .filter_map(|i| self.groups.get(i))
            .flatten()
            .map(|a| &a.expr.fetch)
    }

    /// Whether an optional condition holds (no condition: always).
    pub fn holds(&self, c: &Option<Cond>, s: &dyn Sample) -> bool {
        c.as_ref().is_none_or(|c| self.holds_cond(c, s))
    }

    pub fn holds_cond(&self, c: &Cond, s: &dyn Sample) -> bool {
        match self.live.get() {
            Some(live) => {
                let now = live.read().unwrap_or_else(|p| p.into_inner()).clone();
                c.eval(&now, s)
            }
            None => c.eval(&self.groups, s),
        }
    }

    /// Serve changes from the runtime API: the ACLs from now on come from `live`.
    pub fn go_live(&self) -> Option<super::acl_refs::Live> {
        let live: super::acl_refs::Live = std::sync::Arc::new(std::sync::RwLock::new(
            std::sync::Arc::new(self.groups.clone()),
        ));
        self.live.set(live.clone()).ok()?;
        Some(live)
    }
}
