#!/bin/sh
# Build the .rpm packages of vrrpd and proxyd, and their compat packages, from this
# checkout:
#   packaging/build-rpm.sh            release build, packages in target/packages/
#   PROFILE=debug OUT=DIR packaging/build-rpm.sh
# rpmbuild packs the files staged as for the .deb (packaging/stage.sh), with the RPM
# places: units in /usr/lib/systemd/system, options in /etc/sysconfig.
set -eu
cd "$(dirname "$0")/.."
. packaging/stage.sh
touch "$work/started"

# pack NAME SPEC [DEFINE...]: pack what is staged in $work/stage/NAME.
pack() {
    name="$1"
    spec="$2"
    shift 2
    root="$work/stage/$name"
    # The file list: the options file is configuration the admin edits.
    (cd "$root" && find . ! -type d | sed 's|^\.||' | sort) \
        | sed 's|^/etc/.*|%config(noreplace) &|' > "$work/$name.files"
    fill "${name%%-*}" "$spec" > "$work/$name.spec"
    rpmbuild --quiet -bb \
        --define "_topdir $work/rpm" \
        --define "_rpmdir $out" \
        --define "_build_id_links none" \
        --define "__os_install_post %{nil}" \
        --define "stage $root" \
        --define "pkgversion $version" \
        --define "filelist $work/$name.files" \
        "$@" "$work/$name.spec"
}

for name in vrrpd proxyd; do
    stage "$name" "$work/stage/$name" usr/lib/systemd/system etc/sysconfig
    pack "$name" "packaging/rpm/$name.spec"
done
for pair in vrrpd:keepalived proxyd:haproxy; do
    name="${pair%%:*}"
    orig="${pair#*:}"
    stage_compat "$name" "$orig" "$work/stage/$name-$orig-compat" usr/lib/systemd/system
    pack "$name-$orig-compat" packaging/rpm/compat.spec \
        --define "daemon $name" --define "orig $orig"
done
find "$out" -name '*.rpm' -newer "$work/started" | sort
