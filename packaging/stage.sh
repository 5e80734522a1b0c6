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
# the manual pages (the daemon's and its keyword reference) and vrrpd's completions,
# under ROOT.
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
    # Shell completions, where the command line is clap's (vrrpd).
    if [ "$name" = vrrpd ]; then
        mkdir -p "$root/usr/share/bash-completion/completions" \
            "$root/usr/share/zsh/vendor-completions" "$root/usr/share/fish/vendor_completions.d"
        "target/$profile/$name" --generate-completion bash > "$root/usr/share/bash-completion/completions/$name"
        "target/$profile/$name" --generate-completion zsh > "$root/usr/share/zsh/vendor-completions/_$name"
        "target/$profile/$name" --generate-completion fish > "$root/usr/share/fish/vendor_completions.d/$name.fish"
        chmod 0644 "$root/usr/share/bash-completion/completions/$name" \
            "$root/usr/share/zsh/vendor-completions/_$name" "$root/usr/share/fish/vendor_completions.d/$name.fish"
    fi
}
