//! Converters, typed: what follows a fetch after a comma (`,lower`, `,regsub(a,b,g)`,
//! `,map_beg(/etc/haproxy/paths.map,default)`), with their arguments parsed and checked
//! once here, as HAProxy 2.6 checks them when it reads the configuration.

use super::lex::Call;
use super::var::VarRef;
use super::{bad, refused, Regex, SampleError};
use crate::samples;
use serde::Serialize;

/// An integer argument that may instead name a variable (`add(3)`, `add(txn.n)`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum IntArg {
    Const(i64),
    Var(VarRef),
}

/// A string argument that may instead name a variable (`hmac(sha256,txn.key)`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum StrArg {
    Const(String),
    Var(VarRef),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Arith {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    And,
    Or,
    Xor,
}

/// The 32-bit hashes of `hash-type`, as converters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Hash32 {
    Crc32,
    Crc32c,
    Djb2,
    Sdbm,
    Wt6,
}

/// Message digests (`sha2(bits)`, `digest(name)`, `hmac(name,key)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Digest {
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl Digest {
    /// An OpenSSL digest name, as `digest()` and `hmac()` take them.
    pub fn named(name: &str) -> Option<Digest> {
        Some(match name.to_ascii_lowercase().replace('-', "").as_str() {
            "md5" => Digest::Md5,
            "sha1" => Digest::Sha1,
            "sha224" => Digest::Sha224,
            "sha256" => Digest::Sha256,
            "sha384" => Digest::Sha384,
            "sha512" => Digest::Sha512,
            _ => return None,
        })
    }
}

/// How `json()` reads its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JsonInput {
    Ascii,
    Utf8,
    /// Errors removed silently.
    Utf8s,
    /// Overlong sequences accepted.
    Utf8p,
    Utf8ps,
}

/// `set-var(name,cond...)` conditions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VarCond {
    IfExists,
    IfNotExists,
    IfEmpty,
    IfNotEmpty,
    IfSet,
    IfNotSet,
    IfGt,
    IfLt,
}

impl VarCond {
    pub fn named(s: &str) -> Option<VarCond> {
        Some(match s {
            "ifexists" => VarCond::IfExists,
            "ifnotexists" => VarCond::IfNotExists,
            "ifempty" => VarCond::IfEmpty,
            "ifnotempty" => VarCond::IfNotEmpty,
            "ifset" => VarCond::IfSet,
            "ifnotset" => VarCond::IfNotSet,
            "ifgt" => VarCond::IfGt,
            "iflt" => VarCond::IfLt,
            _ => return None,
        })
    }
}

/// How a map's keys are compared with the input (`map_beg` = `beg`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MapMatch {
    Str,
    Beg,
    Sub,
    Dir,
    Dom,
    End,
    Reg,
    Int,
    Ip,
}

/// What a map's values are turned into (`map_str_int` = str keys, int values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MapOut {
    Str,
    Int,
    Ip,
}

/// `map*(file[,default])`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MapConv {
    pub matching: MapMatch,
    pub output: MapOut,
    /// The file as written (relative paths are read from the working directory).
    pub file: String,
    pub default: Option<String>,
}

/// One converter with its arguments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Converter {
    Lower,
    Upper,
    /// The length of the string form.
    Length,
    Ltrim(String),
    Rtrim(String),
    CutCrlf,
    /// `bytes(offset[,length])` (integers: HAProxy 2.6 takes no variable here).
    Bytes {
        offset: i64,
        length: Option<i64>,
    },
    /// `field(index,delimiters[,count])`.
    Field {
        index: i64,
        delims: String,
        count: i64,
    },
    /// `word(index,delimiters[,count])`: like field, empty words skipped.
    Word {
        index: i64,
        delims: String,
        count: i64,
    },
    /// `regsub(regex,replacement[,flags])`.
    Regsub {
        regex: Regex,
        with: String,
        global: bool,
    },
    /// `concat([start],[var],[end])`.
    Concat {
        start: String,
        var: Option<VarRef>,
        end: String,
    },
    /// `add_item(delim,[var][,suffix])`.
    AddItem {
        delim: String,
        var: Option<VarRef>,
        suffix: String,
    },
    /// `url_dec([in_form])`: `+` is a space everywhere (form), else only after `?`.
    UrlDec {
        form: bool,
    },
    UrlEnc,
    Base64,
    B64dec,
    Ub64enc,
    Ub64dec,
    Hex,
    Hex2i,
    Htonl,
    /// `be2dec(separator,chunk_size[,truncate])`.
    Be2dec {
        sep: String,
        chunk: usize,
        truncate: bool,
    },
    /// `be2hex([separator][,chunk_size][,truncate])`.
    Be2hex {
        sep: String,
        chunk: usize,
        truncate: bool,
    },
    Json(JsonInput),
    /// `ipmask(mask4[,mask6])`: prefix lengths.
    Ipmask {
        v4: u8,
        v6: Option<u8>,
    },
    Arith(Arith, IntArg),
    Neg,
    Cpl,
    Not,
    Bool,
    Odd,
    Even,
    /// `iif(true,false)`.
    Iif(String, String),
    Hash32 {
        hash: Hash32,
        avalanche: bool,
    },
    Xxh32(u32),
    Xxh64(u64),
    Xxh3(u64),
    Digest(Digest),
    Hmac(Digest, StrArg),
    Strcmp(VarRef),
    SecureMemcmp(VarRef),
    SetVar(VarRef, Vec<VarCond>),
    UnsetVar(VarRef),
    /// `ltime(format[,offset])` (local time) / `utime` (UTC).
    Time {
        utc: bool,
        format: String,
        offset: i64,
    },
    /// `http_date([offset][,unit])`: unit 1 (s), 1000 (ms) or 1000000 (us) per second.
    HttpDate {
        offset: i64,
        per_second: i64,
    },
    HostOnly,
    PortOnly,
    /// A backend's usable servers, from its name.
    Nbsrv,
    Map(MapConv),
    /// `in_table(t)`, `table_http_req_rate(t)`...: the input as a key of table `t`.
    Table {
        data: TableData,
        table: String,
    },
}

/// What a `table_*` converter reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum TableData {
    /// `in_table`: whether the key is there.
    In,
    Get(crate::model::StoreKind),
    Kbytes {
        out: bool,
    },
    Trackers,
    /// `table_expire(t[,default])`: ms until the entry expires.
    Expire(Option<i64>),
    /// `table_idle(t[,default])`: ms since it was last touched.
    Idle(Option<i64>),
}

/// `in_table` and `table_*`; None for other names.
fn table_conv(call: &Call, args: &[String]) -> Option<Result<Converter, SampleError>> {
    use crate::model::StoreKind as K;
    let name = call.name.as_str();
    let rest = if name == "in_table" {
        ""
    } else {
        name.strip_prefix("table_")?
    };
    let data = match rest {
        "" => TableData::In,
        "gpc0" => TableData::Get(K::Gpc0),
        "gpc1" => TableData::Get(K::Gpc1),
        "gpt0" => TableData::Get(K::Gpt0),
        "server_id" => TableData::Get(K::ServerId),
        "kbytes_in" => TableData::Kbytes { out: false },
        "kbytes_out" => TableData::Kbytes { out: true },
        "trackers" => TableData::Trackers,
        "expire" | "idle" => {
            let d = match args.get(1).filter(|a| !a.is_empty()) {
                Some(d) => match int(d, "default", call) {
                    Ok(n) => Some(n),
                    Err(e) => return Some(Err(e)),
                },
                None => None,
            };
            if rest == "expire" {
                TableData::Expire(d)
            } else {
                TableData::Idle(d)
            }
        }
        "gpc" | "gpt" | "gpc_rate" => {
            return Some(Err(refused(format!(
                "converter `{name}` (the gpc/gpt arrays) is not run by proxyd yet: use the gpc0, gpc1 and gpt0 forms"
            ))))
        }
        other => TableData::Get(K::named(other)?),
    };
    let max = if matches!(data, TableData::Expire(_) | TableData::Idle(_)) {
        2
    } else {
        1
    };
    let Some(table) = args.first().filter(|a| !a.is_empty()) else {
        return Some(Err(bad(
            format!("`{}` needs a table name", call.shown()),
            Some(format!(
                "write `{name}(<table>)`, the table being a proxy with a stick-table"
            )),
        )));
    };
    if args.len() > max {
        return Some(Err(bad(
            format!("`{}` takes at most {max} argument(s)", call.shown()),
            None,
        )));
    }
    Some(Ok(Converter::Table {
        data,
        table: table.clone(),
    }))
}

fn int(word: &str, what: &str, call: &Call) -> Result<i64, SampleError> {
    word.trim().parse::<i64>().map_err(|_| {
        bad(
            format!("`{}`: `{word}` is not an integer ({what})", call.shown()),
            None,
        )
    })
}

fn int_or_var(word: &str, call: &Call) -> Result<IntArg, SampleError> {
    if let Ok(n) = word.parse::<i64>() {
        return Ok(IntArg::Const(n));
    }
    VarRef::parse(word).map(IntArg::Var).map_err(|e| {
        bad(
            format!("`{}`: {e}", call.shown()),
            Some("write an integer or a variable such as `txn.count`".into()),
        )
    })
}

fn var(word: &str, call: &Call) -> Result<VarRef, SampleError> {
    VarRef::parse(word).map_err(|e| bad(format!("`{}`: {e}", call.shown()), None))
}

/// An optional variable argument: empty means none.
fn opt_var(word: Option<&String>, call: &Call) -> Result<Option<VarRef>, SampleError> {
    match word {
        Some(w) if !w.is_empty() => var(w, call).map(Some),
        _ => Ok(None),
    }
}

/// A mask: a prefix length, or (IPv4) a dotted mask.
fn mask(word: &str, v6: bool, call: &Call) -> Result<u8, SampleError> {
    let max = if v6 { 128 } else { 32 };
    if let Ok(n) = word.parse::<u8>() {
        if n <= max {
            return Ok(n);
        }
    }
    let len = if v6 {
        word.parse::<std::net::Ipv6Addr>()
            .ok()
            .map(u128::from)
            .filter(|m| m.leading_ones() == m.count_ones())
            .map(|m| m.leading_ones() as u8)
    } else {
        word.parse::<std::net::Ipv4Addr>()
            .ok()
            .map(u32::from)
            .filter(|m| m.leading_ones() == m.count_ones())
            .map(|m| m.leading_ones() as u8)
    };
    len.ok_or_else(|| {
        bad(
            format!("`{}`: `{word}` is not a valid mask", call.shown()),
            Some(if v6 {
                "write a prefix length (0-128) or a mask such as ffff:ffff::".into()
            } else {
                "write a prefix length (0-32) or a dotted mask such as 255.255.255.0".into()
            }),
        )
    })
}

fn map_conv(call: &Call, args: &[String]) -> Result<Converter, SampleError> {
    let mut parts = call.name.split('_').skip(1);
    let matching = match parts.next() {
        None => MapMatch::Str,
        Some("str") => MapMatch::Str,
        Some("beg") => MapMatch::Beg,
        Some("sub") => MapMatch::Sub,
        Some("dir") => MapMatch::Dir,
        Some("dom") => MapMatch::Dom,
        Some("end") => MapMatch::End,
        Some("reg") | Some("regm") => MapMatch::Reg,
        Some("int") => MapMatch::Int,
        Some("ip") => MapMatch::Ip,
        Some(other) => return Err(bad(
            format!("`{}`: unknown map match `{other}`", call.name),
            Some(
                "map_str, map_beg, map_sub, map_dir, map_dom, map_end, map_reg, map_int, map_ip"
                    .into(),
            ),
        )),
    };
    let output = match parts.next() {
        None | Some("str") => MapOut::Str,
        Some("int") => MapOut::Int,
        Some("ip") => MapOut::Ip,
        Some(other) => {
            return Err(bad(
                format!(
                    "`{}`: unknown map output `{other}` (str, int or ip)",
                    call.name
                ),
                None,
            ))
        }
    };
    if parts.next().is_some() || call.name == "map_regm" {
        return Err(refused(format!(
            "converter `{}` is not run by proxyd yet",
            call.name
        )));
    }
    let file = args.first().filter(|f| !f.is_empty()).ok_or_else(|| {
        bad(
            format!("`{}` needs a map file", call.shown()),
            Some(format!(
                "write `{}(/etc/haproxy/file.map[,default])`",
                call.name
            )),
        )
    })?;
    if args.len() > 2 {
        return Err(bad(
            format!("`{}` takes at most 2 arguments", call.shown()),
            None,
        ));
    }
    Ok(Converter::Map(MapConv {
        matching,
        output,
        file: file.clone(),
        default: args.get(1).cloned(),
    }))
}

/// The converter `call`, checked.
pub fn converter(call: &Call) -> Result<Converter, SampleError> {
    let args = call.args();
    let name = call.name.as_str();
    if let Some(r) = table_conv(call, args) {
        return r;
    }
    let n_args = |min: usize, max: usize| -> Result<(), SampleError> {
        if args.len() < min {
            Err(bad(
                format!("`{}` needs {min} argument(s)", call.shown()),
                None,
            ))
        } else if args.len() > max {
            Err(bad(
                format!("`{}` takes at most {max} argument(s)", call.shown()),
                None,
            ))
        } else {
            Ok(())
        }
    };
    let arg = |i: usize| args.get(i).map(String::as_str).unwrap_or("");
    let opt_int = |i: usize, default: i64, what: &str| -> Result<i64, SampleError> {
        match args.get(i) {
            Some(a) if !a.is_empty() => int(a, what, call),
            _ => Ok(default),
        }
    };
    let conv = match name {
        "lower" | "upper" | "length" | "cut_crlf" | "url_enc" | "base64" | "b64dec" | "ub64enc"
        | "ub64dec" | "hex" | "hex2i" | "htonl" | "neg" | "cpl" | "not" | "bool" | "odd"
        | "even" | "sha1" | "host_only" | "port_only" | "nbsrv" => {
            if name == "url_enc" {
                n_args(0, 1)?;
                if args.first().is_some_and(|a| a != "query") {
                    return Err(bad(
                        format!("`{}`: the only encoding is `query`", call.shown()),
                        None,
                    ));
                }
            } else {
                n_args(0, 0)?;
            }
            match name {
                "lower" => Converter::Lower,
                "upper" => Converter::Upper,
                "length" => Converter::Length,
                "cut_crlf" => Converter::CutCrlf,
                "url_enc" => Converter::UrlEnc,
                "base64" => Converter::Base64,
                "b64dec" => Converter::B64dec,
                "ub64enc" => Converter::Ub64enc,
                "ub64dec" => Converter::Ub64dec,
                "hex" => Converter::Hex,
                "hex2i" => Converter::Hex2i,
                "htonl" => Converter::Htonl,
                "neg" => Converter::Neg,
                "cpl" => Converter::Cpl,
                "not" => Converter::Not,
                "bool" => Converter::Bool,
                "odd" => Converter::Odd,
                "even" => Converter::Even,
                "sha1" => Converter::Digest(Digest::Sha1),
                "host_only" => Converter::HostOnly,
                "port_only" => Converter::PortOnly,
                _ => Converter::Nbsrv,
            }
        }
        "ltrim" | "rtrim" => {
            n_args(1, 1)?;
            if name == "ltrim" {
                Converter::Ltrim(arg(0).to_string())
            } else {
                Converter::Rtrim(arg(0).to_string())
            }
        }
        "bytes" => {
            n_args(1, 2)?;
            Converter::Bytes {
                offset: int(arg(0), "offset", call)?,
                length: match args.get(1) {
                    Some(a) if !a.is_empty() => Some(int(a, "length", call)?),
                    _ => None,
                },
            }
        }
        "field" | "word" => {
            n_args(2, 3)?;
            let index = int(arg(0), "index", call)?;
            if index == 0 {
                return Err(bad(
                    format!(
                        "`{}`: the index counts from 1 (or -1 from the end)",
                        call.shown()
                    ),
                    None,
                ));
            }
            if arg(1).is_empty() {
                return Err(bad(format!("`{}`: no delimiter given", call.shown()), None));
            }
            let count = opt_int(2, 1, "count")?;
            if count < 0 {
                return Err(bad(
                    format!("`{}`: the count cannot be negative", call.shown()),
                    None,
                ));
            }
            let delims = arg(1).to_string();
            if name == "field" {
                Converter::Field {
                    index,
                    delims,
                    count,
                }
            } else {
                Converter::Word {
                    index,
                    delims,
                    count,
                }
            }
        }
        "regsub" => {
            n_args(2, 3)?;
            let flags = arg(2);
            if let Some(c) = flags.chars().find(|c| !matches!(c, 'i' | 'g')) {
                return Err(bad(
                    format!("`{}`: unknown flag `{c}` (i or g)", call.shown()),
                    None,
                ));
            }
            let regex = Regex::new(arg(0), flags.contains('i'))
                .map_err(|e| bad(format!("`{}`: {e}", call.shown()), None))?;
            Converter::Regsub {
                regex,
                with: arg(1).to_string(),
                global: flags.contains('g'),
            }
        }
        "concat" => {
            n_args(0, 3)?;
            Converter::Concat {
                start: arg(0).to_string(),
                var: opt_var(args.get(1), call)?,
                end: arg(2).to_string(),
            }
        }
        "add_item" => {
            n_args(2, 3)?;
            let var = opt_var(args.get(1), call)?;
            if var.is_none() && arg(2).is_empty() {
                return Err(bad(
                    format!("`{}`: give a variable or a suffix", call.shown()),
                    None,
                ));
            }
            Converter::AddItem {
                delim: arg(0).to_string(),
                var,
                suffix: arg(2).to_string(),
            }
        }
        "url_dec" => {
            n_args(0, 1)?;
            Converter::UrlDec {
                form: opt_int(0, 0, "in_form")? != 0,
            }
        }
        "be2dec" | "be2hex" => {
            if name == "be2dec" {
                n_args(2, 3)?;
            } else {
                n_args(0, 3)?;
            }
            let chunk = opt_int(1, if name == "be2dec" { 0 } else { 1 }, "chunk size")?;
            let max = if name == "be2dec" { 8 } else { i64::MAX };
            if chunk < 1 || chunk > max {
                return Err(bad(
                    format!(
                        "`{}`: the chunk size must be between 1 and {max}",
                        call.shown()
                    ),
                    None,
                ));
            }
            let sep = arg(0).to_string();
            let truncate = opt_int(2, 0, "truncate")? != 0;
            let chunk = usize::try_from(chunk).unwrap_or(usize::MAX);
            if name == "be2dec" {
                Converter::Be2dec {
                    sep,
                    chunk,
                    truncate,
                }
            } else {
                Converter::Be2hex {
                    sep,
                    chunk,
                    truncate,
                }
            }
        }
        "json" => {
            n_args(0, 1)?;
            Converter::Json(match arg(0) {
                "" | "ascii" => JsonInput::Ascii,
                "utf8" => JsonInput::Utf8,
                "utf8s" => JsonInput::Utf8s,
                "utf8p" => JsonInput::Utf8p,
                "utf8ps" => JsonInput::Utf8ps,
                other => {
                    return Err(bad(
                        format!("`{}`: unknown input code `{other}`", call.shown()),
                        Some("ascii, utf8, utf8s, utf8p or utf8ps".into()),
                    ))
                }
            })
        }
        "ipmask" => {
            n_args(1, 2)?;
            Converter::Ipmask {
                v4: mask(arg(0), false, call)?,
                v6: match args.get(1) {
                    Some(m) if !m.is_empty() => Some(mask(m, true, call)?),
                    _ => None,
                },
            }
        }
        "add" | "sub" | "mul" | "div" | "mod" | "and" | "or" | "xor" => {
            n_args(1, 1)?;
            let op = match name {
                "add" => Arith::Add,
                "sub" => Arith::Sub,
                "mul" => Arith::Mul,
                "div" => Arith::Div,
                "mod" => Arith::Mod,
                "and" => Arith::And,
                "or" => Arith::Or,
                _ => Arith::Xor,
            };
            Converter::Arith(op, int_or_var(arg(0), call)?)
        }
        "iif" => {
            n_args(2, 2)?;
            Converter::Iif(arg(0).to_string(), arg(1).to_string())
        }
        "crc32" | "crc32c" | "djb2" | "sdbm" | "wt6" => {
            n_args(0, 1)?;
            let hash = match name {
                "crc32" => Hash32::Crc32,
                "crc32c" => Hash32::Crc32c,
                "djb2" => Hash32::Djb2,
                "sdbm" => Hash32::Sdbm,
                _ => Hash32::Wt6,
            };
            Converter::Hash32 {
                hash,
                avalanche: opt_int(0, 0, "avalanche")? != 0,
            }
        }
        "xxh32" | "xxh64" | "xxh3" => {
            n_args(0, 1)?;
            let seed = opt_int(0, 0, "seed")?;
            match name {
                "xxh32" => Converter::Xxh32(seed as u32),
                "xxh64" => Converter::Xxh64(seed as u64),
                _ => Converter::Xxh3(seed as u64),
            }
        }
        "sha2" => {
            n_args(0, 1)?;
            Converter::Digest(match opt_int(0, 256, "bits")? {
                224 => Digest::Sha224,
                256 => Digest::Sha256,
                384 => Digest::Sha384,
                512 => Digest::Sha512,
                other => {
                    return Err(bad(
                        format!(
                            "`{}`: {other} bits is not a SHA-2 size (224, 256, 384 or 512)",
                            call.shown()
                        ),
                        None,
                    ))
                }
            })
        }
        "digest" | "hmac" => {
            n_args(
                if name == "hmac" { 2 } else { 1 },
                if name == "hmac" { 2 } else { 1 },
            )?;
            let d = Digest::named(arg(0)).ok_or_else(|| {
                refused(format!(
                    "`{}`: digest `{}` is not run by proxyd (md5, sha1, sha224, sha256, sha384, sha512 are)",
                    call.shown(),
                    arg(0)
                ))
            })?;
            if name == "digest" {
                Converter::Digest(d)
            } else {
                let key = if VarRef::looks_like(arg(1)) {
                    StrArg::Var(var(arg(1), call)?)
                } else {
                    StrArg::Const(arg(1).to_string())
                };
                Converter::Hmac(d, key)
            }
        }
        "strcmp" | "secure_memcmp" | "unset-var" => {
            n_args(1, 1)?;
            let v = var(arg(0), call)?;
            match name {
                "strcmp" => Converter::Strcmp(v),
                "secure_memcmp" => Converter::SecureMemcmp(v),
                _ => Converter::UnsetVar(v),
            }
        }
        "set-var" => {
            n_args(1, 5)?;
            let v = var(arg(0), call)?;
            let conds = args[1..]
                .iter()
                .map(|c| {
                    VarCond::named(c).ok_or_else(|| {
                        bad(
                            format!("`{}`: unknown condition `{c}`", call.shown()),
                            Some("ifexists, ifnotexists, ifempty, ifnotempty, ifset, ifnotset, ifgt, iflt".into()),
                        )
                    })
                })
                .collect::<Result<_, _>>()?;
            Converter::SetVar(v, conds)
        }
        "ltime" | "utime" => {
            n_args(1, 2)?;
            Converter::Time {
                utc: name == "utime",
                format: arg(0).to_string(),
                offset: opt_int(1, 0, "offset")?,
            }
        }
        "http_date" => {
            n_args(0, 2)?;
            let per_second = match arg(1) {
                "" | "s" => 1,
                "ms" => 1_000,
                "us" => 1_000_000,
                other => {
                    return Err(bad(
                        format!("`{}`: unknown unit `{other}` (s, ms or us)", call.shown()),
                        None,
                    ))
                }
            };
            Converter::HttpDate {
                offset: opt_int(0, 0, "offset")?,
                per_second,
            }
        }
        _ if name == "map" || name.starts_with("map_") => map_conv(call, args)?,
        _ if samples::is_known_converter(name) => {
            return Err(refused(format!(
                "converter `{name}` is not run by proxyd yet"
            )))
        }
        _ => {
            return Err(bad(
                format!("unknown converter `{name}`"),
                conf_diag::did_you_mean(name, samples::converter_names())
                    .map(|s| format!("did you mean `{s}`?")),
            ))
        }
    };
    Ok(conv)
}

impl Converter {
    /// The variables the converter reads or writes.
    pub fn vars(&self) -> Vec<&VarRef> {
        match self {
            Converter::Arith(_, IntArg::Var(v))
            | Converter::Hmac(_, StrArg::Var(v))
            | Converter::Strcmp(v)
            | Converter::SecureMemcmp(v)
            | Converter::SetVar(v, _)
            | Converter::UnsetVar(v) => vec![v],
            Converter::Concat { var: Some(v), .. } | Converter::AddItem { var: Some(v), .. } => {
                vec![v]
            }
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::lex::calls;
    use super::*;

    fn conv(text: &str) -> Result<Converter, SampleError> {
        converter(&calls(&format!("src,{text}")).unwrap()[1])
    }

    #[test]
    fn arguments_are_typed() {
        assert_eq!(
            conv("add(3)").unwrap(),
            Converter::Arith(Arith::Add, IntArg::Const(3))
        );
        assert!(matches!(
            conv("add(txn.n)").unwrap(),
            Converter::Arith(Arith::Add, IntArg::Var(_))
        ));
        assert!(conv("add(x)").is_err());
        assert_eq!(
            conv("ipmask(255.255.255.0,64)").unwrap(),
            Converter::Ipmask {
                v4: 24,
                v6: Some(64)
            }
        );
        assert!(conv("ipmask(255.0.255.0)").is_err());
        assert!(matches!(
            conv("field(2,_,0)").unwrap(),
            Converter::Field {
                index: 2,
                count: 0,
                ..
            }
        ));
        assert!(conv("field(0,_)").is_err());
        assert!(matches!(
            conv("regsub('a+',b,gi)").unwrap(),
            Converter::Regsub { global: true, .. }
        ));
        assert!(conv("regsub(a,b,x)").is_err());
        assert!(matches!(
            conv("map_beg_int(/tmp/x.map,0)").unwrap(),
            Converter::Map(MapConv {
                matching: MapMatch::Beg,
                output: MapOut::Int,
                ..
            })
        ));
        assert_eq!(
            conv("sha2(512)").unwrap(),
            Converter::Digest(Digest::Sha512)
        );
        assert!(conv("sha2(100)").is_err());
        assert!(matches!(
            conv("set-var(txn.a,ifnotset)").unwrap(),
            Converter::SetVar(_, _)
        ));
    }

    #[test]
    fn unknown_and_refused() {
        let e = conv("lowre").unwrap_err();
        assert!(
            !e.refused && e.help.as_deref() == Some("did you mean `lower`?"),
            "{e:?}"
        );
        assert!(conv("table_gpc(1,t)").unwrap_err().refused);
        assert!(matches!(
            conv("in_table(t)").unwrap(),
            Converter::Table {
                data: TableData::In,
                ..
            }
        ));
        assert!(conv("table_http_req_rate").is_err());
        assert!(conv("lower(x)").is_err());
    }
}
