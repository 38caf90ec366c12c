#!/usr/bin/env bash
# Installs what building and testing Ringo needs, and only what is missing:
# the pinned Rust toolchain with the bare-metal target (rust-toolchain.toml
# alone installs nothing on machines whose rustup does not auto-install) and
# the musl target (the static Rust test program), QEMU, musl-gcc (the
# static C test programs) and busybox-static (the default image's shell and
# the busybox tests). Safe to run again; quiet when everything is there.
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
for target in x86_64-unknown-none x86_64-unknown-linux-musl; do
    if ! rustup target list --installed --toolchain "$toolchain" | grep -qx "$target"; then
        echo "setup: adding the $target target to Rust $toolchain"
        rustup target add "$target" --toolchain "$toolchain"
    fi
done

# Debian packages: command -> package.
missing=()
command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
command -v musl-gcc >/dev/null || missing+=(musl-tools)
command -v gcc >/dev/null || missing+=(gcc)
# The launcher packs /bin/busybox itself, so that path, not the PATH, counts.
[ -x /bin/busybox ] || missing+=(busybox-static)
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
