#!/usr/bin/env bash
# scale.sh - 100,000 queued files in 1,000 groups: qmgrd's memory, and its restart time.
#
#   bench/scale.sh [--groups 1000] [--files 100] [--build DIR]
#
# Starts a private qmgrd (state in a temporary directory under $BENCH_WORK, default
# /var/tmp/qmgr-bench), creates GROUPS groups of FILES files each through the CLI
# (`qmgr create`, then one `qmgr addfileset G -` per group; the groups stay suspended, so nothing
# is fetched), and prints: the time to create them, qmgrd's VmRSS/VmHWM from /proc, the store's
# size; then kills qmgrd with SIGKILL, starts it again and prints the time from its start to the
# first answer of a trivial call (`qmgr version`, retried every 5 ms), and its VmRSS after the
# load. Stops qmgrd by its PID on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
GROUPS_N=1000 FILES=100 BUILD="$ROOT/build"
while [ $# -gt 0 ]; do
    case "$1" in
    --groups) GROUPS_N=$2; shift 2 ;;
    --files) FILES=$2; shift 2 ;;
    --build) BUILD=$(cd "$2" && pwd); shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "scale.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
QMGRD="$BUILD/src/daemon/qmgrd" QMGR="$BUILD/src/cli/qmgr"
WORK=${BENCH_WORK:-/var/tmp/qmgr-bench}
mkdir -p "$WORK"
RUN=$(mktemp -d "$WORK/scale.XXXXXX")
QMGRD_PID=""
cleanup() {
    if [ -n "$QMGRD_PID" ]; then kill -TERM "$QMGRD_PID" 2>/dev/null || true; wait "$QMGRD_PID" 2>/dev/null || true; fi
    rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

SOCK="$RUN/qmgrd.sock"
export QMGR_NO_AUTOSTART=1 XDG_RUNTIME_DIR="$RUN" XDG_STATE_HOME="$RUN/xdg-state"
QM=("$QMGR" --socket "$SOCK" --no-autostart)
start_qmgrd() {
    "$QMGRD" --user --foreground --state-dir "$RUN/state" --socket "$SOCK" --log-level warning \
        --max-groups-per-user $((GROUPS_N + 10)) </dev/null >>"$RUN/qmgrd.log" 2>&1 &
    QMGRD_PID=$!
}
ms() { echo $(( $(date +%s%N) / 1000000 )); }
rss() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }

start_qmgrd
for _ in $(seq 200); do "${QM[@]}" version >/dev/null 2>&1 && break; sleep 0.05; done
mkdir -p "$RUN/dl"
base_rss=$(rss "$QMGRD_PID" VmRSS)
t0=$(ms)
for g in $(seq 1 "$GROUPS_N"); do
    gid=$("${QM[@]}" create --name "scale-$g")
    awk -v g="$g" -v n="$FILES" -v d="$RUN/dl" \
        'BEGIN { for (i = 0; i < n; i++) printf "http://127.0.0.1:9/scale/g%05d/f%04d.bin %s/g%05d-f%04d.bin\n", g, i, d, g, i }' |
        "${QM[@]}" addfileset "$gid" - >/dev/null
done
t1=$(ms)
held_rss=$(rss "$QMGRD_PID" VmRSS) held_hwm=$(rss "$QMGRD_PID" VmHWM)
store_kb=$(du -sk "$RUN/state" | cut -f1)

kill -KILL "$QMGRD_PID"; wait "$QMGRD_PID" 2>/dev/null || true
t2=$(ms)
start_qmgrd
until "${QM[@]}" version >/dev/null 2>&1; do
    kill -0 "$QMGRD_PID" 2>/dev/null || { cat "$RUN/qmgrd.log" >&2; exit 1; }
    sleep 0.005
done
t3=$(ms)
ready_rss=$(rss "$QMGRD_PID" VmRSS)
n=$("${QM[@]}" --json list | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["groups"]) if isinstance(d, dict) and "groups" in d else len(d))')

echo "scale.sh: $GROUPS_N groups x $FILES files = $((GROUPS_N * FILES)) queued files"
printf '| figure | value |\n|---|---|\n'
printf '| create + addfileset through the CLI | %.1f s (%.2f ms a group) |\n' "$(echo "($t1 - $t0) / 1000" | bc -l)" "$(echo "($t1 - $t0) / $GROUPS_N" | bc -l)"
printf '| qmgrd VmRSS empty | %d KiB |\n' "$base_rss"
printf '| qmgrd VmRSS holding them (VmHWM) | %d KiB (%d KiB) |\n' "$held_rss" "$held_hwm"
printf '| state directory (store) | %d KiB |\n' "$store_kb"
printf '| SIGKILL, restart, first answer | %d ms |\n' "$((t3 - t2))"
printf '| qmgrd VmRSS after the restart | %d KiB |\n' "$ready_rss"
printf '| groups listed after the restart | %s |\n' "$n"
