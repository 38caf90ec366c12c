# Text tools over files on ramfs: find, xargs, sed, awk, grep -r, and the
# small filters around them.
. "${0%/*}/lib.sh"
cd "$WORK" || exit 1

# A small source tree: 3 directories, 6 files, known contents.
mkdir -p src/a/deep src/b
printf 'alpha\nbeta\ngamma\n' > src/one.txt
printf 'needle here\nhay\n' > src/a/two.txt
printf 'hay\nNEEDLE upper\n' > src/a/deep/three.txt
printf 'int main(void) { return 0; }\n' > src/b/main.c
printf 'x,1\ny,2\nz,3\n' > src/b/data.csv
printf 'needle again\n' > src/b/notes.md

check "find -type f" "6" "$(find src -type f | wc -l)"
check "find -type d" "4" "$(find src -type d | wc -l)"
check "find -name" "src/a/deep/three.txt src/a/two.txt src/one.txt" "$(find src -name '*.txt' | sort | tr '\n' ' ' | sed 's/ $//')"
check "find -maxdepth" "src/one.txt" "$(find src -maxdepth 1 -type f)"
check "find -exec" "3" "$(find src -name '*.txt' -exec cat {} \; | grep -c a$)"
check "find -newer" "src/b/notes.md" "$(touch -d '2001-01-01 00:00' old; find src -newer old -name 'n*')"
check "xargs" "12" "$(find src -type f | xargs cat | grep -c .)"
check "xargs -n" "3" "$(echo a b c d e f | xargs -n 2 echo | wc -l)"
check "xargs -I" "[a] [b]" "$(printf 'a\nb\n' | xargs -I X echo [X] | tr '\n' ' ' | sed 's/ $//')"
check "find -print0 | xargs -0" "6" "$(find src -type f -print0 | xargs -0 ls | wc -l)"
check "grep" "needle here" "$(grep needle src/a/two.txt)"
check "grep -r" "src/a/two.txt:needle here src/b/notes.md:needle again" "$(grep -r needle src | sort | tr '\n' ' ' | sed 's/ $//')"
check "grep -ri -l" "src/a/deep/three.txt src/a/two.txt src/b/notes.md" "$(grep -ril needle src | sort | tr '\n' ' ' | sed 's/ $//')"
check "grep -c -v" "2" "$(grep -cv beta src/one.txt)"
check "grep -n" "2:beta" "$(grep -n beta src/one.txt)"
check "grep -E" "alpha gamma" "$(grep -E '^(al|ga)' src/one.txt | tr '\n' ' ' | sed 's/ $//')"
check "grep status when nothing matches" "1" "$(grep -q zzz src/one.txt; echo $?)"
check "sed s///g" "b-b-b" "$(echo a-a-a | sed 's/a/b/g')"
check "sed -n p with a range" "beta gamma" "$(sed -n '2,3p' src/one.txt | tr '\n' ' ' | sed 's/ $//')"
check "sed d and regex addresses" "alpha" "$(sed '/^[bg]/d' src/one.txt)"
check "sed -i edits in place" "ALPHA beta" "$(cp src/one.txt e.txt; sed -i 's/alpha/ALPHA/; 3d' e.txt; cat e.txt | tr '\n' ' ' | sed 's/ $//')"
check "sed with back-references" "b=a" "$(echo a=b | sed -E 's/(.)=(.)/\2=\1/')"
check "awk sums a column" "6" "$(awk -F, '{ s += $2 } END { print s }' src/b/data.csv)"
check "awk printf and NR" "1:x 2:y 3:z" "$(awk -F, '{ printf "%d:%s ", NR, $1 }' src/b/data.csv | sed 's/ $//')"
check "awk arrays" "a=2 b=1" "$(printf 'a\nb\na\n' | awk '{ n[$1]++ } END { printf "a=%d b=%d", n["a"], n["b"] }')"
check "awk arithmetic over seq" "5050" "$(seq 1 100 | awk '{ s += $1 } END { print s }')"
check "awk string functions" "HELLO 5 ell" "$(echo hello | awk '{ print toupper($0), length($0), substr($0, 2, 3) }')"
check "sort -t -k -n" "z y x" "$(sort -t, -k2 -rn src/b/data.csv | cut -d, -f1 | tr '\n' ' ' | sed 's/ $//')"
check "cut -c" "alp" "$(head -n 1 src/one.txt | cut -c 1-3)"
check "tr classes" "HELLO" "$(echo hello | tr a-z A-Z)"
check "wc -l -w -c" "3 3 17" "$(wc src/one.txt | awk '{ print $1, $2, $3 }')"
check "head and tail" "beta" "$(head -n 2 src/one.txt | tail -n 1)"
check "tac" "gamma beta alpha" "$(tac src/one.txt | tr '\n' ' ' | sed 's/ $//')"
check "diff of equal files" "0" "$(cp src/one.txt c.txt; diff src/one.txt c.txt; echo $?)"
check "diff -u shows a change" "-beta +BETA" "$(sed 's/beta/BETA/' src/one.txt > d.txt; diff -u src/one.txt d.txt | grep '^[-+][a-zA-Z]' | tr '\n' ' ' | sed 's/ $//')"

finish
