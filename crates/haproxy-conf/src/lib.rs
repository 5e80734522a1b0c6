//! haproxy.cfg front end.
pub mod codes;
pub mod cond;
pub mod source;
pub mod tokenizer;
pub mod values;
