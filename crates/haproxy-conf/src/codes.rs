//! Stable diagnostic codes for haproxy.cfg (documented in docs/haproxy-compat.md).

// Reading.
pub const READ: &str = "H001";
pub const QUOTE: &str = "H002";
pub const NBSP: &str = "H003";
pub const ENV: &str = "H004";
pub const DIRECTIVE: &str = "H005";
pub const USER_MESSAGE: &str = "H006";
pub const OUT_OF_SECTION: &str = "H007";
// Keywords.
pub const UNKNOWN_KEYWORD: &str = "H101";
pub const NOT_IMPLEMENTED: &str = "H102";
pub const REFUSED: &str = "H103";
pub const WRONG_SECTION: &str = "H104";
pub const MISSING_ARG: &str = "H105";
pub const BAD_VALUE: &str = "H106";
pub const BAD_ADDRESS: &str = "H107";
pub const BAD_PORT: &str = "H108";
pub const LEGACY: &str = "H109";
pub const EXTRA_ARGS: &str = "H110";
// Proxies and references.
pub const MISSING_NAME: &str = "H201";
pub const DUPLICATE: &str = "H202";
pub const UNKNOWN_BACKEND: &str = "H203";
pub const MODE_MISMATCH: &str = "H204";
pub const STATS_TCP: &str = "H205";
pub const MISSING_TIMEOUT: &str = "H206";
pub const UNRESOLVED: &str = "H207";
pub const UNKNOWN_ACL: &str = "H208";
pub const NO_BIND: &str = "H209";
pub const UNKNOWN_DEFAULTS: &str = "H210";
pub const UNKNOWN_REF: &str = "H211";
pub const INCOMPLETE: &str = "H212";
/// A server state file (`server-state-file`) that cannot be read or used, and the
/// states it gave back.
pub const SERVER_STATE: &str = "H213";
// The plan proxyd builds from the model (its -c runs it too).
pub const CANNOT_RUN: &str = "H301";
