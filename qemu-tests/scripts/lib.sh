# Sourced by every script here (`. "${0%/*}/lib.sh"`): the check helpers.
# Each passing check prints one `CHECK ok: <what>` line, each failing one a
# `FAIL: <script>: <what>` line with what was expected and seen; `finish`
# prints `<script>: ok` only when nothing failed. The in-QEMU tests count
# the `CHECK ok` lines, look for `FAIL:` and require the `ok` line, so a
# script that stops early cannot pass.

# The script's name without directory and `.sh`.
NAME=${0##*/}
NAME=${NAME%.sh}
passed=0
failed=0
# Modes the checks expect do not depend on who runs them.
umask 022

# Scratch space for the script, on the guest's ramfs (/tmp), removed by
# `finish`. A fixed name per script keeps failures reproducible by hand.
WORK=${TMPDIR:-/tmp}/ringo-$NAME.$$
rm -rf "$WORK"
mkdir -p "$WORK" || { echo "FAIL: $NAME: cannot create $WORK"; exit 1; }

# check WHAT EXPECTED ACTUAL: the two strings are equal.
check() {
    if [ "$2" = "$3" ]; then
        passed=$((passed + 1))
        echo "CHECK ok: $1"
    else
        failed=$((failed + 1))
        echo "FAIL: $NAME: $1: expected [$2], got [$3]"
    fi
}

# check_true WHAT COMMAND...: the command succeeds (its output is dropped).
check_true() {
    what=$1
    shift
    if "$@" >/dev/null 2>&1; then
        check "$what" 0 0
    else
        check "$what" "success" "status $?"
    fi
}

finish() {
    cd / && rm -rf "$WORK"
    if [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]; then
        echo "$NAME: $passed checks passed"
        echo "$NAME: ok"
        exit 0
    fi
    echo "$NAME: $failed of $((passed + failed)) checks failed"
    exit 1
}
