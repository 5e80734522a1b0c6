//! Once started, vrrpd keeps only the capabilities its work needs; keepalived keeps all
//! of root's. What stays, and why:
//! - NET_ADMIN: addresses, routes, rules, VMAC links, SO_RCVBUFFORCE on the VRRP socket;
//! - NET_RAW: the VRRP and ARP/NA sockets, opened again when an interface comes back;
//! - SETUID, SETGID: scripts run as `script_user` (and its groups reset);
//! - KILL: a script that overruns its timeout, running as another user, is killed.
//!
//! The bounding set stays as it was: a script that runs as root (no `script_user`, or
//! `root` named) is a fresh exec by uid 0 and gets root's capabilities back, as under
//! keepalived; scripts as another user get none.
//!
//! Capabilities are per thread: this runs before the runtime starts any thread, so every
//! thread the daemon has inherits the reduced sets.

use rustix::thread::{capabilities, set_capabilities, CapabilitySet, CapabilitySets};

/// What vrrpd keeps (see the module's words).
pub fn kept() -> CapabilitySet {
    CapabilitySet::NET_ADMIN
        | CapabilitySet::NET_RAW
        | CapabilitySet::SETUID
        | CapabilitySet::SETGID
        | CapabilitySet::KILL
}

/// The sets to ask for, given the current ones: effective and permitted cut down to
/// `kept` (never widened: what the process lacks stays lacking), nothing inheritable.
pub fn reduced(now: CapabilitySets) -> CapabilitySets {
    let keep = now.permitted & kept();
    CapabilitySets {
        effective: keep,
        permitted: keep,
        inheritable: CapabilitySet::empty(),
    }
}

/// Drop every capability but the kept ones from this thread (and so from every thread
/// started after). Returns what was kept.
pub fn drop_to_kept() -> Result<CapabilitySet, rustix::io::Errno> {
    let sets = reduced(capabilities(None)?);
    set_capabilities(None, sets)?;
    Ok(sets.permitted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_the_listed_ones() {
        let all = CapabilitySet::all();
        let r = reduced(CapabilitySets {
            effective: all,
            permitted: all,
            inheritable: all,
        });
        assert_eq!(r.permitted, kept());
        assert_eq!(r.effective, kept());
        assert!(r.inheritable.is_empty());
        assert!(!r.permitted.contains(CapabilitySet::SYS_ADMIN));
        assert!(!r.permitted.contains(CapabilitySet::DAC_OVERRIDE));
    }

    #[test]
    fn never_asks_for_more_than_it_has() {
        let r = reduced(CapabilitySets {
            effective: CapabilitySet::NET_RAW,
            permitted: CapabilitySet::NET_RAW | CapabilitySet::SYS_ADMIN,
            inheritable: CapabilitySet::empty(),
        });
        assert_eq!(r.permitted, CapabilitySet::NET_RAW);
    }
}
