# The default configuration, only where there is none. Its checksum is kept so that a
# purge removes it only if it was not edited.
if [ ! -e @CONFIG@ ] && [ -f @DEFAULT@ ]; then
    mkdir -p "$(dirname @CONFIG@)" /var/lib/@NAME@
    cp @DEFAULT@ @CONFIG@
    chmod 0644 @CONFIG@
    sha256sum @CONFIG@ > /var/lib/@NAME@/default-config.sha256
fi
