#!/bin/sh
# Build every package from this checkout: the .deb packages (vrrpd, proxyd and the two
# compat packages) and the .rpm packages (the same four), into target/packages/ (OUT).
#   packaging/build.sh                release build
#   PROFILE=debug OUT=DIR packaging/build.sh
set -eu
cd "$(dirname "$0")/.."
sh packaging/build-deb.sh
if command -v rpmbuild >/dev/null; then
    sh packaging/build-rpm.sh
else
    echo "build.sh: no rpmbuild here (Debian: apt install rpm); .rpm packages not built" >&2
fi
