# Sourced by build-deb.sh and build-rpm.sh: the build of the binaries and what both
# kinds of package hold. Sets $profile, $out, $version and $work (removed on exit).
set -eu
profile="${PROFILE:-release}"
out="${OUT:-target/packages}"
version="$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -n1)"
if [ "$profile" = release ]; then
    cargo build --quiet --release -p vrrpd -p proxyd
else
    cargo build --quiet -p vrrpd -p proxyd
fi
mkdir -p "$out"
out="$(cd "$out" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# stage NAME ROOT UNITDIR OPTIONSDIR: the stripped binary, the unit, the options file,
# the manual pages (the daemon's and its keyword reference), the shell completions and
# the default configuration, under ROOT.
stage() {
    name="$1"
    root="$2"
    mkdir -p "$root/usr/sbin" "$root/$3" "$root/$4"
    install -m 0755 "target/$profile/$name" "$root/usr/sbin/$name"
    strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/sbin/$name"
    install -m 0644 "packaging/systemd/$name.service" "$root/$3/$name.service"
    install -m 0644 "packaging/default/$name" "$root/$4/$name"
    # Manual pages from the command-line definitions and the keyword registries.
    mkdir -p "$root/usr/share/man/man5"
    case "$name" in
        vrrpd) page=8 ;;
        *) page=1 ;;
    esac
    mkdir -p "$root/usr/share/man/man$page"
    "target/$profile/$name" --generate-man | gzip -9n > "$root/usr/share/man/man$page/$name.$page.gz"
    conf="$name.conf"
    [ "$name" = proxyd ] && conf="$name.cfg"
    "target/$profile/$name" --generate-conf-man | gzip -9n > "$root/usr/share/man/man5/$conf.5.gz"
    chmod 0644 "$root/usr/share/man/man$page/$name.$page.gz" "$root/usr/share/man/man5/$conf.5.gz"
    # Shell completions.
    mkdir -p "$root/usr/share/bash-completion/completions" \
        "$root/usr/share/zsh/vendor-completions" "$root/usr/share/fish/vendor_completions.d"
    "target/$profile/$name" --generate-completion bash > "$root/usr/share/bash-completion/completions/$name"
    "target/$profile/$name" --generate-completion zsh > "$root/usr/share/zsh/vendor-completions/_$name"
    "target/$profile/$name" --generate-completion fish > "$root/usr/share/fish/vendor_completions.d/$name.fish"
    chmod 0644 "$root/usr/share/bash-completion/completions/$name" \
        "$root/usr/share/zsh/vendor-completions/_$name" "$root/usr/share/fish/vendor_completions.d/$name.fish"
    # The default configuration, copied to /etc by the install script where none is there.
    mkdir -p "$root/usr/share/$name"
    install -m 0644 "packaging/config/$(basename "$(config_of "$name")")" "$root/usr/share/$name/"
}

# config_of NAME: the configuration file the daemon reads.
config_of() {
    case "$1" in
        vrrpd) echo /etc/keepalived/keepalived.conf ;;
        *) echo /etc/haproxy/haproxy.cfg ;;
    esac
}

# fill NAME FILE: an install script (or spec) with the default configuration's
# fragments (packaging/config/*.frag) in place of their markers, for NAME.
fill() {
    conf="$(config_of "$1")"
    sed -e '/^#@DEFAULT_CONFIG_INSTALL@$/{r packaging/config/install.frag' -e 'd}' \
        -e '/^#@DEFAULT_CONFIG_PURGE@$/{r packaging/config/purge.frag' -e 'd}' "$2" \
        | sed -e "s|@NAME@|$1|g; s|@CONFIG@|$conf|g; s|@DEFAULT@|/usr/share/$1/$(basename "$conf")|g"
}

# stage_compat NAME ORIGINAL ROOT UNITDIR: what NAME-ORIGINAL-compat holds: the original's
# command name (a symlink, so `killall -0 ORIGINAL` and `pidof ORIGINAL` see the daemon),
# its manual page name, and its unit (ORIGINAL.service, running the daemon under that
# name, reading /etc/default/ORIGINAL, in conflict with NAME.service).
stage_compat() {
    name="$1"
    orig="$2"
    root="$3"
    mkdir -p "$root/usr/sbin" "$root/$4"
    ln -s "$name" "$root/usr/sbin/$orig"
    case "$name" in
        vrrpd) page=8 ;;
        *) page=1 ;;
    esac
    mkdir -p "$root/usr/share/man/man$page"
    ln -s "$name.$page.gz" "$root/usr/share/man/man$page/$orig.$page.gz"
    sed -e "s|/usr/sbin/$name |/usr/sbin/$orig |g" \
        -e "s|/etc/default/$name|/etc/default/$orig|g" \
        -e "s|/etc/sysconfig/$name|/etc/sysconfig/$orig|g" \
        -e "s|/run/$name.pid|/run/$orig.pid|g" \
        -e "s|^Description=.*|Description=$orig, provided by $name|" \
        -e "s|^Documentation=.*|&\nConflicts=$name.service|" \
        "packaging/systemd/$name.service" > "$root/$4/$orig.service"
    chmod 0644 "$root/$4/$orig.service"
}
