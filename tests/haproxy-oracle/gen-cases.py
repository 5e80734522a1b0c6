#!/usr/bin/env python3
"""Generate cases/*.cfg for the haproxy -c oracle.

Each case is ONE thing under test; first line is '# what: ...'.
Optional directive comments read by run-oracle.sh (must be at line start):
  # run-env: K=V [K=V...]     extra environment for haproxy
  # run-args: ARGS            extra command-line args appended after '-c -f CASE'
                              (paths are relative to cases/, the cwd of each run)
Content is written byte-exactly (CRLF / U+00A0 cases rely on that).
Re-running this script rewrites cases/ from scratch.
"""
import os, shutil

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, "cases")

# common valid defaults block (all three usual timeouts set, mode http)
D = """defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
"""
# a trivial backend
BE = """backend be
    server s1 127.0.0.1:8080
"""

cases = []


def case(name, what, body, crlf=False):
    text = "# what: " + what + "\n" + body
    if crlf:
        text = text.replace("\n", "\r\n")
    cases.append((name, text))


# ---------------------------------------------------------------- sections
case("minimal-valid", "minimal valid config: global+defaults+frontend+backend",
     "global\n    maxconn 100\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("empty-file", "file containing only the what-comment (no sections at all)", "")
case("frontend-no-bind", "frontend without any bind line", D +
     "frontend fe\n    default_backend be\n" + BE)
case("backend-no-server", "backend without any server line", D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\nbackend be\n")
case("defaults-named", "named defaults section, proxies inherit last defaults implicitly",
     "defaults web\n    mode http\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n"
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("proxy-from-defaults", "frontend/backend 'from NAME' referencing a named defaults",
     "defaults web\n    mode http\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n"
     "defaults tcpd\n    mode tcp\n"
     "frontend fe from web\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be from web\n    server s1 127.0.0.1:8080\n")
case("defaults-from-defaults", "'defaults d2 from d1' (named defaults inheriting another named defaults)",
     "defaults d1\n    mode http\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n"
     "defaults d2 from d1\n    option forwardfor\n"
     "frontend fe from d2\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be from d2\n    server s1 127.0.0.1:8080\n")
case("defaults-unnamed-from", "'defaults from d1' (anonymous defaults with from)",
     "defaults d1\n    mode http\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n"
     "defaults from d1\n    option forwardfor\n"
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("proxy-from-missing-defaults", "'frontend fe from nope' where defaults 'nope' does not exist",
     D + "frontend fe from nope\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("listen-section", "listen section with bind + server",
     D + "listen app\n    bind 127.0.0.1:8000\n    server s1 127.0.0.1:8080 check\n")
case("userlist", "userlist with users/groups, used by http-request auth",
     "userlist admins\n    group adm users alice\n    user alice insecure-password secret\n"
     "    user bob password $6$salt$abcdefghijklmnopqrstuv groups adm\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    acl ok http_auth(admins)\n"
     "    http-request auth realm Admins unless ok\n    default_backend be\n" + BE)
case("mailers-email-alert", "mailers section + email-alert in backend",
     "mailers mta\n    mailer smtp1 127.0.0.1:25\n    timeout mail 20s\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    email-alert mailers mta\n    email-alert from a@example.com\n"
     "    email-alert to b@example.com\n    email-alert level alert\n"
     "    server s1 127.0.0.1:8080 check\n")
case("peers-stick-table", "peers section referenced by stick-table peers",
     "peers mypeers\n    peer local1 127.0.0.1:10000\n    peer other 192.168.1.2:10000\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    stick-table type ip size 1m expire 30m peers mypeers\n"
     "    stick on src\n    server s1 127.0.0.1:8080\n")
case("resolvers", "resolvers section used by a server with resolvers + init-addr",
     "resolvers dns\n    nameserver ns1 127.0.0.1:53\n    resolve_retries 3\n    timeout resolve 1s\n"
     "    timeout retry 1s\n    hold valid 10s\n    accepted_payload_size 8192\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    server s1 localhost:8080 resolvers dns init-addr last,libc,none check\n")
case("cache-section", "cache section + http-request cache-use / http-response cache-store",
     "cache c1\n    total-max-size 4\n    max-age 60\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    http-request cache-use c1\n    http-response cache-store c1\n"
     "    server s1 127.0.0.1:8080\n")
case("program-section", "program section without master-worker mode",
     "program echo\n    command /bin/true\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("program-section-mworker", "program section with global master-worker",
     "global\n    master-worker\nprogram echo\n    command /bin/true\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("http-errors-section", "http-errors section + errorfiles (file exists: extra/503.http)",
     "http-errors myerrs\n    errorfile 503 extra/503.http\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    errorfiles myerrs\n    default_backend be\n" + BE)
case("ring-section", "ring section used as a log target",
     "ring myring\n    description \"my ring\"\n    format rfc3164\n    maxlen 1200\n    size 32764\n"
     "    timeout connect 5s\n    timeout server 10s\n"
     "global\n    log ring@myring local0\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("section-keyword-indented", "section keywords indented ('  defaults', '\\tbackend')",
     "  global\n    maxconn 100\n  defaults\n    mode http\n    timeout connect 5s\n"
     "    timeout client 30s\n    timeout server 30s\n  frontend fe\n    bind 127.0.0.1:8000\n"
     "    default_backend be\n\tbackend be\n    server s1 127.0.0.1:8080\n")
case("unknown-section", "unknown section keyword 'fronted'",
     D + "fronted fe\n    bind 127.0.0.1:8000\n" + BE)
case("keyword-outside-section", "keyword before any section header",
     "maxconn 100\n" + D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("section-name-missing", "frontend with no name",
     D + "frontend\n    bind 127.0.0.1:8000\n" + BE)
case("duplicate-proxy-name", "two backends with the same name",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE + BE)
case("frontend-backend-same-name", "frontend and backend sharing a name",
     D + "frontend app\n    bind 127.0.0.1:8000\n    default_backend app\n"
     "backend app\n    server s1 127.0.0.1:8080\n")
case("listen-frontend-same-name", "listen and frontend sharing a name",
     D + "frontend app\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE +
     "listen app\n    bind 127.0.0.1:8001\n    server s1 127.0.0.1:8080\n")
case("proxy-name-bad-char", "proxy name with an invalid character",
     D + "frontend fe/x\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)

# ---------------------------------------------------------------- quoting / lexing
case("backslash-escape-space", "backslash-escaped space in an argument (stats realm Haproxy\\ Statistics)",
     D + "listen stats\n    bind 127.0.0.1:9000\n    stats enable\n    stats realm Haproxy\\ Statistics\n"
     "    stats uri /haproxy_stats\n")
case("double-quotes", "double-quoted arguments with spaces",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    http-request set-header X-Test \"a b  c\"\n"
     "    http-request return status 200 content-type \"text/plain\" string \"hello world\" if { path /hi }\n"
     "    default_backend be\n" + BE)
case("single-quotes", "single-quoted arguments with spaces and a literal $HOME",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    http-request set-header X-Test 'a b $HOME'\n"
     "    default_backend be\n" + BE)
case("quote-concat", "quoted and unquoted parts glued into one word: a\"b c\"'d e'",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    http-request set-header X-Test a\"b c\"'d e'\n"
     "    default_backend be\n" + BE)
case("trailing-comment", "trailing '# comment' after arguments, and comment-only/indented comment lines",
     D + "frontend fe   # trailing comment on section line\n    # indented comment\n"
     "    bind 127.0.0.1:8000 # trailing comment\n    default_backend be#glued comment\n" + BE)
case("hash-escaped-and-quoted", "'#' inside double quotes and as \\#",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    http-request set-header X-A \"a#b\"\n"
     "    http-request set-header X-B a\\#b\n    default_backend be\n" + BE)
case("unterminated-double-quote", "unterminated double quote",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    http-request set-header X-A \"abc\n"
     "    default_backend be\n" + BE)
case("unterminated-single-quote", "unterminated single quote",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    http-request set-header X-A 'abc\n"
     "    default_backend be\n" + BE)
case("escape-sequences", "backslash escapes \\t \\r \\n \\x41 \\\\ \\\" in double quotes and unquoted",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    http-request set-header X-A \"a\\tb\\x41\\\\c\\\"d\"\n"
     "    http-request set-header X-B a\\x41b\n    default_backend be\n" + BE)
case("bad-hex-escape", "invalid hex escape \\xZZ",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    http-request set-header X-A a\\xZZb\n"
     "    default_backend be\n" + BE)
case("env-home-dquote", "\"$HOME\" expansion inside double quotes (pidfile \"$HOME/x.pid\")",
     "global\n    pidfile \"$HOME/x.pid\"\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("env-braces-set", "${MYVAR} expansion (MYVAR=127.0.0.1 set) inside a bind address",
     "# run-env: MYVAR=127.0.0.1\n" + D +
     "frontend fe\n    bind \"${MYVAR}:8000\"\n    default_backend be\n" + BE)
case("env-unquoted", "$MYPORT / ${MYVAR} expansion outside quotes",
     "# run-env: MYVAR=127.0.0.1 MYPORT=8000\n" + D +
     "frontend fe\n    bind ${MYVAR}:$MYPORT\n    default_backend be\n" + BE)
case("env-default-unset", "${MYVAR-127.0.0.1} with MYVAR unset uses the default",
     D + "frontend fe\n    bind \"${MYUNSETVAR-127.0.0.1}:8000\"\n    default_backend be\n" + BE)
case("env-default-set", "${MYVAR-default} with MYVAR set (bad default would fail if used)",
     "# run-env: MYVAR=127.0.0.1\n" + D +
     "frontend fe\n    bind \"${MYVAR-not/an/address}:8000\"\n    default_backend be\n" + BE)
case("env-undefined", "${UNDEFINED_VAR} with no default inside a bind address",
     D + "frontend fe\n    bind \"${UNDEFINED_VAR_XYZ}:8000\"\n    default_backend be\n" + BE)
case("env-undefined-whole-arg", "maxconn ${UNDEFINED_VAR} (variable is the whole argument, undefined)",
     "global\n    maxconn ${UNDEFINED_VAR_XYZ}\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("env-in-single-quotes", "'${MYVAR}' in single quotes (MYVAR set to an address, literal would be invalid)",
     "# run-env: MYVAR=127.0.0.1\n" + D +
     "frontend fe\n    bind '${MYVAR}:8000'\n    default_backend be\n" + BE)
case("env-multiword-unquoted", "unquoted ${MYWORDS} whose value has a space ('url_param userid') as balance args",
     "# run-env: MYWORDS='url_param userid'\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    balance ${MYWORDS}\n    server s1 127.0.0.1:8080\n")
case("env-multiword-quoted", "\"${MYWORDS}\" in double quotes, value has a space ('url_param userid')",
     "# run-env: MYWORDS='url_param userid'\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    balance \"${MYWORDS}\"\n    server s1 127.0.0.1:8080\n")
case("env-list-expansion", "\"${MYWORDS[*]}\" list expansion, value 'url_param userid'",
     "# run-env: MYWORDS='url_param userid'\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    balance \"${MYWORDS[*]}\"\n    server s1 127.0.0.1:8080\n")
case("env-dquote-balance", "balance \"${MYW}\" with MYW=roundrobin (double quotes)",
     "# run-env: MYW=roundrobin\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    balance \"${MYW}\"\n    server s1 127.0.0.1:8080\n")
case("env-unquoted-balance", "balance ${MYW} unquoted with MYW=roundrobin",
     "# run-env: MYW=roundrobin\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    balance ${MYW}\n    server s1 127.0.0.1:8080\n")
case("env-squote-balance", "balance '${MYW}' single-quoted with MYW=roundrobin",
     "# run-env: MYW=roundrobin\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    balance '${MYW}'\n    server s1 127.0.0.1:8080\n")
case("env-unquoted-default-backend", "default_backend ${MYB} unquoted with MYB=be",
     "# run-env: MYB=be\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend ${MYB}\n" + BE)
case("env-bind-address-squote-reexpanded", "bind '${MYVAR}:8000' single-quoted, MYVAR=300.1.1.1 (does the address parser expand?)",
     "# run-env: MYVAR=300.1.1.1\n" + D +
     "frontend fe\n    bind '${MYVAR}:8000'\n    default_backend be\n" + BE)
case("env-server-address-unquoted", "server s1 ${MYSRV}:8080 unquoted, MYSRV=300.1.1.1",
     "# run-env: MYSRV=300.1.1.1\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    server s1 ${MYSRV}:8080\n")
case("env-dquote-undefined-empty", "default_backend be \"${UNDEF}\" -> trailing empty word",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be \"${UNDEFINED_VAR_XYZ}\"\n" + BE)
case("empty-quoted-arg", "maxconn \"\" (empty quoted argument)",
     "global\n    maxconn \"\"\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("env-builtin-vars", "built-in variables \"$HAPROXY_LOCALPEER\" / \"${HAPROXY_CFGFILES}\" in headers",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    http-request set-header X-P \"$HAPROXY_LOCALPEER\"\n"
     "    http-request set-header X-F \"${HAPROXY_CFGFILES}\"\n    default_backend be\n" + BE)
case("if-defined", ".if defined(MYVAR) / .else / .endif with MYVAR set (else branch is invalid)",
     "# run-env: MYVAR=1\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n.if defined(MYVAR)\n    default_backend be\n"
     ".else\n    this_is_not_a_keyword\n.endif\n" + BE)
case("if-not-defined", ".if defined(UNSET) false -> else branch taken (invalid kw in if-branch skipped)",
     D + "frontend fe\n    bind 127.0.0.1:8000\n.if defined(SURELY_UNSET_VAR)\n    this_is_not_a_keyword\n"
     ".else\n    default_backend be\n.endif\n" + BE)
case("if-feature", ".if feature(OPENSSL) ... .endif; plus !feature(QUIC)",
     D + "frontend fe\n    bind 127.0.0.1:8000\n.if feature(OPENSSL)\n    http-request set-header X-Ssl 1\n.endif\n"
     ".if !feature(OPENSSL)\n    bogus_keyword_skipped\n.endif\n    default_backend be\n" + BE)
case("if-version-elif", ".if version_atleast(3.0) / .elif version_atleast(2.4) / .else",
     D + "frontend fe\n    bind 127.0.0.1:8000\n.if version_atleast(3.0)\n    bogus_one\n"
     ".elif version_atleast(2.4)\n    default_backend be\n.else\n    bogus_two\n.endif\n" + BE)
case("if-streq", ".if streq(\"$MYVAR\",prod) with MYVAR=prod, plus strneq",
     "# run-env: MYVAR=prod\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n.if streq(\"$MYVAR\",prod)\n    default_backend be\n.endif\n"
     ".if strneq(\"$MYVAR\",prod)\n    bogus_keyword\n.endif\n" + BE)
case("if-numeric-and-ops", ".if 1 / .if 0 / .if defined(A) && defined(B) / || (2.6 operator support?)",
     D + "frontend fe\n    bind 127.0.0.1:8000\n.if 0\n    bogus0\n.endif\n.if 1\n    default_backend be\n.endif\n"
     ".if defined(HOME) && defined(NOPE_UNSET)\n    bogus2\n.endif\n" + BE)
case("if-and-or-parens-true", ".if defined(HOME) && 1 / .if defined(NOPE) || (1): true branches contain a bogus keyword",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n.if defined(HOME) && 1\n    bogus_and\n.endif\n"
     ".if defined(NOPE_UNSET) || (1)\n    bogus_or\n.endif\n" + BE)
case("if-empty-condition", "'.if' with no condition, containing a bogus keyword",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n.if\n    bogus_kw\n.endif\n" + BE)
case("if-trailing-garbage", "'.if 1 2' (garbage after expression)",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n.if 1 2\n.endif\n" + BE)
case("if-word-and", "'.if defined(HOME) and 1' (word 'and' instead of &&)",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n.if defined(HOME) and 1\n.endif\n" + BE)
case("if-unknown-function", ".if with an unknown predicate",
     D + "frontend fe\n    bind 127.0.0.1:8000\n.if isset(HOME)\n    default_backend be\n.endif\n" + BE)
case("if-missing-endif", ".if without .endif",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n.if 1\n" + BE)
case("endif-without-if", ".endif without .if",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n.endif\n" + BE)
case("diag-notice-warning", ".diag, .notice and .warning directives",
     D + ".diag \"diag message\"\n.notice \"notice message\"\n.warning \"warning message\"\n"
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("alert-directive", ".alert directive",
     D + ".alert \"alert message\"\nfrontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("unknown-dot-directive", "unknown directive '.foo'",
     D + ".foo bar\nfrontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("crlf-line-endings", "whole file with CRLF line endings",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE, crlf=True)
case("crlf-escaped-space", "CRLF file with a backslash-escaped space at end of args (stats realm Haproxy\\ Statistics)",
     D + "listen stats\n    bind 127.0.0.1:9000\n    stats enable\n    stats realm Haproxy\\ Statistics\n", crlf=True)
case("nbsp-indent", "line indented with U+00A0 (non-breaking space) characters",
     D + "frontend fe\n\u00a0\u00a0\u00a0\u00a0bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("nbsp-between-args", "U+00A0 between keyword and argument",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend\u00a0be\n" + BE)
case("tabs-and-spaces", "tabs as separators and indentation",
     D + "frontend\tfe\n\tbind\t127.0.0.1:8000\n\tdefault_backend \t be\n" + BE)
case("no-final-newline", "last line without trailing newline",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE.rstrip("\n"))
case("multi-f-files", "second -f file (extra/second.cfg) holds the backend referenced here",
     "# run-args: -f extra/second.cfg\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be2\n")
case("multi-f-error-in-second", "second -f file has an error (line numbers per file?)",
     "# run-args: -f extra/broken.cfg\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("f-directory", "-f DIR: directory extra/confd holds 20-be.cfg, 10-fe.cfg, notes.txt (garbage)",
     "# run-args: -f extra/confd\n" + D)
case("f-directory-order", "-f DIR order: extra/confd-order has 10.cfg, A.cfg, b.cfg (each 'maxconn'), x.CFG and sub/s.cfg (garbage)",
     "# run-args: -f extra/confd-order\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("long-line", "line longer than 2048 chars",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    http-request set-header X-Long " + "a" * 3000 + "\n"
     "    default_backend be\n" + BE)
case("too-many-args", "line with more than 64 words",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    acl many src " + " ".join("10.0.0.%d" % i for i in range(1, 80)) + "\n"
     "    default_backend be\n" + BE)

# ---------------------------------------------------------------- global
case("global-log-targets", "global log: IP, /dev/log with level, stdout format raw, udp@",
     "global\n    log 127.0.0.1 local0\n    log /dev/log local0 notice\n    log stdout format raw local0\n"
     "    log udp@127.0.0.1:514 local0\n    log 127.0.0.1:514 len 2048 format rfc5424 local1 info err\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("global-log-bad-facility", "global log with unknown facility",
     "global\n    log 127.0.0.1 local9\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("global-process-settings", "user/group/uid/gid/chroot/daemon/pidfile",
     "global\n    user haproxy\n    group haproxy\n    chroot /var/lib/haproxy\n    daemon\n"
     "    pidfile /run/haproxy.pid\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("global-uid-gid", "uid/gid numeric",
     "global\n    uid 102\n    gid 105\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("global-user-unknown", "user/group naming nonexistent accounts",
     "global\n    user nosuchuserxyz\n    group nosuchgroupxyz\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("global-chroot-missing", "chroot to a nonexistent directory",
     "global\n    chroot /nonexistent/dir\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("global-nbthread-maxconn", "nbthread 4, maxconn 20000",
     "global\n    nbthread 4\n    maxconn 20000\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("global-stats-socket", "stats socket with mode/level/expose-fd, stats timeout",
     "global\n    stats socket /run/haproxy/admin.sock mode 660 level admin expose-fd listeners\n"
     "    stats timeout 30s\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("global-tune-hardstop", "tune.bufsize, tune.maxrewrite, hard-stop-after",
     "global\n    tune.bufsize 32768\n    tune.maxrewrite 1024\n    hard-stop-after 30s\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("global-ssl-settings", "ssl-default-bind-ciphers/options, ssl-default-server-*, ca-base, crt-base, tune.ssl.default-dh-param",
     "global\n    ca-base /etc/ssl/certs\n    crt-base /etc/ssl/private\n"
     "    ssl-default-bind-ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256\n"
     "    ssl-default-bind-ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384\n"
     "    ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets\n"
     "    ssl-default-server-options no-sslv3\n    tune.ssl.default-dh-param 2048\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("global-nbproc", "legacy nbproc 2",
     "global\n    nbproc 2\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("global-nbproc-1", "legacy nbproc 1",
     "global\n    nbproc 1\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("global-maxconn-bad-number", "maxconn abc",
     "global\n    maxconn abc\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("global-maxconn-trailing-garbage", "maxconn 100x",
     "global\n    maxconn 100x\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("global-maxconn-missing-arg", "maxconn with no argument",
     "global\n    maxconn\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("global-maxconn-extra-arg", "maxconn 100 200 (extra argument)",
     "global\n    maxconn 100 200\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("global-unknown-keyword", "unknown keyword in global",
     "global\n    maxconnn 100\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("global-duplicate-section", "two global sections",
     "global\n    maxconn 100\nglobal\n    maxconn 200\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("global-daemon-arg", "daemon with a stray argument",
     "global\n    daemon yes\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)

# ---------------------------------------------------------------- bind
case("bind-address-forms", "bind *:80, :81, 127.0.0.1:82, [::]:443, ::1 without brackets, ipv4@, ipv6@, multiple addrs on one line",
     D + "frontend fe\n    bind *:80\n    bind :81\n    bind 127.0.0.1:82\n    bind [::]:443\n"
     "    bind ::1:444\n    bind ipv4@127.0.0.1:83\n    bind ipv6@[::1]:84\n    bind 127.0.0.1:85,127.0.0.1:86\n"
     "    default_backend be\n" + BE)
case("bind-unix-abns", "bind unix@/tmp/x.sock, plain /path socket, abns@",
     D + "frontend fe\n    bind unix@/tmp/proxyd-oracle-x.sock\n    bind /tmp/proxyd-oracle-y.sock mode 600\n"
     "    bind abns@myabns\n    default_backend be\n" + BE)
case("bind-fd", "bind fd@3",
     D + "frontend fe\n    bind fd@3\n    default_backend be\n" + BE)
case("bind-port-range", "bind *:8000-8010",
     D + "frontend fe\n    bind *:8000-8010\n    default_backend be\n" + BE)
case("bind-port-range-reversed", "bind *:8010-8000",
     D + "frontend fe\n    bind *:8010-8000\n    default_backend be\n" + BE)
case("bind-options", "bind options name, v4v6, accept-proxy, transparent, defer-accept, backlog, maxconn, alpn without ssl",
     D + "frontend fe\n    bind :::8000 v4v6 name main accept-proxy transparent defer-accept backlog 100 maxconn 50\n"
     "    bind 127.0.0.1:8001 alpn h2,http/1.1\n    default_backend be\n" + BE)
case("bind-ssl-crt-missing", "bind ssl crt /nonexistent.pem alpn h2,http/1.1",
     D + "frontend fe\n    bind 127.0.0.1:8443 ssl crt /nonexistent.pem alpn h2,http/1.1\n"
     "    default_backend be\n" + BE)
case("bind-ssl-without-crt", "bind ... ssl with no crt",
     D + "frontend fe\n    bind 127.0.0.1:8443 ssl\n    default_backend be\n" + BE)
case("bind-unknown-option", "bind with unknown option",
     D + "frontend fe\n    bind 127.0.0.1:8000 fastopen-please\n    default_backend be\n" + BE)
case("bind-invalid-address", "bind 300.1.2.3:80",
     D + "frontend fe\n    bind 300.1.2.3:80\n    default_backend be\n" + BE)
case("bind-no-port", "bind 127.0.0.1 (no port)",
     D + "frontend fe\n    bind 127.0.0.1\n    default_backend be\n" + BE)
case("bind-port-out-of-range", "bind 127.0.0.1:80443",
     D + "frontend fe\n    bind 127.0.0.1:80443\n    default_backend be\n" + BE)
case("bind-port-zero", "bind 127.0.0.1:0",
     D + "frontend fe\n    bind 127.0.0.1:0\n    default_backend be\n" + BE)
case("bind-hostname", "bind localhost:8000 (hostname resolved at parse)",
     D + "frontend fe\n    bind localhost:8000\n    default_backend be\n" + BE)
case("bind-in-backend", "bind line inside a backend",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    bind 127.0.0.1:8001\n    server s1 127.0.0.1:8080\n")
case("bind-in-defaults", "bind line inside defaults",
     D + "    bind 127.0.0.1:8001\nfrontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)

# ---------------------------------------------------------------- timeouts / options
case("timeouts-all-units", "every timeout kind, with us/ms/s/m/h/d units and no unit",
     "defaults\n    mode http\n    timeout connect 5000\n    timeout client 30s\n    timeout server 1m\n"
     "    timeout http-request 10s\n    timeout http-keep-alive 2s\n    timeout queue 1m\n"
     "    timeout tunnel 1h\n    timeout client-fin 1s\n    timeout server-fin 1s\n    timeout check 500ms\n"
     "    timeout tarpit 1d\n"
     "frontend fe\n    bind 127.0.0.1:8000\n    timeout client 1000000us\n    default_backend be\n" + BE)
case("timeout-bad-unit", "timeout client 10x (bad unit)",
     "defaults\n    mode http\n    timeout connect 5s\n    timeout client 10x\n    timeout server 30s\n"
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("timeout-unknown-kind", "timeout foobar 10s",
     D + "    timeout foobar 10s\nfrontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("timeout-missing-value", "timeout client with no value",
     D + "    timeout client\nfrontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("timeout-overflow", "timeout client 30d (over 2^31 ms? 30d=2.59e9ms)",
     D + "    timeout client 30d\nfrontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("timeout-server-in-frontend", "timeout server inside a frontend (wrong side)",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    timeout server 5s\n    default_backend be\n" + BE)
case("missing-timeouts", "no timeout client/server/connect anywhere (http mode)",
     "defaults\n    mode http\nfrontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("missing-timeouts-tcp", "no timeouts anywhere, tcp mode",
     "defaults\n    mode tcp\nfrontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("legacy-contimeout", "legacy contimeout/clitimeout/srvtimeout",
     "defaults\n    mode http\n    contimeout 5000\n    clitimeout 50000\n    srvtimeout 50000\n"
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("legacy-redispatch-keyword", "legacy bare 'redispatch' keyword",
     D + "    redispatch\nfrontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("options-common", "option redispatch/httpclose/http-server-close/httplog/dontlognull/forwardfor, no option, retries",
     D + "    option redispatch\n    option httpclose\n    option http-server-close\n    option httplog\n"
     "    option dontlognull\n    option forwardfor\n    no option httpclose\n    retries 3\n"
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("option-unknown", "option with unknown name",
     D + "    option fooblah\nfrontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("no-on-non-option", "'no' prefix on a non-option keyword (no balance)",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    no balance\n    server s1 127.0.0.1:8080\n")
case("retries-bad", "retries -1",
     D + "    retries -1\nfrontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("mode-bad", "mode udp",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    mode udp\n    default_backend be\n" + BE)
case("legacy-mode-health", "legacy 'mode health'",
     D + "listen h\n    bind 127.0.0.1:8000\n    mode health\n")
case("option-httplog-in-tcp", "option httplog in a tcp-mode frontend",
     "defaults\n    mode tcp\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n"
     "frontend fe\n    bind 127.0.0.1:8000\n    option httplog\n    default_backend be\n" + BE)

# ---------------------------------------------------------------- balance
case("balance-all-valid", "all common balance algorithms in separate backends",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend b1\n" +
     "".join("backend b%d\n    balance %s\n    server s1 127.0.0.1:8080\n" % (i + 1, alg) for i, alg in enumerate([
         "roundrobin", "static-rr", "leastconn", "first", "source", "uri", "url_param userid",
         "hdr(Host)", "random", "random(2)", "rdp-cookie", "uri whole depth 2", "url_param session_id check_post",
         "hdr(User-Agent) use_domain_only"])))
case("balance-bad", "balance with unknown algorithm",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    balance fastest\n    server s1 127.0.0.1:8080\n")
case("balance-typo-keyword", "typo 'balanse roundrobin'",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    balanse roundrobin\n    server s1 127.0.0.1:8080\n")
case("balance-in-frontend", "balance inside a frontend",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    balance roundrobin\n    default_backend be\n" + BE)
case("balance-url-param-missing", "balance url_param without the parameter name",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    balance url_param\n    server s1 127.0.0.1:8080\n")

# ---------------------------------------------------------------- servers
case("server-options-full", "server/default-server with the usual check/weight/backup/etc options",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    default-server inter 3s fastinter 1s downinter 5s rise 2 fall 3 weight 10 maxconn 100 maxqueue 10 slowstart 30s\n"
     "    cookie SRV insert indirect nocache\n"
     "    server s1 127.0.0.1:8080 check port 8081 addr 127.0.0.2 cookie s1 on-marked-down shutdown-sessions\n"
     "    server s2 127.0.0.1:8443 check check-ssl ssl verify none sni str(www.example.com) send-proxy\n"
     "    server s3 127.0.0.1:8082 backup disabled init-addr last,libc,none\n"
     "    server s4 127.0.0.1:8083 weight 0 send-proxy-v2\n")
case("server-unresolvable", "server hostname that cannot resolve",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    server s1 no-such-host.invalid:8080\n")
case("server-unresolvable-init-addr-none", "unresolvable hostname with init-addr none",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    server s1 no-such-host.invalid:8080 init-addr none\n")
case("server-localhost", "server localhost:8080",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    server s1 localhost:8080\n")
case("server-port-out-of-range", "server port 80443",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    server s1 192.168.80.1:80443 check\n")
case("server-no-port", "server without port (uses client dst port) in http mode, with check",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    server s1 192.168.80.1 check\n")
case("server-port-offset", "server port +1000 / -10 relative forms",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    server s1 192.168.80.1:+1000\n    server s2 192.168.80.2:-10\n")
case("server-duplicate-name", "two servers with the same name in one backend",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    server s1 127.0.0.1:8080\n    server s1 127.0.0.1:8081\n")
case("server-missing-address", "server with a name but no address",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    server s1\n")
case("server-unknown-option", "server with unknown keyword",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    server s1 127.0.0.1:8080 chekc\n")
case("server-bad-weight", "server weight 300 (max 256)",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    server s1 127.0.0.1:8080 weight 300\n")
case("server-inter-bad-unit", "server inter 2x",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    server s1 127.0.0.1:8080 check inter 2x\n")
case("server-in-frontend", "server line inside a frontend",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    server s1 127.0.0.1:8080\n    default_backend be\n" + BE)
case("server-resolvers-missing", "server referencing a resolvers section that does not exist",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    server s1 localhost:8080 resolvers nope\n")
case("server-ssl-verify-required-no-ca", "server ssl without verify none and no ca-file",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    server s1 127.0.0.1:8443 ssl\n")
case("server-track", "server track other/srv (valid) and track to missing server",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    server s1 127.0.0.1:8080 check\n"
     "backend be2\n    server s1 127.0.0.1:8080 track be/s1\n    server s2 127.0.0.1:8081 track be/nope\n")

# ---------------------------------------------------------------- acl / routing
case("acl-and-or-not", "named acls, anonymous acls, implicit AND, 'or', '||', '!' negation",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    acl is_api path_beg /api\n    acl is_v2 path_beg /v2\n"
     "    acl local src 127.0.0.1 10.0.0.0/8\n    acl host_www hdr(host) -i www.example.com\n"
     "    use_backend api if is_api !local or is_v2 || { path_beg /x }\n"
     "    use_backend api if { path_beg /api } { method GET }\n"
     "    use_backend be unless host_www\n    default_backend be\n"
     "backend api\n    server a1 127.0.0.1:8081\n" + BE)
case("acl-unknown-fetch", "acl with unknown fetch method",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    acl bad no_such_fetch foo\n    default_backend be\n" + BE)
case("acl-undefined-used", "use_backend if undefined_acl",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    use_backend be if not_defined_acl\n    default_backend be\n" + BE)
case("acl-missing-brace", "anonymous acl missing closing brace",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    use_backend be if { path_beg /api\n    default_backend be\n" + BE)
case("acl-brace-no-space", "anonymous acl without spaces around braces {path_beg /api}",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    use_backend be if {path_beg /api}\n    default_backend be\n" + BE)
case("acl-bad-condition-word", "use_backend with 'when' instead of if/unless",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    use_backend be when { path_beg /api }\n    default_backend be\n" + BE)
case("default-backend-missing", "default_backend naming a backend that does not exist",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend nosuch\n" + BE)
case("use-backend-missing", "use_backend naming a backend that does not exist",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    use_backend nosuch if { path_beg /x }\n    default_backend be\n" + BE)
case("use-backend-dynamic", "use_backend with a log-format name %[req.hdr(host),lower]",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    use_backend %[req.hdr(host),lower]\n    default_backend be\n" + BE)
case("default-backend-is-frontend", "default_backend naming a frontend-only proxy",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend fe2\n"
     "frontend fe2\n    bind 127.0.0.1:8001\n    default_backend be\n" + BE)
case("http-frontend-tcp-backend", "mode http frontend -> mode tcp backend",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    mode tcp\n    server s1 127.0.0.1:8080\n")
case("tcp-frontend-http-backend", "mode tcp frontend -> mode http backend",
     D + "frontend fe\n    mode tcp\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("default-backend-twice", "two default_backend lines in one frontend",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n    default_backend be2\n" + BE +
     "backend be2\n    server s1 127.0.0.1:8080\n")
case("frontend-no-backend", "http frontend with no default_backend/use_backend",
     D + "frontend fe\n    bind 127.0.0.1:8000\n")

# ---------------------------------------------------------------- http-request etc
case("http-request-actions", "http-request deny/allow/redirect/set-header/add-header/del-header/return/set-path",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    http-request allow if { src 127.0.0.1 }\n"
     "    http-request deny deny_status 403 if { path_beg /admin }\n"
     "    http-request redirect scheme https code 301 if !{ ssl_fc }\n"
     "    http-request set-header X-Forwarded-Proto http\n    http-request add-header X-Via proxyd\n"
     "    http-request del-header X-Secret\n    http-request set-path /new%[path] if { path_beg /old }\n"
     "    http-request return status 200 content-type text/plain string ok if { path /ping }\n"
     "    http-request set-var(txn.host) req.hdr(host)\n    http-request capture req.hdr(User-Agent) len 64\n"
     "    default_backend be\n" + BE)
case("http-request-unknown-action", "http-request with unknown action",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    http-request frobnicate\n    default_backend be\n" + BE)
case("http-request-missing-arg", "http-request set-header with no value",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    http-request set-header X-A\n    default_backend be\n" + BE)
case("http-request-after-use-backend", "http-request placed after use_backend (ordering warning?)",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    use_backend be if { path_beg /x }\n"
     "    http-request deny if { path_beg /admin }\n    default_backend be\n" + BE)
case("http-response-actions", "http-response set-header/del-header/deny",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    http-response set-header X-Frame-Options DENY\n"
     "    http-response del-header Server\n    http-response deny if { status 500 }\n    default_backend be\n" + BE)
case("http-request-in-tcp-mode", "http-request rule in a tcp-mode frontend",
     "defaults\n    mode tcp\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n"
     "frontend fe\n    bind 127.0.0.1:8000\n    http-request deny\n    default_backend be\n" + BE)
case("tcp-request-rules", "tcp-request inspect-delay + connection/content accept/reject with conditions",
     "defaults\n    mode tcp\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n"
     "frontend fe\n    bind 127.0.0.1:8000\n    tcp-request inspect-delay 5s\n"
     "    tcp-request connection reject if { src 10.0.0.0/8 }\n    tcp-request connection accept\n"
     "    tcp-request content accept if { req_ssl_hello_type 1 }\n    tcp-request content reject unless { req.len gt 0 }\n"
     "    default_backend be\n" + BE)
case("tcp-request-content-no-delay", "tcp-request content rule using a payload fetch without inspect-delay",
     "defaults\n    mode tcp\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n"
     "frontend fe\n    bind 127.0.0.1:8000\n    tcp-request content accept if { req_ssl_hello_type 1 }\n"
     "    default_backend be\n" + BE)
case("tcp-request-bad-action", "tcp-request connection with unknown action",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    tcp-request connection frob\n    default_backend be\n" + BE)
case("redirect-forms", "redirect scheme/location/prefix with code and options",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    redirect scheme https code 301 if !{ ssl_fc }\n"
     "    redirect location /maint code 302 if { path /old }\n    redirect prefix http://www.example.com drop-query code 308 if { hdr(host) example.com }\n"
     "    default_backend be\n" + BE)
case("redirect-bad-code", "redirect with code 305",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    redirect scheme https code 305\n    default_backend be\n" + BE)
case("stats-full", "stats enable/uri/realm/auth/hide-version/refresh/admin",
     D + "listen stats\n    bind 127.0.0.1:9000\n    stats enable\n    stats uri /stats\n    stats realm Stats\n"
     "    stats auth admin:secret\n    stats hide-version\n    stats refresh 10s\n    stats admin if TRUE\n"
     "    stats show-legends\n")
case("stats-in-tcp-proxy", "stats enable/uri in a mode tcp listen",
     "defaults\n    mode tcp\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n"
     "listen stats\n    bind 127.0.0.1:9000\n    stats enable\n    stats uri /stats\n")
case("stats-bad-subkeyword", "stats with unknown sub keyword",
     D + "listen stats\n    bind 127.0.0.1:9000\n    stats enabel\n")
case("stick-table-stick", "stick-table, stick on, stick match, stick store-response, stick-table in frontend with track-sc",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    stick-table type ip size 100k expire 30s store http_req_rate(10s)\n"
     "    http-request track-sc0 src\n    http-request deny deny_status 429 if { sc_http_req_rate(0) gt 100 }\n"
     "    default_backend be\n"
     "backend be\n    stick-table type string len 32 size 10k expire 1h\n    stick on req.cook(SID)\n"
     "    stick store-response res.cook(SID)\n    server s1 127.0.0.1:8080\n")
case("stick-table-bad-type", "stick-table type bogus",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    stick-table type bogus size 1k\n    server s1 127.0.0.1:8080\n")
case("stick-on-without-table", "stick on in a backend without stick-table",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    stick on src\n    server s1 127.0.0.1:8080\n")
case("cookie-insert", "cookie SERVERID insert indirect nocache + server cookie values",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    cookie SERVERID insert indirect nocache\n    server s1 127.0.0.1:8080 cookie a\n"
     "    server s2 127.0.0.1:8081 cookie b\n")
case("cookie-bad-option", "cookie with unknown option",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    cookie SERVERID insertt\n    server s1 127.0.0.1:8080 cookie a\n")
case("errorfile-missing", "errorfile 503 /nonexistent",
     D + "    errorfile 503 /nonexistent/503.http\nfrontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("errorfile-bad-code", "errorfile 999 on an existing file",
     D + "    errorfile 999 extra/503.http\nfrontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("log-and-log-format", "log global, log-format with %-vars, capture, option httplog override",
     "global\n    log 127.0.0.1 local0\n" + D + "    log global\n"
     "frontend fe\n    bind 127.0.0.1:8000\n    log-format \"%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %{+Q}r\"\n"
     "    default_backend be\n" + BE)
case("log-format-bad-var", "log-format with unknown %var",
     "global\n    log 127.0.0.1 local0\n" + D + "    log global\n"
     "frontend fe\n    bind 127.0.0.1:8000\n    log-format \"%ci %zz\"\n    default_backend be\n" + BE)
case("log-global-no-global-log", "'log global' in defaults without any global log line",
     D + "    log global\nfrontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("monitor-uri", "monitor-uri /health + monitor fail",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    monitor-uri /health\n    monitor fail if { nbsrv(be) lt 1 }\n"
     "    default_backend be\n" + BE)
case("httpchk-new", "option httpchk GET /health + http-check expect status 200 + http-check send hdr",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    option httpchk GET /health\n    http-check send hdr Host www.example.com\n"
     "    http-check expect status 200\n    server s1 127.0.0.1:8080 check\n")
case("httpchk-old-header-in-version", "option httpchk GET /health HTTP/1.1\\r\\nHost:\\ www (old form)",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    option httpchk GET /health HTTP/1.1\\r\\nHost:\\ www\n    server s1 127.0.0.1:8080 check\n")
case("httpchk-uri-only", "option httpchk /health (uri only, old form)",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    option httpchk /health\n    server s1 127.0.0.1:8080 check\n")
case("http-check-expect-forms", "http-check expect string / rstatus / ! status",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend b1\n    option httpchk\n    http-check expect string ok\n    server s1 127.0.0.1:8080 check\n"
     "backend b2\n    option httpchk\n    http-check expect rstatus ^2\n    server s1 127.0.0.1:8080 check\n"
     "backend b3\n    option httpchk\n    http-check expect ! status 500\n    server s1 127.0.0.1:8080 check\n" + BE)
case("http-check-send-full", "http-check connect + send meth/uri/ver/hdr/body + expect",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    option httpchk\n    http-check connect\n"
     "    http-check send meth POST uri /health ver HTTP/1.1 hdr Host www hdr Content-Type application/json body \"{}\"\n"
     "    http-check expect status 200-399\n    server s1 127.0.0.1:8080 check\n")
case("http-check-expect-bad", "http-check expect with unknown matcher",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    option httpchk\n    http-check expect statuss 200\n    server s1 127.0.0.1:8080 check\n")
case("email-alert-missing-mailers", "email-alert mailers naming a missing mailers section",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    email-alert mailers nope\n    email-alert from a@example.com\n    email-alert to b@example.com\n"
     "    server s1 127.0.0.1:8080 check\n")
case("email-alert-no-from", "email-alert mailers set but no from/to",
     "mailers mta\n    mailer smtp1 127.0.0.1:25\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    email-alert mailers mta\n    server s1 127.0.0.1:8080 check\n")
case("compression-and-capture", "compression algo/type, capture request header",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    compression algo gzip\n    compression type text/html text/plain\n"
     "    capture request header Host len 32\n    default_backend be\n" + BE)

# ---------------------------------------------------------------- legacy 1.x forms
case("legacy-frontend-addr-on-header", "'frontend NAME *:80' (address on section line)",
     D + "frontend fe *:80\n    default_backend be\n" + BE)
case("legacy-listen-addr-on-header", "'listen NAME 0.0.0.0:80' (address on section line)",
     D + "listen app 0.0.0.0:80\n    server s1 127.0.0.1:8080\n")
case("legacy-backend-addr-on-header", "'backend NAME 0.0.0.0:80' (address on a backend header)",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be 0.0.0.0:80\n    server s1 127.0.0.1:8080\n")
case("legacy-reqadd", "reqadd",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    reqadd X-Forwarded-Proto:\\ https\n    default_backend be\n" + BE)
case("legacy-reqrep", "reqrep",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    reqrep ^([^\\ :]*)\\ /static/(.*) \\1\\ /\\2\n    default_backend be\n" + BE)
case("legacy-rspadd", "rspadd",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    rspadd Strict-Transport-Security:\\ max-age=31536000\n    default_backend be\n" + BE)
case("legacy-reqidel", "reqidel",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    reqidel ^X-Forwarded-For:.*\n    default_backend be\n" + BE)
case("legacy-rspidel-rsprep", "rspidel + rsprep",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    rspidel ^Server:.*\n    rsprep ^Location:\\ http://(.*) Location:\\ https://\\1\n"
     "    default_backend be\n" + BE)
case("legacy-block", "block if ...",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    block if { path_beg /admin }\n    default_backend be\n" + BE)
case("legacy-reqallow-reqdeny", "reqallow / reqdeny / reqtarpit",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    reqdeny ^GET\\ /admin\n    default_backend be\n" + BE)
case("legacy-forwardfor-variants", "option forwardfor except/header/if-none",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    option forwardfor except 127.0.0.0/8 header X-Client-IP if-none\n"
     "    default_backend be\n" + BE)
case("legacy-forwardfor-bare", "bare 'forwardfor' keyword (no 'option')",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    forwardfor\n    default_backend be\n" + BE)
case("legacy-monitor-net", "monitor-net 10.0.0.0/8 (removed in 2.x?)",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    monitor-net 10.0.0.0/8\n    default_backend be\n" + BE)
case("legacy-option-http-proxy", "option http_proxy",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    option http_proxy\n    default_backend be\n" + BE)
case("legacy-option-httpclose-forceclose", "option forceclose / option http-pretend-keepalive / option http-tunnel",
     D + "    option forceclose\nfrontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("legacy-option-http-tunnel", "option http-tunnel",
     D + "    option http-tunnel\nfrontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("legacy-option-independant-streams", "option independant-streams (old misspelling)",
     D + "    option independant-streams\nfrontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("legacy-option-ssl-hello-chk", "option ssl-hello-chk / option mysql-check in tcp backends",
     D + "frontend fe\n    mode tcp\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    mode tcp\n    option ssl-hello-chk\n    server s1 127.0.0.1:8443 check\n"
     "backend b2\n    mode tcp\n    option mysql-check user haproxy\n    server s1 127.0.0.1:3306 check\n")
case("legacy-global-debug", "global 'debug' keyword",
     "global\n    debug\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("legacy-global-quiet-then-error", "global 'quiet' keyword followed by an error later in the file",
     "global\n    quiet\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend nosuch\n" + BE)
case("global-ulimit-spread-checks", "global ulimit-n / spread-checks",
     "global\n    ulimit-n 65536\n    spread-checks 5\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("legacy-tune-chksize", "global tune.chksize",
     "global\n    tune.chksize 32768\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("legacy-cliexp-srvexp", "legacy cliexp/srvexp (regex redirects)",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    reqirep ^Host:\\ www.old.com Host:\\ www.new.com\n"
     "    default_backend be\n" + BE)
case("legacy-stats-bind-process", "bind-process / stats bind-process (process pinning)",
     "global\n    nbproc 1\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    bind-process 1\n    default_backend be\n" + BE)
case("legacy-option-transparent", "option transparent in backend (no servers)",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    option transparent\n")
case("legacy-dispatch", "dispatch 127.0.0.1:8080 in backend",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    dispatch 127.0.0.1:8080\n")

case("balance-no-arg", "balance with no argument",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    balance\n    server s1 127.0.0.1:8080\n")
case("peers-local-peer-L", "peers section whose local peer is named via -L local1",
     "# run-args: -L local1\n"
     "peers mypeers\n    peer local1 127.0.0.1:10000\n    peer other 192.168.1.2:10000\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    stick-table type ip size 1m expire 30m peers mypeers\n"
     "    stick on src\n    server s1 127.0.0.1:8080\n")
case("default-backend-empty-string", "default_backend \"\"",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend \"\"\n" + BE)

# ---------------------------------------------------------------- error reporting behaviour
case("errors-multiple-same-section", "three independent errors in one backend section",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    balanse roundrobin\n    timeout server 10x\n    server s1 127.0.0.1:80443\n"
     "    server s2 127.0.0.1:8081\n")
case("errors-multiple-sections", "errors in global, frontend and backend (parse-time) + a missing default_backend (post-parse)",
     "global\n    maxconn abc\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    bogus_fe_kw\n    default_backend nosuch\n"
     "backend be\n    bogus_be_kw\n    server s1 127.0.0.1:8080\n")
case("errors-parse-and-postparse", "only post-parse errors: two missing backends in two frontends",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend nosuch1\n"
     "frontend fe2\n    bind 127.0.0.1:8001\n    default_backend nosuch2\n" + BE)
case("abort-class-error-then-more", "http-request unknown action (line 9) followed by more errors (lines 10, 13)",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    http-request frobnicate\n    bogus_fe_kw\n    default_backend be\n"
     "backend be\n    balanse roundrobin\n    server s1 127.0.0.1:8080\n")
case("abort-missing-defaults-then-more", "'from nope' (line 7) followed by more errors (lines 8, 11)",
     D + "frontend fe from nope\n    bogus_fe_kw\n    default_backend be\n"
     "backend be\n    balanse roundrobin\n    server s1 127.0.0.1:8080\n")
case("abort-error-then-second-file", "abort-class error (http-request unknown action) in file 1, plain error in file 2",
     "# run-args: -f extra/broken.cfg\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    http-request frobnicate\n    default_backend be\n" + BE)
case("errors-in-two-files", "parse errors in two -f files: is the 2nd file parsed after errors in the 1st?",
     "# run-args: -f extra/broken.cfg\n" + D +
     "frontend fe\n    bind 127.0.0.1:8000\n    bogus_fe_kw\n    default_backend be\n" + BE)
case("parse-error-hides-postparse", "a parse error (unknown kw) plus a missing default_backend: is the post-parse check still reported?",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    bogus_fe_kw\n    default_backend nosuch\n" + BE)
case("warning-and-error", "a warning (bind in backend) plus an error (missing default_backend)",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend nosuch\n"
     "backend be\n    bind 127.0.0.1:8001\n    server s1 127.0.0.1:8080\n")
case("warning-only", "config whose only issue is a warning (http-request after use_backend style / option httplog in tcp)",
     "defaults\n    mode tcp\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n"
     "frontend fe\n    bind 127.0.0.1:8000\n    option httplog\n    default_backend be\n" + BE)
case("warning-only-dW", "same warning-only config but run with -dW (warnings fatal)",
     "# run-args: -dW\n"
     "defaults\n    mode tcp\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n"
     "frontend fe\n    bind 127.0.0.1:8000\n    option httplog\n    default_backend be\n" + BE)
case("warning-only-q", "same warning-only config run with -q",
     "# run-args: -q\n"
     "defaults\n    mode tcp\n    timeout connect 5s\n    timeout client 30s\n    timeout server 30s\n"
     "frontend fe\n    bind 127.0.0.1:8000\n    option httplog\n    default_backend be\n" + BE)
case("error-q", "an error config run with -q",
     "# run-args: -q\n" + D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend nosuch\n" + BE)
case("valid-q", "valid config run with -q",
     "# run-args: -q\n" + D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)
case("diag-mode-dD", "valid config run with -dD (diagnostic mode)",
     "# run-args: -dD\n" + D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    server s1 127.0.0.1:8080\n    server s2 127.0.0.1:8080\n")
case("unresolvable-dr", "unresolvable server hostname run with -dr",
     "# run-args: -dr\n" + D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n"
     "backend be\n    server s1 no-such-host.invalid:8080\n")

# ---- appended after the first committed snapshot (keeps numbers 001-251 stable)
case("postparse-hides-resolution", "missing default_backend (post-parse) plus an unresolvable server: is resolution still reported?",
     D + "frontend fe\n    bind 127.0.0.1:8000\n    default_backend nosuch\n"
     "backend be\n    server s1 no-such-host.invalid:8080\n")
case("zero-warning-global", "global zero-warning + a config that only warns (missing timeouts)",
     "global\n    zero-warning\ndefaults\n    mode http\n"
     "frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n" + BE)

def main():
    if os.path.isdir(CASES):
        shutil.rmtree(CASES)
    os.makedirs(os.path.join(CASES, "extra", "confd"))
    with open(os.path.join(CASES, "extra", "503.http"), "w") as f:
        f.write("HTTP/1.0 503 Service Unavailable\r\nCache-Control: no-cache\r\nConnection: close\r\n"
                "Content-Type: text/html\r\n\r\n<html><body>503</body></html>\n")
    with open(os.path.join(CASES, "extra", "second.cfg"), "w") as f:
        f.write("# second -f file\nbackend be2\n    server s1 127.0.0.1:8080\n")
    with open(os.path.join(CASES, "extra", "broken.cfg"), "w") as f:
        f.write("# second -f file with an error on line 3\nbackend be2\n    balanse roundrobin\n"
                "    server s1 127.0.0.1:8080\n")
    with open(os.path.join(CASES, "extra", "confd", "20-be.cfg"), "w") as f:
        f.write("backend be\n    server s1 127.0.0.1:8080\n")
    with open(os.path.join(CASES, "extra", "confd", "10-fe.cfg"), "w") as f:
        f.write("frontend fe\n    bind 127.0.0.1:8000\n    default_backend be\n")
    with open(os.path.join(CASES, "extra", "confd", "notes.txt"), "w") as f:
        f.write("this is not a config file\n")
    with open(os.path.join(CASES, "extra", "confd", ".hidden.cfg"), "w") as f:
        f.write("hidden_garbage\n")
    od = os.path.join(CASES, "extra", "confd-order")
    os.makedirs(os.path.join(od, "sub"))
    for fn, n in (("10.cfg", 3), ("A.cfg", 2), ("b.cfg", 1), ("x.CFG", 4)):
        with open(os.path.join(od, fn), "w") as f:
            f.write("global\n    maxconn %d\n" % n)
    with open(os.path.join(od, "sub", "s.cfg"), "w") as f:
        f.write("bogus_in_subdir\n")
    seen = set()
    for i, (name, text) in enumerate(cases, 1):
        assert name not in seen, name
        seen.add(name)
        fn = os.path.join(CASES, "%03d-%s.cfg" % (i, name))
        with open(fn, "wb") as f:
            f.write(text.encode("utf-8"))
    print(len(cases), "cases")


if __name__ == "__main__":
    main()
