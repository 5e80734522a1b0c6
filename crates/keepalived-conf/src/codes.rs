//! Stable diagnostic codes (documented in docs/keepalived-diagnostics.md).

// Reading the text.
pub const NBSP: &str = "K001";
pub const QUOTE: &str = "K002";
pub const INCLUDE: &str = "K003";
pub const BRACE: &str = "K004";
pub const READ: &str = "K005";
// Keywords.
pub const UNKNOWN_KEYWORD: &str = "K101";
pub const UNSUPPORTED: &str = "K102";
pub const REFUSED: &str = "K112";
pub const MISSING_ARG: &str = "K103";
pub const BAD_VALUE: &str = "K104";
pub const OUT_OF_RANGE: &str = "K105";
pub const EXTRA_ARGS: &str = "K106";
pub const NOT_A_BLOCK: &str = "K107";
pub const NEEDS_BLOCK: &str = "K108";
pub const DUPLICATE: &str = "K109";
pub const DEPRECATED: &str = "K110";
/// A keyword without its value that keepalived reports and ignores (`router_id` alone).
pub const VALUE_MISSING: &str = "K113";
/// A keyword without its value that keepalived ignores silently (`smtp_helo_name` alone).
pub const VALUE_EMPTY: &str = "K114";
/// A list keyword written without `{ … }` as the last line of the configuration: keepalived
/// reads an empty list.
pub const BARE_BLOCK: &str = "K115";
// Instances and references.
pub const MISSING_INTERFACE: &str = "K201";
pub const MISSING_VRID: &str = "K202";
pub const VRID_CONFLICT: &str = "K203";
pub const UNDEFINED_SCRIPT: &str = "K204";
pub const UNDEFINED_INSTANCE: &str = "K205";
pub const BAD_ADDRESS: &str = "K206";
pub const VERSION: &str = "K207";
pub const ADVERT_INT: &str = "K208";
pub const AUTH: &str = "K209";
pub const NO_VIP: &str = "K210";
pub const UNKNOWN_INTERFACE: &str = "K211";
pub const UNDEFINED_PROCESS: &str = "K212";
// Lints keepalived does not have.
pub const SHELL_OPERATORS: &str = "K301";
pub const MASTER_NOPREEMPT: &str = "K302";
pub const AUTH_TRUNCATED: &str = "K303";
pub const SCRIPT_UNUSED: &str = "K304";
pub const SCRIPT_EXTRA_WORDS: &str = "K305";
// Environment (checked by the daemon, not the pure front end).
pub const SCRIPT_MISSING: &str = "K401";
pub const SCRIPT_SECURITY: &str = "K402";
pub const SCRIPT_INSECURE: &str = "K403";
pub const MISSING_SETTING: &str = "K111";
pub const SYNC_GROUP_SMALL: &str = "K213";
pub const VERSION_CONFLICT: &str = "K214";
pub const ROUTE_NO_DEV: &str = "K216";
pub const ROUTE_INVALID: &str = "K219";
pub const LABEL_TOO_LONG: &str = "K217";
pub const STRICT_AUTH: &str = "K218";
pub const EMPTY_BLOCK: &str = "K220";
pub const STRICT_STATE: &str = "K221";
pub const TRACK_OWN_INTERFACE: &str = "K222";
pub const OWNER_WEIGHT: &str = "K223";
pub const RULE_INVALID: &str = "K224";
pub const RULE_NOTE: &str = "K225";
pub const LVS: &str = "K226";
pub const GROUP_TRACKING: &str = "K227";
pub const FIREWALL: &str = "K228";
/// A unicast keyword in an instance without unicast peers: the adverts are multicast.
pub const UNICAST_NO_PEER: &str = "K229";
/// `vmac_xmit_base` without `use_vmac`.
pub const VMAC_ONLY: &str = "K230";
/// `vrrpd_announce` with something it cannot combine with (a sync group, weights).
pub const ANNOUNCE: &str = "K231";
pub const SCRIPT_NOT_EXECUTABLE: &str = "K404";
pub const NOTIFY_MISSING: &str = "K405";
pub const SMTP_UNRESOLVED: &str = "K406";
pub const USER_MISSING: &str = "K407";
pub const NOTIFY_USER_MISSING: &str = "K408";
pub const SCRIPT_NOT_A_FILE: &str = "K409";
pub const SCRIPT_USER_MISSING: &str = "K410";
