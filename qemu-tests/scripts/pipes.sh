# Pipelines, redirections and here-documents.
. "${0%/*}/lib.sh"
cd "$WORK" || exit 1

check "seq | sort -rn | head" "100000 99999 99998" "$(seq 1 100000 | sort -rn | head -3 | tr '\n' ' ' | sed 's/ $//')"
check "seq | wc -l over a pipe" "100000" "$(seq 1 100000 | wc -l)"
check "seq | tail -1 after 588 KB" "100000" "$(seq 1 100000 | tail -n 1)"
check "cat | sort | uniq -c" "3 a|2 b|1 c" "$(printf 'b\na\nc\na\nb\na\n' | cat | sort | uniq -c | awk '{printf "%s%s %s", sep, $1, $2; sep="|"}')"
check "a five-stage pipeline" "10" "$(seq 1 20 | grep -v 5 | sort -n | head -n 10 | wc -l)"
check "head ends an endless writer (SIGPIPE)" "y" "$(yes | head -n 1)"
check "pipeline status is the last command's" "1" "$(true | false; echo $?)"
check "! negates a pipeline" "0" "$(! true | false; echo $?)"
check "cat of a big file through a pipe" "1000000" "$(dd if=/dev/zero bs=1000 count=1000 2>/dev/null | cat | cat | wc -c)"
check "> creates and truncates" "two" "$(echo one > f; echo two > f; cat f)"
check ">> appends" "one two" "$(echo one > f; echo two >> f; cat f | tr '\n' ' ' | sed 's/ $//')"
check "< reads a file" "3" "$(printf 'a\nb\nc\n' > f; wc -l < f)"
check "2> sends stderr to a file" "err" "$(sh -c 'echo err >&2; echo out' 2> e > /dev/null; cat e)"
check "2>&1 merges stderr into a pipe" "2" "$(sh -c 'echo a; echo b >&2' 2>&1 | wc -l)"
check ">/dev/null discards" "" "$(echo gone > /dev/null)"
check "exec 3> opens a descriptor" "via fd 3" "$(exec 3> fd3; echo 'via fd 3' >&3; exec 3>&-; cat fd3)"
check "exec 4< reads through a descriptor" "first second" "$(printf 'first\nsecond\n' > in; exec 4< in; read a <&4; read b <&4; echo "$a $b")"
check "<> opens read-write" "xyz" "$(echo xyz > rw; cat <> rw)"
check "here-document with expansion" "hello world 3" "$(w=world; cat <<EOF
hello $w $((1 + 2))
EOF
)"
check "quoted here-document is literal" '$w $(date)' "$(cat <<'EOF'
$w $(date)
EOF
)"
check "here-document with tabs stripped" "indented" "$(cat <<-EOF
	indented
	EOF
)"
check "here-document into a pipeline" "3" "$(cat <<EOF | grep -c x
x1
x2
y
x3
EOF
)"
check "while read over a pipe" "6" "$(printf '1\n2\n3\n' | { s=0; while read n; do s=$((s + n)); done; echo $s; })"
check "tee writes a file and stdout" "t t" "$(echo t | tee teed | tr '\n' ' '; cat teed)"

finish
