#!/bin/sh
# Build the .deb packages of vrrpd and proxyd (Debian 12) from this checkout:
#   packaging/build-deb.sh            release build, packages in target/packages/
#   PROFILE=debug OUT=DIR packaging/build-deb.sh
# dpkg-deb builds the archives; the binaries are stripped; the version is the
# workspace's (Cargo.toml).
set -eu
cd "$(dirname "$0")/.."
. packaging/stage.sh
arch="$(dpkg --print-architecture)"

# The newest glibc symbol version a binary needs: its libc6 dependency.
glibc_of() {
    objdump -T "$1" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n1
}

# package NAME SUMMARY DESCRIPTION SECTION
package() {
    name="$1"
    root="$work/$name"
    mkdir -p "$root/DEBIAN" "$root/usr/share/doc/$name"
    stage "$name" "$root" lib/systemd/system etc/default
    # proxyd: its log file through rsyslog (a socket in the chroot), rotated, as
    # Debian's haproxy package sets them up.
    if [ "$name" = proxyd ]; then
        mkdir -p "$root/etc/rsyslog.d" "$root/etc/logrotate.d"
        install -m 0644 packaging/syslog/proxyd.rsyslog "$root/etc/rsyslog.d/49-proxyd.conf"
        install -m 0644 packaging/syslog/proxyd.logrotate "$root/etc/logrotate.d/proxyd"
    fi
    install -m 0644 packaging/debian/copyright "$root/usr/share/doc/$name/copyright"
    sed "s/@NAME@/$name/g; s/@VERSION@/$version/g" packaging/debian/changelog \
        | gzip -9n > "$root/usr/share/doc/$name/changelog.Debian.gz"
    chmod 0644 "$root/usr/share/doc/$name/changelog.Debian.gz"
    (cd "$root" && find etc -type f | sed 's|^|/|' | sort) > "$root/DEBIAN/conffiles"
    for script in postinst prerm postrm; do
        if [ -f "packaging/debian/$name.$script" ]; then
            fill "$name" "packaging/debian/$name.$script" > "$root/DEBIAN/$script"
            chmod 0755 "$root/DEBIAN/$script"
        fi
    done
    size="$(du -sk --exclude=DEBIAN "$root" | cut -f1)"
    glibc="$(glibc_of "$root/usr/sbin/$name")"
    cat > "$root/DEBIAN/control" <<EOF
Package: $name
Version: $version-1
Architecture: $arch
Maintainer: vrrpd and proxyd developers <maintainers@vrrpd-proxyd.invalid>
Installed-Size: $size
Depends: libc6 (>= $glibc), libgcc-s1, adduser
Section: $4
Priority: optional
Homepage: https://vrrpd-proxyd.invalid/
Description: $2
$3
EOF
    dpkg-deb --root-owner-group -Zxz --build "$root" "$out/${name}_${version}-1_${arch}.deb" >/dev/null
    echo "$out/${name}_${version}-1_${arch}.deb"
}

# compat NAME ORIGINAL SUMMARY: NAME-ORIGINAL-compat (packaging/stage.sh's stage_compat)
# with Provides/Conflicts/Replaces ORIGINAL.
compat() {
    name="$1"
    orig="$2"
    pkg="$name-$orig-compat"
    root="$work/$pkg"
    mkdir -p "$root/DEBIAN" "$root/usr/share/doc/$pkg"
    stage_compat "$name" "$orig" "$root" lib/systemd/system
    install -m 0644 packaging/debian/copyright "$root/usr/share/doc/$pkg/copyright"
    sed "s/@NAME@/$pkg/g; s/@VERSION@/$version/g" packaging/debian/changelog \
        | gzip -9n > "$root/usr/share/doc/$pkg/changelog.Debian.gz"
    chmod 0644 "$root/usr/share/doc/$pkg/changelog.Debian.gz"
    size="$(du -sk --exclude=DEBIAN "$root" | cut -f1)"
    cat > "$root/DEBIAN/control" <<EOF
Package: $pkg
Version: $version-1
Architecture: $arch
Maintainer: vrrpd and proxyd developers <maintainers@vrrpd-proxyd.invalid>
Installed-Size: $size
Depends: $name (= $version-1)
Provides: $orig
Conflicts: $orig
Replaces: $orig
Section: net
Priority: optional
Homepage: https://vrrpd-proxyd.invalid/
Description: $3
 Installs $name as $orig: the command /usr/sbin/$orig and the unit
 $orig.service, so scripts, cron jobs, monitoring and track scripts
 that name $orig keep working: killall -0 $orig, pidof $orig,
 systemctl is-active $orig.
EOF
    dpkg-deb --root-owner-group -Zxz --build "$root" "$out/${pkg}_${version}-1_${arch}.deb" >/dev/null
    echo "$out/${pkg}_${version}-1_${arch}.deb"
}

package vrrpd "VRRP daemon that runs keepalived.conf unchanged" \
" vrrpd reads /etc/keepalived/keepalived.conf (keepalived's grammar and keywords)
 and holds the virtual addresses of an HA pair with VRRP v2/v3, byte-compatible
 with keepalived, so a pair can move over one node at a time. It runs
 vrrp_script and track_script checks, notify scripts and gratuitous ARP/NA,
 and reloads on SIGHUP." net
package proxyd "load balancer that runs haproxy.cfg unchanged" \
" proxyd reads /etc/haproxy/haproxy.cfg (HAProxy 2.6's grammar) and proxies
 TCP and HTTP with HAProxy's balancing, health checks, ACLs, rules, stick
 tables, TLS and logs." net
compat vrrpd keepalived "vrrpd in keepalived's place (command and unit names)"
compat proxyd haproxy "proxyd in haproxy's place (command and unit names)"
