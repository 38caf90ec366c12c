#!/usr/bin/env bash
# Builds a Go 1.23 GOROOT with Ringo's HP-mode runtime patch (ringo-hp.patch)
# from Debian's golang-1.23-go + golang-1.23-src, and prints its path.
#
# Usage: hp/go/build.sh [GOROOT_OUT]
#   GOROOT_OUT defaults to $CARGO_TARGET_DIR/go-hp/goroot (target/ when
#   unset, relative to the repository root). Nothing is done when GOROOT_OUT
#   already holds this very patch (its hash is in the stamp).
# Environment: GO_HP_BASE overrides the base GOROOT (/usr/lib/go-1.23).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
base=${GO_HP_BASE:-/usr/lib/go-1.23}
patch_file=$here/ringo-hp.patch
target=${CARGO_TARGET_DIR:-target}
case $target in /*) ;; *) target=$root/$target ;; esac
out=${1:-$target/go-hp/goroot}
stamp=$out/.ringo-hp-patch.sha256

die() {
    echo "go-hp: $*" >&2
    exit 1
}

[ -x "$base/bin/go" ] || die "no Go at $base: install golang-1.23-go (./scripts/setup.sh)"
# Debian ships the standard library's source separately; the go command
# cannot build anything without it, and the patch has nothing to apply to.
[ -f "$base/src/runtime/sys_linux_amd64.s" ] ||
    die "$base/src has no Go sources: install golang-1.23-src (apt-get install golang-1.23-src)"
command -v patch >/dev/null || die "the patch command is missing (apt-get install patch)"

want=$(sha256sum "$patch_file" | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    echo "$out"
    exit 0
fi

echo "go-hp: building a patched GOROOT from $base" >&2
mkdir -p "$(dirname "$out")"
work=$(mktemp -d "$(dirname "$out")/.goroot-partial.XXXXXX")
trap 'rm -rf "$work"' EXIT
# -L: Debian's GOROOT links src/, api/, misc/ and test/ into
# /usr/share/go-1.23; the copy must own real, writable files.
cp -RL --preserve=mode,timestamps "$base/." "$work/"
chmod -R u+w "$work"
patch -d "$work" -p1 --batch --forward --quiet <"$patch_file" || die "$patch_file does not apply to $base"
echo "$want" >"$work/.ringo-hp-patch.sha256"

# Only a complete tree ever sits at $out.
rm -rf "$out"
mv "$work" "$out"
trap - EXIT
echo "$out"
