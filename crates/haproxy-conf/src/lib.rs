//! haproxy.cfg front end.
pub mod tokenizer;
