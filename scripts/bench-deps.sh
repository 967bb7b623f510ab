#!/bin/sh
# Installs the optional peers of `make bench` on Debian (oneDNN's headers,
# PyTorch for /usr/bin/python3, clang) when run as root; otherwise names the
# packages to install. Never fails: a peer that is still missing afterwards is
# reported as "skipped" by bench/run.sh.
need=""
[ -f /usr/include/oneapi/dnnl/dnnl.h ] || need="$need libdnnl-dev"
/usr/bin/python3 -c 'import torch' >/dev/null 2>&1 || need="$need python3-torch"
command -v clang >/dev/null 2>&1 || need="$need clang"
[ -z "$need" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "scripts/bench-deps.sh: installing$need"
    apt-get update -qq || true
    # shellcheck disable=SC2086  # $need is a list of package names
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null ||
        echo "scripts/bench-deps.sh: could not install$need; those peers will be skipped" >&2
else
    echo "lstmc bench: optional peers missing; the benchmark skips them. To compare against them:" >&2
    echo "    sudo apt-get install$need" >&2
fi
exit 0
