# The default configuration goes if it is as installed; an edited one stays.
if [ -f /var/lib/@NAME@/default-config.sha256 ]; then
    if sha256sum --status -c /var/lib/@NAME@/default-config.sha256 2>/dev/null; then
        rm -f @CONFIG@
        rmdir "$(dirname @CONFIG@)" 2>/dev/null || true
    fi
    rm -f /var/lib/@NAME@/default-config.sha256
    rmdir /var/lib/@NAME@ 2>/dev/null || true
fi
