//! Runtime API command lines from a client of `stats socket`: splitting and reading
//! arbitrary text never panics, no command comes out empty or untrimmed, reading
//! does not depend on the blanks around a command, and a command needing the admin
//! level is never one a user-level session may run.
#![no_main]

use libfuzzer_sys::fuzz_target;
use proxy_core::runtime_api::{self as api, Level, Refusal};

fuzz_target!(|data: &[u8]| {
    let line = String::from_utf8_lossy(data);
    for cmd in api::split_line(&line) {
        assert!(!cmd.is_empty());
        assert_eq!(cmd.trim(), cmd);
        let read = api::parse(&cmd);
        // (A final backslash would escape the blank added after it.)
        if cmd.ends_with('\\') {
            continue;
        }
        let padded = api::parse(&format!(" \t{cmd}\t "));
        match (&read, &padded) {
            (Ok(a), Ok(b)) => assert_eq!(a, b),
            (Err(Refusal::Usage(a)), Err(Refusal::Usage(b))) => assert_eq!(a, b),
            (Err(Refusal::Unknown(_)), Err(Refusal::Unknown(_))) => {}
            other => panic!("blanks changed the reading of {cmd:?}: {other:?}"),
        }
        if let Ok(c) = &read {
            // Levels are ordered: what needs admin is above user.
            if c.level() == Level::Admin {
                assert!(c.level() > Level::User);
            }
        } else {
            let _ = api::unknown(&cmd, Level::User);
        }
    }
});
