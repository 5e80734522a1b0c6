//! proxyd's HAProxy-style command line: -c verdicts and exit codes, -q, -dW, -cc, -f dirs,
//! --dump.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::{Command, Output};

fn proxyd(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_proxyd"))
        .args(args)
        .output()
        .unwrap()
}

/// A file in the test's own temporary directory (removed with it).
fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> String {
    let p = dir.path().join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

const VALID: &str = "defaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\nfrontend fe\n  bind 127.0.0.1:8000\n  default_backend be\nbackend be\n  server s1 127.0.0.1:8080 check\n";

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn valid_config() {
    let tmp = tempfile::tempdir().unwrap();
    let f = write(&tmp, "valid.cfg", VALID);
    let o = proxyd(&["-c", "-f", &f]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(stdout(&o), "Configuration file is valid\n");
}

#[test]
fn warnings_are_reported_and_dw_makes_them_fatal() {
    let tmp = tempfile::tempdir().unwrap();
    let f = write(
        &tmp,
        "warn.cfg",
        &VALID.replace("  timeout client 30s\n", ""),
    );
    let o = proxyd(&["-c", "-f", &f]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stdout(&o),
        "Warnings were found.\nConfiguration file is valid\n"
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("no timeout client"));
    assert_eq!(proxyd(&["-c", "-dW", "-f", &f]).status.code(), Some(1));
}

#[test]
fn errors_exit_1_and_quiet_prints_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let f = write(
        &tmp,
        "bad.cfg",
        &VALID.replace("default_backend be", "default_backend bee"),
    );
    let o = proxyd(&["-c", "-f", &f]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("did you mean `be`?"));
    let q = proxyd(&["-c", "-q", "-f", &f]);
    assert_eq!(q.status.code(), Some(1));
    assert!(q.stdout.is_empty() && q.stderr.is_empty());
}

/// A header rule naming a header HTTP does not allow could never be applied: refused at
/// -c with the line, not accepted and then skipped at every request.
#[test]
fn a_header_rule_with_an_invalid_name_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    for rule in [
        "http-request set-header X(bad) 1",
        "http-response add-header \"a b\" 1",
        "http-request replace-header X@Y a b",
    ] {
        let f = write(
            &tmp,
            "bad.cfg",
            &VALID.replace(
                "  default_backend be",
                &format!("  {rule}\n  default_backend be"),
            ),
        );
        let o = proxyd(&["-c", "-f", &f]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{rule}: {err}");
        assert!(err.contains("is not a valid header name"), "{rule}: {err}");
        assert!(err.contains(".cfg:8:"), "{rule}: the line is named: {err}");
    }
    // A valid one passes.
    let f = write(
        &tmp,
        "ok.cfg",
        &VALID.replace(
            "  default_backend be",
            "  http-request set-header X-Ok 1\n  default_backend be",
        ),
    );
    assert_eq!(proxyd(&["-c", "-f", &f]).status.code(), Some(0));
}

#[test]
fn no_listener_exits_2() {
    let tmp = tempfile::tempdir().unwrap();
    let f = write(
        &tmp,
        "nolisten.cfg",
        "backend be\n  timeout connect 1s\n  timeout server 1s\n  server s 127.0.0.1:80\n",
    );
    assert_eq!(proxyd(&["-c", "-f", &f]).status.code(), Some(2));
}

#[test]
fn several_files_and_a_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let a = write(
        &tmp,
        "multi/a.cfg",
        "defaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\n",
    );
    let _b = write(
        &tmp,
        "conf.d/10-fe.cfg",
        "frontend fe\n  bind 127.0.0.1:8000\n  default_backend be\n",
    );
    let _c = write(
        &tmp,
        "conf.d/20-be.cfg",
        "backend be\n  server s1 127.0.0.1:8080\n",
    );
    let _h = write(&tmp, "conf.d/.hidden.cfg", "this is not a config\n");
    let _n = write(&tmp, "conf.d/notes.txt", "neither is this\n");
    let d = tmp.path().join("conf.d").display().to_string();
    let o = proxyd(&["-c", "-f", &a, "-f", &d]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

#[test]
fn condition_evaluation() {
    assert_eq!(
        proxyd(&["-cc", "version_atleast(2.4)"]).status.code(),
        Some(0)
    );
    assert_eq!(
        proxyd(&["-cc", "defined(PROXYD_SURELY_UNSET_VAR)"])
            .status
            .code(),
        Some(1)
    );
    assert_eq!(proxyd(&["-cc", "nonsense(("]).status.code(), Some(2));
    // The text is read as a config line (quotes removed), as HAProxy reads it.
    assert_eq!(proxyd(&["-cc", "streq(foo,'foo')"]).status.code(), Some(0));
    assert_eq!(
        proxyd(&["-cc", "streq(foo,\"bar\")"]).status.code(),
        Some(1)
    );
}

#[test]
fn dump_shows_inherited_defaults() {
    let tmp = tempfile::tempdir().unwrap();
    let f = write(&tmp, "dump.cfg", VALID);
    let o = proxyd(&["-c", "--dump", "-f", &f]);
    let text = stdout(&o);
    let json_start = text.find('{').unwrap();
    let json_end = text.rfind('}').unwrap();
    let v: serde_json::Value = serde_json::from_str(&text[json_start..=json_end]).unwrap();
    let fe = &v["proxies"][0];
    assert_eq!(fe["name"], "fe");
    assert_eq!(fe["mode"], "http");
    assert_eq!(fe["timeouts"]["client"], 30000);
    assert_eq!(v["proxies"][1]["servers"][0]["opts"]["inter_ms"], 2000);
}

#[test]
fn unknown_option_and_version() {
    let o = proxyd(&["-zz"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown option `-zz`"));
    // HAProxy's shape, which scripts parse (`HAProxy version X.Y.Z...`), saying what answers.
    let v = stdout(&proxyd(&["-v"]));
    assert!(v.starts_with("HAProxy version 2.6."), "{v}");
    assert!(v.contains("proxyd"), "{v}");
    let vv = stdout(&proxyd(&["-vv"]));
    assert!(
        vv.lines().any(|l| l.starts_with("Feature list : +")),
        "{vv}"
    );
}
