//! Per-instance packet counters: one per reject reason, plus what was accepted and sent.

use crate::codec::Reject;
use serde::Serialize;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counters {
    pub sent: u64,
    pub received: u64,
    pub too_short: u64,
    pub bad_ttl: u64,
    pub bad_version: u64,
    pub bad_type: u64,
    pub carp: u64,
    pub length_mismatch: u64,
    pub bad_checksum: u64,
    pub wrong_vrid: u64,
    pub auth_type_mismatch: u64,
    pub auth_failure: u64,
    pub interval_mismatch: u64,
    pub address_family: u64,
    pub own_packet: u64,
    /// Accepted (v3) with another interval than ours.
    pub interval_differs: u64,
    /// Dropped: its address list is not ours (keepalived drops these too).
    pub address_list_differs: u64,
    /// Dropped: a unicast advert from an address that is not a peer (`check_unicast_src`).
    pub unknown_source: u64,
}

impl Counters {
    pub fn count(&mut self, r: Reject) {
        let c = match r {
            Reject::TooShort => &mut self.too_short,
            Reject::BadTtl => &mut self.bad_ttl,
            Reject::BadVersion => &mut self.bad_version,
            Reject::BadType => &mut self.bad_type,
            Reject::Carp => &mut self.carp,
            Reject::LengthMismatch => &mut self.length_mismatch,
            Reject::BadChecksum => &mut self.bad_checksum,
            Reject::WrongVrid => &mut self.wrong_vrid,
            Reject::AuthTypeMismatch => &mut self.auth_type_mismatch,
            Reject::AuthFailure => &mut self.auth_failure,
            Reject::IntervalMismatch => &mut self.interval_mismatch,
            Reject::AddressFamily => &mut self.address_family,
            Reject::OwnPacket => &mut self.own_packet,
        };
        *c += 1;
    }

    /// Packets dropped for any reason.
    pub fn rejected(&self) -> u64 {
        self.too_short
            + self.bad_ttl
            + self.bad_version
            + self.bad_type
            + self.carp
            + self.length_mismatch
            + self.bad_checksum
            + self.wrong_vrid
            + self.auth_type_mismatch
            + self.auth_failure
            + self.interval_mismatch
            + self.address_family
    }
}
