#!/usr/bin/env bash
# Runs the README's test command (make test) N times in a row and records each run's outcome:
# the stability check of issue 16 (30 consecutive runs without a crash or a failure).
# Not part of CI: it takes N times the suite. Usage: benchmarks/suite_loop.sh [N] [LOG]
# The table it prints goes to benchmarks/RESULTS.md with the date, machine and commit.
set -uo pipefail
cd "$(dirname "$0")/.."
n="${1:-30}"
log="${2:-/tmp/whaleid-suite-loop.log}"
: >"$log"
passed=0
for i in $(seq 1 "$n"); do
    start=$(date +%s)
    make test >"$log.run$i" 2>&1
    rc=$?
    secs=$(( $(date +%s) - start ))
    summary=$(grep -aE "^[0-9]+ (passed|failed)|[0-9]+ passed" "$log.run$i" | tail -1)
    crash=$(grep -acE "Fatal Python error|Segmentation fault|Aborted" "$log.run$i")
    echo "run $i: exit $rc, ${secs} s, crashes $crash, $summary" | tee -a "$log"
    if [ "$rc" -eq 0 ] && [ "$crash" -eq 0 ]; then
        passed=$((passed + 1))
        rm -f "$log.run$i"
    fi
done
echo "$passed of $n consecutive runs passed ($(git rev-parse --short HEAD), $(date -u +%F), $(nproc) cores)" | tee -a "$log"
[ "$passed" -eq "$n" ]
