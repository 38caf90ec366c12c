#!/usr/bin/env bash
# Installs what building and testing Ringo needs, and only what is missing:
# the pinned Rust toolchain with the bare-metal target (rust-toolchain.toml
# alone installs nothing on machines whose rustup does not auto-install) and
# the musl target (the static Rust test program), QEMU, musl-gcc (the
# static C test programs), g++ (libFuzzer, which cargo fuzz builds for the
# parser fuzz targets in fuzz/; scripts/cargo-fuzz.sh installs cargo-fuzz
# itself the first time it runs), busybox-static (the default image's shell
# and the busybox tests), and curl and wrk (clients in the socket tests).
# Safe to run again; quiet when everything is there.
#
# `setup.sh bench` (make bench) also installs Debian's kernel,
# linux-image-amd64, for the Linux guest the benchmarks compare Ringo with;
# `make test` does not need it.
set -euo pipefail
want_bench=false
case "${1:-}" in
    "") ;;
    bench) want_bench=true ;;
    *)
        echo "usage: setup.sh [bench]" >&2
        exit 2
        ;;
esac
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
# libfuzzer-sys compiles libFuzzer's C++ sources (make test-fuzz).
command -v g++ >/dev/null || missing+=(g++)
# GNU cpio and xz: independent readers the launcher's tests check against.
command -v cpio >/dev/null || missing+=(cpio)
command -v xz >/dev/null || missing+=(xz-utils)
# The launcher packs /bin/busybox itself, so that path, not the PATH, counts.
[ -x /bin/busybox ] || missing+=(busybox-static)
# The socket tests' host-side clients.
command -v curl >/dev/null || missing+=(curl)
command -v wrk >/dev/null || missing+=(wrk)
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

# The benchmarks' Linux guest boots /boot/vmlinuz-*; the package, not the
# file, counts. No recommends: firmware and apparmor are no use in a QEMU
# guest.
if $want_bench && ! dpkg-query -W -f='${Status}' linux-image-amd64 2>/dev/null | grep -q 'install ok installed'; then
    as_root=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null; then
            as_root=(sudo)
        else
            echo "setup: the benchmarks need Debian's kernel; as root run:" \
                "apt-get update && apt-get install -y --no-install-recommends linux-image-amd64" >&2
            exit 1
        fi
    fi
    echo "setup: installing linux-image-amd64 with apt-get (the benchmarks' Linux guest)"
    "${as_root[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq --no-install-recommends \
        linux-image-amd64 >/dev/null
fi

# Go 1.23 (the Go test programs, and the source tree hp/go/ patches) comes
# from Debian's bookworm-backports, which the machine's apt sources do not
# list by default. The suite is added on the mirror those sources already
# use, read here rather than written into the repository, so a machine
# behind its own mirror or snapshot keeps using it.
GO_PACKAGES=(golang-1.23-go golang-1.23-src)
GO_BIN=/usr/lib/go-1.23/bin/go
BACKPORTS_SOURCES=/etc/apt/sources.list.d/ringo-backports.sources

# "URIS<TAB>SIGNED-BY" of the first source that lists the bookworm suite:
# deb822 stanzas first, then one-line `deb [options] URI SUITE ...` entries.
bookworm_source() {
    local files=()
    shopt -s nullglob
    files=(/etc/apt/sources.list.d/*.sources)
    shopt -u nullglob
    if [ ${#files[@]} -gt 0 ]; then
        awk '
            function flush() {
                if (!found && types ~ /(^| )deb( |$)/ && (" " suites " ") ~ / bookworm /) {
                    print uris "\t" signed; found = 1
                }
                types = uris = suites = signed = ""
            }
            /^[ \t]*#/ { next }
            /^[ \t]*$/ { flush(); next }
            { value = $0; sub(/^[^:]*:[ \t]*/, "", value); sub(/[ \t]+$/, "", value) }
            tolower($1) == "types:" { types = value }
            tolower($1) == "uris:" { uris = value }
            tolower($1) == "suites:" { suites = value }
            tolower($1) == "signed-by:" { signed = value }
            END { flush() }
        ' "${files[@]}" | head -n 1
    fi
    shopt -s nullglob
    files=(/etc/apt/sources.list.d/*.list)
    shopt -u nullglob
    [ -f /etc/apt/sources.list ] && files=(/etc/apt/sources.list "${files[@]}")
    if [ ${#files[@]} -gt 0 ]; then
        awk '
            $1 != "deb" { next }
            {
                i = 2; signed = ""
                if ($2 ~ /^\[/) {
                    for (; i <= NF; i++) {
                        option = $i; gsub(/[\[\]]/, "", option)
                        if (option ~ /^signed-by=/) { sub(/^signed-by=/, "", option); signed = option }
                        if ($i ~ /\]$/) { i++; break }
                    }
                }
                if ($(i + 1) == "bookworm") { print $i "\t" signed; exit }
            }
        ' "${files[@]}"
    fi
}

if ! dpkg-query -W -f='${Status}' golang-1.23-go 2>/dev/null | grep -q 'install ok installed'; then
    source_line=$(bookworm_source | head -n 1)
    mirror=${source_line%%$'\t'*}
    signed_by=${source_line#*$'\t'}
    if [ -z "$mirror" ]; then
        echo "setup: no apt source lists Debian's bookworm suite, so there is no mirror to take" \
            "bookworm-backports (Go 1.23) from; install ${GO_PACKAGES[*]} yourself" >&2
        exit 1
    fi
    stanza="Types: deb
URIs: $mirror
Suites: bookworm-backports
Components: main"
    [ -n "$signed_by" ] && stanza+=$'\n'"Signed-By: $signed_by"
    as_root=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null; then
            as_root=(sudo)
        else
            echo "setup: Go 1.23 is missing; as root, write to $BACKPORTS_SOURCES:" >&2
            echo "$stanza" >&2
            echo "setup: then run: apt-get update && apt-get install -y ${GO_PACKAGES[*]}" >&2
            exit 1
        fi
    fi
    echo "setup: installing ${GO_PACKAGES[*]} from bookworm-backports ($mirror)"
    echo "$stanza" | "${as_root[@]}" tee "$BACKPORTS_SOURCES" >/dev/null
    "${as_root[@]}" apt-get update -qq
    # Backports are pinned low (NotAutomatic): naming the packages is what
    # takes them from there, and nothing else on the machine is upgraded.
    DEBIAN_FRONTEND=noninteractive "${as_root[@]}" apt-get install -y -qq "${GO_PACKAGES[@]}" >/dev/null
fi
if [ ! -x "$GO_BIN" ]; then
    echo "setup: golang-1.23-go is installed but $GO_BIN is missing" >&2
    exit 1
fi
