//! ACL pattern references for the runtime API (`show|get|add|del|clear acl`), as
//! HAProxy numbers them: in the order of the configuration, each `-f` file the first
//! time an ACL line loads it (shared by every line loading it), then each line's own
//! patterns. A change rebuilds the patterns of the lines using the reference and swaps
//! them into every proxy's ACLs: requests see it at once.

use super::acls::AclSet;
use haproxy_conf::model::Acl;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, RwLock};

/// A proxy's ACLs as requests read them.
pub type Live = Arc<RwLock<Arc<Vec<Vec<Acl>>>>>;

/// The configuration's text, for the references' descriptions (file and line).
pub static SOURCES: OnceLock<conf_diag::SourceMap> = OnceLock::new();

static STORE: OnceLock<Mutex<Store>> = OnceLock::new();

/// An ACL line, by where it is written.
type LineKey = (usize, usize);

struct Ref {
    file: Option<String>,
    desc: String,
    /// Entries with the number `show acl` gives them (`del acl ... #REF`).
    entries: Vec<(u64, String)>,
}

/// A proxy's ACLs as they are now.
struct User {
    live: Live,
}

impl User {
    fn now(&self) -> Arc<Vec<Vec<Acl>>> {
        self.live.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

#[derive(Default)]
struct Store {
    refs: Vec<Ref>,
    /// A line's own reference and its files', by line.
    lines: HashMap<LineKey, (usize, Vec<usize>)>,
    users: Vec<User>,
    next: u64,
}

fn store() -> MutexGuard<'static, Store> {
    STORE
        .get_or_init(|| Mutex::new(Store::default()))
        .lock()
        .unwrap_or_else(|p| p.into_inner())
}

fn key(a: &Acl) -> Option<LineKey> {
    // Predefined ACLs have no place in the file, and no patterns to change.
    (a.span.end > 0).then_some((a.span.file.0 as usize, a.span.start as usize))
}

/// `file 'NAME' line N`, and the criterion's keyword, from the configuration's text.
fn place(a: &Acl) -> (String, String) {
    let Some(f) = SOURCES.get().and_then(|m| m.file(a.span.file)) else {
        return ("?".into(), "?".into());
    };
    let start = a.span.start as usize;
    let at = f.line_col(start).line;
    let text = f.text.get(start..).unwrap_or("");
    let mut words = text.split_whitespace();
    let first = words.next().unwrap_or("");
    let crit = if first == "acl" {
        words.nth(1).unwrap_or("")
    } else {
        first.trim_start_matches('{')
    };
    let crit = crit.split('(').next().unwrap_or(crit).to_string();
    (format!("file '{}' line {at}", f.name), crit)
}

/// Number the references of every proxy's ACLs and serve changes to them.
pub fn register<'a>(sets: impl Iterator<Item = &'a AclSet>) {
    let mut st = store();
    for s in sets {
        if let Some(live) = s.go_live() {
            st.users.push(User { live });
        }
    }
    // Every line once (a listen section's ACLs are a frontend's and a backend's), in
    // the order of the file.
    let mut lines: Vec<(LineKey, Acl)> = Vec::new();
    for u in &st.users {
        for a in u.now().iter().flatten() {
            if let Some(k) = key(a) {
                if !lines.iter().any(|(l, _)| *l == k) {
                    lines.push((k, a.clone()));
                }
            }
        }
    }
    lines.sort_by_key(|(k, _)| *k);
    let mut files: HashMap<String, usize> = HashMap::new();
    let mut next = st.next;
    let mut number = |words: &[String]| -> Vec<(u64, String)> {
        words
            .iter()
            .map(|w| {
                next += 1;
                (next, w.clone())
            })
            .collect()
    };
    let mut refs = Vec::new();
    let mut by_line = HashMap::new();
    for (k, a) in &lines {
        let (at, crit) = place(a);
        let mut file_refs = Vec::new();
        for (path, words) in &a.sources.files {
            let id = match files.get(path) {
                Some(&id) => {
                    let r: &mut Ref = &mut refs[id];
                    r.desc.push_str(&format!(", by acl at {at}"));
                    id
                }
                None => {
                    refs.push(Ref {
                        file: Some(path.clone()),
                        desc: format!("pattern loaded from file '{path}' used by acl at {at}"),
                        entries: number(words),
                    });
                    files.insert(path.clone(), refs.len() - 1);
                    refs.len() - 1
                }
            };
            file_refs.push(id);
        }
        refs.push(Ref {
            file: None,
            desc: format!("acl '{crit}' {at}"),
            entries: number(&a.sources.inline),
        });
        by_line.insert(*k, (refs.len() - 1, file_refs));
    }
    st.next = next;
    st.refs = refs;
    st.lines = by_line;
}

/// A reference by `#ID` or file path.
fn find(st: &Store, id: &str) -> Option<usize> {
    match id.strip_prefix('#') {
        Some(n) => n.parse::<usize>().ok().filter(|&i| i < st.refs.len()),
        None => st.refs.iter().position(|r| r.file.as_deref() == Some(id)),
    }
}

const UNKNOWN: &str = "Unknown ACL identifier. Please use #<id> or <file>.\n";

/// `show acl [ID]`.
pub fn show(id: Option<&str>) -> String {
    let st = store();
    let Some(id) = id else {
        let mut o = String::from("# id (file) description\n");
        for (i, r) in st.refs.iter().enumerate() {
            o.push_str(&format!(
                "{i} ({}) {}. curr_ver=0 next_ver=0 entry_cnt={}\n",
                r.file.as_deref().unwrap_or(""),
                r.desc,
                r.entries.len()
            ));
        }
        return o;
    };
    let Some(i) = find(&st, id) else {
        return UNKNOWN.into();
    };
    st.refs[i]
        .entries
        .iter()
        .map(|(n, p)| format!("{} {p}\n", entry_ref(*n)))
        .collect()
}

/// What `show acl` shows in place of HAProxy's entry address: a number of its own.
fn entry_ref(n: u64) -> String {
    format!("0x{:012x}", 0x5500_0000_0000_u64 + n)
}

/// The lines using reference `i`: their patterns made again from the references, and
/// every proxy's ACLs swapped. An entry a line cannot take (a bad address) is refused
/// before anything changes.
fn apply(
    st: &mut Store,
    i: usize,
    change: impl FnOnce(&mut Vec<(u64, String)>) -> Result<(), String>,
) -> Result<(), String> {
    let mut entries = st.refs[i].entries.clone();
    change(&mut entries)?;
    // Rebuild each user's lines that use the reference.
    let mut rebuilt: Vec<Vec<Vec<Acl>>> = Vec::new();
    for u in &st.users {
        let mut groups = Vec::clone(&u.now());
        for a in groups.iter_mut().flatten() {
            let Some((own, files)) = key(a).and_then(|k| st.lines.get(&k)) else {
                continue;
            };
            if *own != i && !files.contains(&i) {
                continue;
            }
            let words_of = |r: usize| -> Vec<String> {
                let e = if r == i {
                    &entries
                } else {
                    &st.refs[r].entries
                };
                e.iter().map(|(_, w)| w.clone()).collect()
            };
            let mut words = words_of(*own);
            for f in files {
                words.extend(words_of(*f));
            }
            a.patterns = haproxy_conf::sample::patterns(a.method, a.nocase, &words)
                .map_err(|e| e.message)?;
        }
        rebuilt.push(groups);
    }
    st.refs[i].entries = entries;
    for (u, groups) in st.users.iter().zip(rebuilt) {
        *u.live.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(groups);
    }
    Ok(())
}

/// The first line using reference `i` (its match method is the reference's).
fn line_of(st: &Store, i: usize) -> Option<Acl> {
    st.users.iter().find_map(|u| {
        u.now()
            .iter()
            .flatten()
            .find(|a| {
                key(a)
                    .and_then(|k| st.lines.get(&k))
                    .is_some_and(|(own, files)| *own == i || files.contains(&i))
            })
            .cloned()
    })
}

fn method_of(st: &Store, i: usize) -> Option<haproxy_conf::sample::MatchMethod> {
    line_of(st, i).map(|a| a.method)
}

pub fn add(id: &str, pattern: &str) -> String {
    let mut st = store();
    let Some(i) = find(&st, id) else {
        return UNKNOWN.into();
    };
    let ip = haproxy_conf::sample::MatchMethod::Ip;
    if method_of(&st, i) == Some(ip)
        && haproxy_conf::sample::patterns(ip, false, &[pattern.to_string()]).is_err()
    {
        // HAProxy's words (host names are not resolved here either).
        return format!("'{pattern}' is not a valid IPv4 or IPv6 address.\n");
    }
    st.next += 1;
    let n = st.next;
    match apply(&mut st, i, |e| {
        e.push((n, pattern.to_string()));
        Ok(())
    }) {
        Ok(()) => String::new(),
        Err(e) => format!("{e}\n"),
    }
}

/// `del acl ID KEY|#REF`: every entry equal to KEY, or the one numbered REF.
pub fn del(id: &str, what: &str) -> String {
    let mut st = store();
    let Some(i) = find(&st, id) else {
        return UNKNOWN.into();
    };
    let by_ref = what
        .strip_prefix('#')
        .and_then(|r| u64::from_str_radix(r.trim_start_matches("0x"), 16).ok())
        .map(|r| r.saturating_sub(0x5500_0000_0000));
    match apply(&mut st, i, |e| {
        let before = e.len();
        e.retain(|(n, w)| Some(*n) != by_ref && w != what);
        if e.len() == before {
            return Err("Key not found.".into());
        }
        Ok(())
    }) {
        Ok(()) => String::new(),
        Err(e) => format!("{e}\n"),
    }
}

pub fn clear(id: &str) -> String {
    let mut st = store();
    let Some(i) = find(&st, id) else {
        return UNKNOWN.into();
    };
    match apply(&mut st, i, |e| {
        e.clear();
        Ok(())
    }) {
        Ok(()) => String::new(),
        Err(e) => format!("{e}\n"),
    }
}

/// `get acl ID VALUE`: whether the reference's patterns match the value, and which.
pub fn get(id: &str, value: &str) -> String {
    let st = store();
    let Some(i) = find(&st, id) else {
        return UNKNOWN.into();
    };
    let Some(line) = line_of(&st, i) else {
        return UNKNOWN.into();
    };
    let words: Vec<String> = st.refs[i].entries.iter().map(|(_, w)| w.clone()).collect();
    let mut probe = line.clone();
    probe.patterns =
        haproxy_conf::sample::patterns(line.method, line.nocase, &words).unwrap_or_default();
    let kind = line.method.name();
    let case = if line.nocase {
        "insensitive"
    } else {
        "sensitive"
    };
    let v = proxy_core::acl::Value::Str(value.to_string());
    match proxy_core::acl::matching_pattern(&probe, &v) {
        Some(n) => {
            // HAProxy indexes exact strings (case kept) and addresses in a tree.
            use haproxy_conf::sample::MatchMethod as M;
            let idx = if line.method == M::Ip || (line.method == M::Str && !line.nocase) {
                "tree"
            } else {
                "list"
            };
            format!(
                "type={kind}, case={case}, match=yes, idx={idx}, pattern=\"{}\"\n",
                words.get(n).map_or("", String::as_str)
            )
        }
        None => format!("type={kind}, case={case}, match=no\n"),
    }
}
