# Processes: background jobs and `wait` with their exit statuses, signals
# with `kill` and `trap`, `sleep` and `timeout`.
. "${0%/*}/lib.sh"
cd "$WORK" || exit 1

# wait_for FILE: until FILE is not empty (a child is ready), at most 10 s.
wait_for() {
    i=0
    while [ ! -s "$1" ] && [ $i -lt 200 ]; do
        sleep 0.05
        i=$((i + 1))
    done
}

check "wait returns a background job's status" "3" "$( (exit 3) & wait $!; echo $?)"
check "wait for two jobs in turn" "5 7" "$( (sleep 0.2; exit 5) & a=$!; (exit 7) & b=$!; wait $a; sa=$?; wait $b; echo $sa $?)"
check "wait without arguments waits for all" "3 0" "$(for i in 1 2 3; do (sleep 0.1; echo $i > done.$i) & done; wait; s=$?; echo $(ls done.* | wc -l) $s)"
check "\$! is the job's pid" "yes" "$(sleep 0.1 & p=$!; [ "$p" -gt 1 ] && kill -0 $p && echo yes; wait)"
check "a background pipeline" "1000" "$(seq 1 1000 | wc -l > count & wait; cat count)"
check "jobs run at the same time" "ab" "$( (sleep 0.3; printf b >> order) & (printf a >> order) & wait; cat order)"
check "kill -TERM ends a child" "143" "$(sleep 10 & p=$!; kill -TERM $p; wait $p; echo $?)"
check "kill -KILL ends a child" "137" "$(sleep 10 & p=$!; kill -KILL $p; wait $p; echo $?)"
check "kill -0 of an ended child fails" "1" "$( (exit 0) & p=$!; wait $p; kill -0 $p 2>/dev/null; echo $?)"
check "a signal's default action kills sh" "143" "$(sh -c 'kill -TERM $$; echo survived'; echo $?)"
check "trap runs a handler on a signal" "got USR1" "$(sh -c 'trap "echo got USR1" USR1; kill -USR1 $$; :')"
check "trap on TERM, then exit" "caught 4" "$(sh -c 'trap "printf caught; exit 4" TERM; kill -TERM $$; sleep 5; echo not reached'; echo " $?")"
check "a trapped child killed by its parent" "term 9" "$(sh -c 'trap "echo term > trapped; exit 9" TERM; echo ready > ready; while :; do sleep 0.05; done' & p=$!; wait_for ready; kill -TERM $p; wait $p; s=$?; echo $(cat trapped) $s)"
check "trap '' ignores a signal" "alive" "$(sh -c 'trap "" INT; kill -INT $$; echo alive')"
check "trap on EXIT" "bye 2" "$(sh -c 'trap "printf bye" EXIT; exit 2'; echo " $?")"
check "trap - restores the default" "130" "$(sh -c 'trap "echo no" INT; trap - INT; kill -INT $$; echo survived'; echo $?)"
check "sleep waits" "1" "$(t0=$(date +%s); sleep 1.1; t1=$(date +%s); echo $((t1 - t0 >= 1)))"
check "timeout ends a long sleep, in time" "143 1" "$(t0=$(date +%s); timeout 1 sleep 10; s=$?; t1=$(date +%s); echo $s $((t1 - t0 < 5)))"
check "timeout lets a short command finish" "0" "$(timeout 5 sleep 0.1; echo $?)"
check "timeout -s KILL" "137" "$(timeout -s KILL 1 sleep 10; echo $?)"
check "a child's exit status" "42" "$(sh -c 'exit 42'; echo $?)"
check "a child killed by SIGSEGV" "139" "$(sh -c 'kill -SEGV $$'; echo $?)"
check "ps lists the shell" "yes" "$(ps | grep -q '[s]h' && echo yes)"
check "many short-lived children" "50" "$(i=0; while [ $i -lt 50 ]; do /bin/true; i=$((i + 1)); done; echo $i)"

finish
