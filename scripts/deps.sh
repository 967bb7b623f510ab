#!/bin/sh
# Installs what building and testing lstmc needs on Debian, or, when it cannot
# (not root, no apt-get), names the packages to install and fails.
#
# scripts/deps.sh clang MAJOR [CLANG]: the same for the clang that compiles
# the runtime to bitcode for the LLVM backend (the Makefile runs it): CLANG,
# or clang-MAJOR, must be there and of LLVM's major version.
set -e
need="" hint=""
if [ "${1:-}" = clang ]; then
    major=$2 cc=${3:-clang-$2}
    v=$("$cc" -dumpversion 2>/dev/null || true)
    [ "${v%%.*}" = "$major" ] && exit 0
    if [ -n "$v" ]; then
        echo "lstmc: $cc is version $v, but llvm-config is LLVM $major: the LLVM backend needs clang $major" >&2
    else
        echo "lstmc: the LLVM backend (llvm-config found, LLVM $major) needs clang $major to compile" >&2
        echo "runtime/lstmc_act.h to bitcode, and $cc was not found" >&2
    fi
    need=" clang-$major"
    hint="or build lstmc without the LLVM backend: make LLVM_CONFIG="
fi
if [ -z "$need" ]; then
    command -v flex >/dev/null 2>&1 || need="$need flex"
    command -v bison >/dev/null 2>&1 || need="$need bison"
    [ -f /usr/include/cmocka.h ] || need="$need libcmocka-dev"
    [ -f /usr/include/protobuf-c/protobuf-c.h ] || need="$need libprotobuf-c-dev"
    command -v protoc-c >/dev/null 2>&1 || need="$need protobuf-c-compiler"
fi
[ -z "$need" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "scripts/deps.sh: installing$need"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
else
    echo "lstmc: missing build dependencies; install them with:" >&2
    echo "    sudo apt-get install$need" >&2
    [ -z "$hint" ] || echo "$hint" >&2
    exit 1
fi
