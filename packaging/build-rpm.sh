#!/bin/sh
# Build the .rpm packages of vrrpd and proxyd from this checkout:
#   packaging/build-rpm.sh            release build, packages in target/packages/
#   PROFILE=debug OUT=DIR packaging/build-rpm.sh
# rpmbuild packs the files staged as for the .deb (packaging/stage.sh), with the RPM
# places: units in /usr/lib/systemd/system, options in /etc/sysconfig.
set -eu
cd "$(dirname "$0")/.."
. packaging/stage.sh

for name in vrrpd proxyd; do
    root="$work/stage/$name"
    stage "$name" "$root" usr/lib/systemd/system etc/sysconfig
    # The file list: the options file is configuration the admin edits.
    (cd "$root" && find . ! -type d | sed 's|^\.||' | sort) \
        | sed 's|^/etc/.*|%config(noreplace) &|' > "$work/$name.files"
    rpmbuild --quiet -bb \
        --define "_topdir $work/rpm" \
        --define "_rpmdir $out" \
        --define "_build_id_links none" \
        --define "__os_install_post %{nil}" \
        --define "stage $root" \
        --define "pkgversion $version" \
        --define "filelist $work/$name.files" \
        "packaging/rpm/$name.spec"
done
find "$out" -name '*.rpm' -newer "$work/vrrpd.files" | sort
