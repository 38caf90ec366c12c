#!/usr/bin/env bash
# Installs what building and testing Ringo needs, and only what is missing:
# the pinned Rust toolchain with the bare-metal target (rust-toolchain.toml
# alone installs nothing on machines whose rustup does not auto-install) and
# QEMU. Safe to run again; quiet when everything is there.
set -euo pipefail
cd "$(dirname "$0")/.."

toolchain=$(sed -n 's/^channel *= *"\(.*\)"/\1/p' rust-toolchain.toml)

if ! command -v rustup >/dev/null; then
    echo "setup: rustup is missing; install it from https://rustup.rs and rerun" >&2
    exit 1
fi
if ! rustup toolchain list | grep -q "^$toolchain"; then
    echo "setup: installing Rust $toolchain"
    rustup toolchain install "$toolchain" --profile minimal
fi
if ! rustup target list --installed --toolchain "$toolchain" | grep -qx x86_64-unknown-none; then
    echo "setup: adding the x86_64-unknown-none target to Rust $toolchain"
    rustup target add x86_64-unknown-none --toolchain "$toolchain"
fi

# Debian packages: command -> package.
missing=()
command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
if [ ${#missing[@]} -gt 0 ]; then
    as_root=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null; then
            as_root=(sudo)
        else
            echo "setup: missing Debian packages: ${missing[*]}" >&2
            echo "setup: run as root: apt-get update && apt-get install -y ${missing[*]}" >&2
            exit 1
        fi
    fi
    echo "setup: installing ${missing[*]} with apt-get"
    "${as_root[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi
