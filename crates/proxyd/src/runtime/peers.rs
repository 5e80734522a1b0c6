//! `peers` sections at run time: stick tables shared with other proxyd or HAProxy
//! processes over HAProxy's peers protocol. Each process listens on its own peer's
//! address and connects to every other peer; the newest connection with a peer wins.
//! Local changes are pushed as they happen (checked every `PUSH_EVERY`), a peer's are
//! applied without being sent on, and a starting process asks a peer for everything it
//! has (a resync) before it considers itself up to date.

use super::stick::TableRt;
use haproxy_conf::model::Config;
use proxy_core::peers::wire::{self, Define, Msg, Update};
use proxy_core::peers::{decode_entry, encode_entry, RecvNames, SendNames, TableSpec};
use proxy_core::stick::Exported;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How often local changes are looked for.
const PUSH_EVERY: Duration = Duration::from_millis(50);
/// A heartbeat when nothing else was sent for this long (HAProxy's: 3 s).
const HEARTBEAT: Duration = Duration::from_secs(3);
/// A peer silent for this long is gone (HAProxy drops it after about 5 s).
const DEAD_AFTER: Duration = Duration::from_secs(6);
/// How long a starting process waits for a peer to teach it everything.
const RESYNC_WAIT: Duration = Duration::from_secs(5);
/// Updates sent in one go at most.
const BATCH: usize = 200;

/// One shared table.
#[derive(Debug)]
pub struct Shared {
    /// What a peer is told about it (its number: its place in the section, from 1).
    pub def: Define,
    pub rt: Arc<TableRt>,
    /// The servers of the backend whose stick rules fill it, in order (a stored server
    /// index is a place in this list).
    pub servers: Vec<String>,
}

/// A `peers` section this process takes part in.
#[derive(Debug)]
pub struct SectionRt {
    pub name: String,
    pub local: String,
    pub listen: SocketAddr,
    pub remotes: Vec<(String, SocketAddr)>,
    pub tables: Vec<Shared>,
    /// A peer taught us everything (or nobody could in time).
    synced: AtomicBool,
    /// Per remote peer: the number of its newest connection (an older one ends).
    newest: Mutex<HashMap<String, u64>>,
    next: AtomicU64,
}

/// The local peer's name: `-L`, else `localpeer`, else the host name.
pub fn local_name(cfg: &Config, cli: Option<&str>) -> String {
    cli.map(str::to_string)
        .or_else(|| cfg.global.local_peer.clone())
        .unwrap_or_else(|| {
            nix::unistd::gethostname()
                .ok()
                .and_then(|h| h.into_string().ok())
                .unwrap_or_default()
        })
}

/// The sections to run, and a warning for each that cannot be (no peer is this
/// process: HAProxy drops such a section too).
pub fn plan(
    cfg: &Config,
    local: &str,
    tables: &super::stick::Tables,
    servers_of: &dyn Fn(&str) -> Vec<String>,
) -> (Vec<Arc<SectionRt>>, Vec<conf_diag::Diagnostic>) {
    let mut out = Vec::new();
    let mut warnings = Vec::new();
    for sec in cfg.peers.iter().filter(|s| !s.disabled) {
        let Some(me) = sec.peers.iter().find(|p| p.name == local) else {
            warnings.push(
                conf_diag::Diagnostic::warning(
                    haproxy_conf::codes::NOT_IMPLEMENTED,
                    format!(
                        "peers {}: no peer is named `{local}` (this process), the section is not used",
                        sec.name
                    ),
                )
                .at(sec.span)
                .help("name this process with `-L NAME` or `localpeer NAME` in global, NAME one of the section's peers"),
            );
            continue;
        };
        let Some(listen) = me.addr else {
            continue;
        };
        let mut shared = Vec::new();
        for p in cfg.proxies.iter() {
            let Some(t) = p.stick_table.as_ref() else {
                continue;
            };
            if t.peers.as_deref() != Some(sec.name.as_str()) {
                continue;
            }
            let Some(rt) = tables.get(&p.name) else {
                continue;
            };
            rt.lock().share();
            let sticking = tables.sticking(&p.name).map(str::to_string);
            let stored = rt
                .lock()
                .stored_kinds(false)
                .into_iter()
                .filter(|(k, _)| *k != haproxy_conf::model::StoreKind::ServerId)
                .collect();
            let number = shared.len() as u64 + 1;
            shared.push(Shared {
                def: TableSpec {
                    name: p.name.clone(),
                    key_type: t.table_type,
                    key_len: rt.key_len,
                    expire_ms: t.expire_ms.unwrap_or(0),
                    stored,
                    sticking: sticking.is_some(),
                }
                .define(number),
                rt: rt.clone(),
                servers: sticking.map(|b| servers_of(&b)).unwrap_or_default(),
            });
        }
        out.push(Arc::new(SectionRt {
            name: sec.name.clone(),
            local: local.to_string(),
            listen,
            remotes: sec
                .peers
                .iter()
                .filter(|p| p.name != local)
                .filter_map(|p| Some((p.name.clone(), p.addr?)))
                .collect(),
            tables: shared,
            synced: AtomicBool::new(false),
            newest: Mutex::new(HashMap::new()),
            next: AtomicU64::new(1),
        }));
    }
    (out, warnings)
}

/// The listening socket of a section (before privileges are dropped). Other processes
/// may listen there too (the one being replaced on a reload).
pub fn bind(sec: &SectionRt) -> std::io::Result<tokio::net::TcpListener> {
    let s = socket2::Socket::new(
        socket2::Domain::for_address(sec.listen),
        socket2::Type::STREAM,
        None,
    )?;
    s.set_reuse_address(true)?;
    s.set_reuse_port(true)?;
    s.set_nonblocking(true)?;
    s.bind(&sec.listen.into())?;
    s.listen(64)?;
    tokio::net::TcpListener::from_std(s.into())
}

/// Runs a section: its listener and a connection to each remote peer.
pub fn spawn(sec: Arc<SectionRt>, listener: tokio::net::TcpListener) {
    let s = sec.clone();
    tokio::spawn(async move { accept_loop(s, listener).await });
    for (name, addr) in sec.remotes.clone() {
        let s = sec.clone();
        tokio::spawn(async move { connect_loop(s, name, addr).await });
    }
    // Nobody taught us in time: what we have is all there is.
    let s = sec.clone();
    tokio::spawn(async move {
        tokio::time::sleep(RESYNC_WAIT).await;
        s.synced.store(true, Ordering::Relaxed);
    });
    // On a soft stop (a reload), the tables go to the process that replaces this one.
    HANDOVERS.fetch_add(1, Ordering::Relaxed);
    tokio::spawn(async move {
        super::stopping::wait().await;
        // The listener closes first, so that our own address reaches the new process.
        tokio::time::sleep(Duration::from_millis(20)).await;
        let t = tokio::time::Instant::now();
        match tokio::time::timeout(RESYNC_WAIT, hand_over(&sec)).await {
            Ok(Ok(n)) => tracing::info!(
                "peers {}: {n} entries handed to the new process in {} ms",
                sec.name,
                t.elapsed().as_millis()
            ),
            Ok(Err(e)) => tracing::warn!("peers {}: no hand-over to a new process: {e}", sec.name),
            Err(_) => tracing::warn!(
                "peers {}: no hand-over to a new process within {} s",
                sec.name,
                RESYNC_WAIT.as_secs()
            ),
        }
        HANDOVERS.fetch_sub(1, Ordering::Relaxed);
    });
}

/// Hand-overs to a new process not finished yet: a soft stop waits for them.
pub static HANDOVERS: AtomicUsize = AtomicUsize::new(0);

/// Soft stop: connect to our own peer address, where the process replacing this one
/// listens, say hello as ourselves, and teach it every entry (as HAProxy's old process
/// does on a reload); done when it confirms. The number of entries sent.
async fn hand_over(sec: &SectionRt) -> Result<usize, String> {
    let mut tries = 0;
    let (mut s, mut inbuf) = loop {
        match hello(sec, &sec.local, sec.listen).await {
            Ok(x) => break x,
            Err(e) if tries >= 9 => return Err(e),
            Err(_) => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
    };
    let mut st = Session::new(sec);
    let mut out = Vec::new();
    let n = st.teach(&mut out);
    s.write_all(&out).await.map_err(|e| e.to_string())?;
    let mut chunk = vec![0u8; 4096];
    loop {
        let mut used = 0;
        while let Some((m, k)) = wire::parse(&inbuf[used..]).map_err(|e| e.to_string())? {
            used += k;
            if m == Msg::ResyncConfirm {
                return Ok(n);
            }
        }
        inbuf.drain(..used);
        let k = s.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if k == 0 {
            return Err("the new process closed before confirming".into());
        }
        inbuf.extend_from_slice(&chunk[..k]);
    }
}

impl SectionRt {
    fn claim(&self, peer: &str) -> u64 {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        self.newest
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(peer.to_string(), n);
        n
    }

    fn is_newest(&self, peer: &str, n: u64) -> bool {
        self.newest
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(peer)
            == Some(&n)
    }

    fn release(&self, peer: &str, n: u64) {
        let mut m = self.newest.lock().unwrap_or_else(|p| p.into_inner());
        if m.get(peer) == Some(&n) {
            m.remove(peer);
        }
    }

    fn connected(&self, peer: &str) -> bool {
        self.newest
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains_key(peer)
    }
}

async fn accept_loop(sec: Arc<SectionRt>, listener: tokio::net::TcpListener) {
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            // A new process takes over: it gets the connections from now on.
            _ = super::stopping::wait() => return,
        };
        let (s, from) = match accepted {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!("peers {}: accept: {e}", sec.name);
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let sec = sec.clone();
        tokio::spawn(async move {
            match tokio::time::timeout(Duration::from_secs(5), answer_hello(&sec, s)).await {
                Ok(Ok((s, peer, rest))) => {
                    let n = sec.claim(&peer);
                    run_session(&sec, s, &peer, n, rest, false).await;
                }
                Ok(Err(e)) => tracing::warn!("peers {}: {from}: {e}", sec.name),
                Err(_) => tracing::warn!("peers {}: {from}: no hello within 5 s", sec.name),
            }
        });
    }
}

/// Reads a connecting peer's hello and answers it: the stream, the peer's name and
/// what it sent after its hello.
async fn answer_hello(
    sec: &SectionRt,
    mut s: TcpStream,
) -> Result<(TcpStream, String, Vec<u8>), String> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 512];
    let (h, used) = loop {
        match wire::parse_hello(&buf) {
            Ok(Some(x)) => break x,
            Ok(None) => {}
            Err(e) => {
                let _ = s.write_all(b"501\n").await;
                return Err(e.to_string());
            }
        }
        let n = s.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("closed during the hello".into());
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let code = if h.major != 2 || h.minor > 1 {
        wire::status::BAD_VERSION
    } else if h.wanted != sec.local {
        wire::status::LOCAL_NAME_MISMATCH
    } else if h.from != sec.local && !sec.remotes.iter().any(|(n, _)| *n == h.from) {
        // Our own name: the process this one replaces, handing its tables over.
        wire::status::REMOTE_NAME_MISMATCH
    } else {
        wire::status::OK
    };
    s.write_all(format!("{code}\n").as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    if code != wire::status::OK {
        return Err(format!("hello from `{}` refused with {code}", h.from));
    }
    Ok((s, h.from, buf[used..].to_vec()))
}

async fn connect_loop(sec: Arc<SectionRt>, peer: String, addr: SocketAddr) {
    loop {
        if super::stopping::stopping() {
            return;
        }
        if !sec.connected(&peer) {
            match tokio::time::timeout(Duration::from_secs(1), hello(&sec, &peer, addr)).await {
                Ok(Ok((s, rest))) => {
                    let n = sec.claim(&peer);
                    run_session(&sec, s, &peer, n, rest, true).await;
                    // As HAProxy: a random pause, so two peers that dropped each
                    // other's connections do not meet again at once.
                    let pause = 50 + rand_ms(2000);
                    tokio::time::sleep(Duration::from_millis(pause)).await;
                    continue;
                }
                Ok(Err(e)) => tracing::debug!("peers {}: {peer} ({addr}): {e}", sec.name),
                Err(_) => tracing::debug!("peers {}: {peer} ({addr}): connect timeout", sec.name),
            }
        }
        tokio::time::sleep(Duration::from_millis(1000 + rand_ms(1000))).await;
    }
}

/// A pause of up to `max` ms, different from one process and call to the next.
fn rand_ms(max: u64) -> u64 {
    static RNG: Mutex<Option<proxy_core::rng::Rng>> = Mutex::new(None);
    let mut g = RNG.lock().unwrap_or_else(|p| p.into_inner());
    let rng = g.get_or_insert_with(|| {
        let seed = u64::from(std::process::id()) << 32 ^ super::clock::Clock::new().now_ms();
        proxy_core::rng::Rng::new(seed)
    });
    rng.below(max.max(1))
}

async fn hello(
    sec: &SectionRt,
    peer: &str,
    addr: SocketAddr,
) -> Result<(TcpStream, Vec<u8>), String> {
    let mut s = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let _ = s.set_nodelay(true);
    s.write_all(wire::hello(peer, &sec.local, std::process::id()).as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    let mut chunk = [0u8; 512];
    loop {
        if let Some(i) = buf.iter().position(|&b| b == b'\n') {
            let line = String::from_utf8_lossy(&buf[..i]).trim().to_string();
            if line != "200" {
                return Err(format!("refused with status {line}"));
            }
            return Ok((s, buf[i + 1..].to_vec()));
        }
        let n = s.read(&mut chunk).await.map_err(|e| e.to_string())?;
        if n == 0 || buf.len() > 64 {
            return Err("no status line".into());
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// One connection with a peer, after the handshake, until it fails, goes silent or a
/// newer connection with the same peer replaces it.
async fn run_session(
    sec: &SectionRt,
    mut s: TcpStream,
    peer: &str,
    me: u64,
    mut inbuf: Vec<u8>,
    outgoing: bool,
) {
    let _ = s.set_nodelay(true);
    let mut st = Session::new(sec);
    let mut out = Vec::new();
    if !sec.synced.load(Ordering::Relaxed) {
        Msg::ResyncRequest.encode(&mut out);
    }
    let mut chunk = vec![0u8; 16 * 1024];
    let mut tick = tokio::time::interval(PUSH_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last_in = tokio::time::Instant::now();
    let mut last_out = tokio::time::Instant::now();
    let why = loop {
        if !sec.is_newest(peer, me) {
            break "a newer connection with this peer replaced it".to_string();
        }
        // Stopping (a reload): the new process takes over the peers.
        if super::stopping::stopping() && peer != sec.local {
            break "this process is stopping".to_string();
        }
        st.push_changes(&mut out);
        if out.is_empty() && last_out.elapsed() >= HEARTBEAT {
            Msg::Heartbeat.encode(&mut out);
        }
        if !out.is_empty() {
            if let Err(e) = s.write_all(&out).await {
                break format!("write: {e}");
            }
            out.clear();
            last_out = tokio::time::Instant::now();
        }
        if last_in.elapsed() >= DEAD_AFTER {
            break format!("nothing heard for {} s", DEAD_AFTER.as_secs());
        }
        tokio::select! {
            r = s.read(&mut chunk) => match r {
                Ok(0) => break "closed by the peer".to_string(),
                Ok(n) => {
                    last_in = tokio::time::Instant::now();
                    inbuf.extend_from_slice(&chunk[..n]);
                    match st.receive(&mut inbuf, &mut out) {
                        Ok(()) => {}
                        Err(e) => {
                            Msg::ProtocolError.encode(&mut out);
                            let _ = s.write_all(&out).await;
                            break format!("protocol error: {e}");
                        }
                    }
                }
                Err(e) => break format!("read: {e}"),
            },
            _ = tick.tick() => {}
        }
    };
    sec.release(peer, me);
    tracing::info!(
        "peers {}: connection {} {peer} ended: {why}",
        sec.name,
        if outgoing { "to" } else { "from" }
    );
}

/// What one connection knows: which of our tables the peer has been told about and
/// up to which change, and the peer's own table definitions.
struct Session<'a> {
    sec: &'a SectionRt,
    /// Per local table: the last local change sent.
    sent: Vec<u64>,
    /// The local table the last definition sent was for.
    current: Option<usize>,
    names_out: SendNames,
    names_in: RecvNames,
    /// The peer's tables by its numbers: its definition, ours, the last update number.
    theirs: HashMap<u64, (Define, Option<usize>, u32)>,
    their_current: Option<u64>,
    /// Tables updated by the last read, to acknowledge.
    to_ack: Vec<u64>,
}

impl<'a> Session<'a> {
    fn new(sec: &'a SectionRt) -> Session<'a> {
        Session {
            sec,
            sent: vec![0; sec.tables.len()],
            current: None,
            names_out: SendNames::default(),
            names_in: RecvNames::default(),
            theirs: HashMap::new(),
            their_current: None,
            to_ack: Vec::new(),
        }
    }

    fn define(&mut self, i: usize, out: &mut Vec<u8>) {
        if self.current != Some(i) {
            Msg::Define(self.sec.tables[i].def.clone()).encode(out);
            self.current = Some(i);
        }
    }

    /// An entry's update; `id` None: numbered one after the previous update.
    fn entry(&mut self, i: usize, key: &[u8], id: Option<u32>, out: &mut Vec<u8>) {
        let t = &self.sec.tables[i];
        let now = t.rt.now();
        let Some(e) = t.rt.lock().export(key, now) else {
            return;
        };
        self.define(i, out);
        let d = &self.sec.tables[i].def;
        let name = e
            .server
            .and_then(|s| self.sec.tables[i].servers.get(s))
            .map(String::as_str);
        let mut body = Vec::new();
        encode_entry(d, key, &e, name, &mut self.names_out, &mut body);
        Msg::Update(Update {
            id,
            expire: None,
            body,
        })
        .encode(out);
    }

    /// Local changes not sent yet (at most a batch per table): how many were taken.
    fn push_changes(&mut self, out: &mut Vec<u8>) -> usize {
        let mut taken = 0;
        for i in 0..self.sec.tables.len() {
            let changes = self.sec.tables[i]
                .rt
                .lock()
                .changed_after(self.sent[i], BATCH);
            taken += changes.len();
            for (n, key) in changes {
                self.entry(i, &key, Some(n as u32), out);
                self.sent[i] = n;
            }
        }
        taken
    }

    /// A peer asked for everything: every live entry of every table, then whether we
    /// are up to date ourselves. An entry this connection already sent in its latest
    /// state is not sent again: a second, older copy arriving after the peer changed the
    /// entry itself would undo that change there (and it would send the undone state
    /// back). So: the entries no local change numbers, then the changes not sent yet.
    fn teach(&mut self, out: &mut Vec<u8>) -> usize {
        let mut sent = 0;
        for i in 0..self.sec.tables.len() {
            let t = &self.sec.tables[i];
            let now = t.rt.now();
            let keys = t.rt.lock().live_keys_unnumbered(now);
            self.current = None;
            self.define(i, out);
            for key in &keys {
                self.entry(i, key, None, out);
            }
            sent += keys.len();
        }
        loop {
            let n = self.push_changes(out);
            if n == 0 {
                break;
            }
            sent += n;
        }
        if self.sec.synced.load(Ordering::Relaxed) {
            Msg::ResyncFinished.encode(out);
        } else {
            Msg::ResyncPartial.encode(out);
        }
        sent
    }

    fn receive(&mut self, inbuf: &mut Vec<u8>, out: &mut Vec<u8>) -> Result<(), wire::WireError> {
        let mut used = 0;
        while let Some((m, n)) = wire::parse(&inbuf[used..])? {
            used += n;
            self.handle(m, out)?;
        }
        inbuf.drain(..used);
        for id in std::mem::take(&mut self.to_ack) {
            if let Some((_, _, last)) = self.theirs.get(&id) {
                Msg::Ack {
                    table: id,
                    update: *last,
                }
                .encode(out);
            }
        }
        Ok(())
    }

    fn handle(&mut self, m: Msg, out: &mut Vec<u8>) -> Result<(), wire::WireError> {
        match m {
            Msg::ResyncRequest => {
                self.teach(out);
            }
            Msg::ResyncFinished | Msg::ResyncPartial => {
                Msg::ResyncConfirm.encode(out);
                if m == Msg::ResyncFinished {
                    self.sec.synced.store(true, Ordering::Relaxed);
                }
            }
            Msg::Define(d) => {
                // Shared only under the same name, key type and key size (HAProxy
                // ignores the table otherwise, without a word: so do we, with one).
                let local = self.sec.tables.iter().position(|t| t.def.same_table(&d));
                if local.is_none() {
                    tracing::warn!(
                        "peers {}: the peer's table `{}` is not one shared here with the same key: its updates are ignored",
                        self.sec.name,
                        d.name
                    );
                }
                self.their_current = Some(d.id);
                let last = self.theirs.get(&d.id).map(|x| x.2).unwrap_or(0);
                self.theirs.insert(d.id, (d, local, last));
            }
            Msg::Switch(id) => self.their_current = Some(id),
            Msg::Update(u) => self.update(u)?,
            Msg::Ack { .. }
            | Msg::ResyncConfirm
            | Msg::Heartbeat
            | Msg::ProtocolError
            | Msg::SizeLimit
            | Msg::Other(..) => {}
        }
        Ok(())
    }

    fn update(&mut self, u: Update) -> Result<(), wire::WireError> {
        let Some(id) = self.their_current else {
            return Ok(());
        };
        let Some((d, local, last)) = self.theirs.get_mut(&id) else {
            return Ok(());
        };
        *last = u.id.unwrap_or(last.wrapping_add(1));
        let got = decode_entry(d, &u.body, &mut self.names_in)?;
        if !self.to_ack.contains(&id) {
            self.to_ack.push(id);
        }
        let Some(i) = *local else {
            return Ok(());
        };
        let t = &self.sec.tables[i];
        let server = match (&got.server_name, got.server_id) {
            (Some(n), _) if t.servers.iter().any(|s| s == n) => {
                t.servers.iter().position(|s| s == n)
            }
            (_, Some(n)) if n >= 1 && (n as usize) <= t.servers.len() => Some(n as usize - 1),
            _ => None,
        };
        let e = Exported {
            server,
            values: got.values,
        };
        let now = t.rt.now();
        let mut table = t.rt.lock();
        if !table.import(&got.key, &e, now) {
            tracing::warn!(
                "peers {}: table {} is full, an entry from a peer is dropped",
                self.sec.name,
                t.def.name
            );
        }
        // A timed update's own expiry (sent when teaching) is not used: the entry lives
        // this table's `expire` from now, as after any other update.
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use haproxy_conf::tokenizer::NoEnv;
    use proxy_core::stick::Count;

    const KEY: [u8; 4] = [127, 0, 0, 31];

    /// A process's shared table, named `me` in a section of `a` and `b`.
    fn node(me: &str) -> Arc<SectionRt> {
        let text = "peers mesh\n    peer a 127.0.0.1:10001\n    peer b 127.0.0.1:10002\n\
            backend be\n    stick-table type ip size 1k expire 60s peers mesh store http_req_cnt\n\
            stick on src\n    server s1 127.0.0.1:10003\n";
        let loaded = haproxy_conf::load_str("peers.cfg", text, &NoEnv);
        assert!(!loaded.diags.has_errors(), "{:?}", loaded.diags);
        let tables = crate::runtime::stick::Tables::new(&loaded.config);
        let (mut secs, _) = plan(&loaded.config, me, &tables, &|_| vec!["s1".into()]);
        secs.remove(0)
    }

    fn count(sec: &SectionRt) {
        let t = &sec.tables[0].rt;
        let now = t.now();
        t.lock().put(&KEY, 0, now);
        t.lock().count(&KEY, Count::HttpReq, now);
    }

    fn req_cnt(sec: &SectionRt) -> Option<u32> {
        let t = &sec.tables[0].rt;
        let now = t.now();
        let e = t.lock().export(&KEY, now)?;
        e.values.iter().find_map(|(k, v)| match (k, v) {
            (haproxy_conf::model::StoreKind::HttpReqCnt, proxy_core::stick::Shared::Count(n)) => {
                u32::try_from(*n).ok()
            }
            _ => None,
        })
    }

    /// Messages from one session read by the other; what it answers comes back.
    fn deliver(from: &mut Vec<u8>, to: &mut Session, back: &mut Vec<u8>) {
        to.receive(from, back).unwrap();
        assert!(from.is_empty());
    }

    /// A resync asked for after an entry was pushed does not send that entry again: the
    /// asking peer counted a request on it meanwhile, and an older copy arriving then
    /// would undo its count there and everywhere it sends the entry next (the likely
    /// cause of a count a CI run lost).
    #[test]
    fn a_resync_does_not_undo_what_the_peer_changed_since_a_push() {
        let (a, b) = (node("a"), node("b"));
        count(&a);
        let (mut sa, mut sb) = (Session::new(&a), Session::new(&b));
        let (mut a_to_b, mut b_to_a) = (Vec::new(), Vec::new());
        sa.push_changes(&mut a_to_b);
        deliver(&mut a_to_b, &mut sb, &mut b_to_a);
        assert_eq!(req_cnt(&b), Some(1));
        // b counts its own request; its resync request was still on its way.
        count(&b);
        Msg::ResyncRequest.encode(&mut b_to_a);
        deliver(&mut b_to_a, &mut sa, &mut a_to_b);
        deliver(&mut a_to_b, &mut sb, &mut b_to_a);
        assert_eq!(req_cnt(&b), Some(2), "b's own count was undone");
        sb.push_changes(&mut b_to_a);
        deliver(&mut b_to_a, &mut sa, &mut a_to_b);
        assert_eq!(req_cnt(&a), Some(2));
    }

    /// A resync teaches every live entry once: learnt ones and local changes, beyond a
    /// batch too, and says it is finished or partial.
    #[test]
    fn a_resync_teaches_every_entry_once() {
        let (a, b) = (node("a"), node("b"));
        let t = &a.tables[0].rt;
        let now = t.now();
        for i in 0..(BATCH as u32 + 50) {
            t.lock().put(&i.to_be_bytes(), 0, now);
        }
        // One learnt from another peer: no local change numbers it.
        let got = t.lock().export(&0u32.to_be_bytes(), now).unwrap();
        t.lock().import(&KEY, &got, now);
        let mut sa = Session::new(&a);
        let mut out = Vec::new();
        assert_eq!(sa.teach(&mut out), BATCH + 51);
        let mut sb = Session::new(&b);
        let mut back = Vec::new();
        deliver(&mut out, &mut sb, &mut back);
        let tb = &b.tables[0].rt;
        assert_eq!(tb.lock().live_count(tb.now()), BATCH + 51);
        // b confirms the (partial: a was not synced itself) resync and acknowledges.
        let mut said = Vec::new();
        let mut at = 0;
        while let Some((m, n)) = wire::parse(&back[at..]).unwrap() {
            said.push(m);
            at += n;
        }
        assert_eq!(said.len(), 2, "{said:?}");
        assert_eq!(said[0], Msg::ResyncConfirm);
        assert!(matches!(said[1], Msg::Ack { .. }), "{said:?}");
    }
}
