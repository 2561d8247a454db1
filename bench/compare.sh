#!/usr/bin/env bash
# compare.sh - qmgr against curl, aria2c and wget2 on the same private nginx, in the same run.
#
#   bench/compare.sh [--runs 3] [--warmup 1] [--conc 8] [--cases big,small,medium]
#                    [--peers curl,aria2c,wget2,qmgr] [--build DIR]
#
# Cases (data generated deterministically once, cached in $BENCH_WORK, default /var/tmp/qmgr-bench):
#   big     one 1 GiB file            small   10,000 files of 4 KiB      medium  1,000 files of 1 MiB
# Each round runs every tool on every case, the tools' order rotating each round; --warmup
# rounds run first and are not counted. Before each
# run the output directory is emptied and `sync` is run; after it the output is compared with
# the source (diff -r) and a difference aborts the benchmark. Concurrency is equal: the peers
# use --conc connections for the many-file cases, and qmgr splits the files into --conc groups
# (a group transfers its files one after another, QMGR.md §4.4) with max_active_transfers =
# --conc. For big, every tool uses one connection. qmgr is timed from `create` to the end of
# `complete` (the files renamed into place): its bytes are synced (durable) before it counts a
# file transferred, the peers' are not. Prints the commands, a table of medians (wall s) and
# the median over rounds of each tool's ratio to the fastest peer of that round, then a table
# of the machine's busy CPU time during each run (every core; nginx included). A peer named
# PEER+sync (e.g. --peers curl,wget2,curl+sync,wget2+sync,qmgr) is that peer followed by
# `sync -f` of the output's file system; its column is compared separately.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=3 WARMUP=1 CONC=8 CASES=big,small,medium PEERS=curl,aria2c,wget2,qmgr BUILD="$ROOT/build"
while [ $# -gt 0 ]; do
    case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --conc) CONC=$2; shift 2 ;;
    --cases) CASES=$2; shift 2 ;;
    --peers) PEERS=$2; shift 2 ;;
    --build) BUILD=$(cd "$2" && pwd); shift 2 ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "compare.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
QMGRD="$BUILD/src/daemon/qmgrd" QMGR="$BUILD/src/cli/qmgr"
for x in "$QMGRD" "$QMGR"; do
    [ -x "$x" ] || { echo "compare.sh: $x not built" >&2; exit 1; }
done
for t in curl aria2c wget2 python3 diff; do
    command -v "$t" >/dev/null || { echo "compare.sh: $t not installed" >&2; exit 1; }
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "compare.sh: nginx not installed" >&2; exit 1; }

WORK=${BENCH_WORK:-/var/tmp/qmgr-bench}
DATA="$WORK/cmp-data"
mkdir -p "$DATA"

# ---- data (deterministic, generated once) -------------------------------------------------
if [ ! -f "$DATA/.done" ]; then
    echo "generating $DATA (1 GiB + 10,000 x 4 KiB + 1,000 x 1 MiB) ..." >&2
    python3 - "$DATA" <<'PY'
import os, random, sys
d = sys.argv[1]
for sub in ("big", "small", "medium"):
    os.makedirs(os.path.join(d, sub), exist_ok=True)
rng = random.Random(20240601)
with open(os.path.join(d, "big", "1g.bin"), "wb") as f:
    for _ in range(1024):
        f.write(rng.randbytes(1 << 20))
for i in range(10000):
    with open(os.path.join(d, "small", "s%05d.bin" % i), "wb") as f:
        f.write(rng.randbytes(4096))
for i in range(1000):
    with open(os.path.join(d, "medium", "m%04d.bin" % i), "wb") as f:
        f.write(rng.randbytes(1 << 20))
PY
    touch "$DATA/.done"
fi

RUN=$(mktemp -d "$WORK/cmp.XXXXXX")
OUT="$RUN/out"
NGINX_PID="" QMGRD_PID=""
cleanup() {
    if [ -n "$QMGRD_PID" ]; then
        # under BENCH_QMGRD_WRAP, qmgrd is the wrapper's child: stop it first
        [ -z "${BENCH_QMGRD_WRAP:-}" ] || kill -TERM $(pgrep -P "$QMGRD_PID") 2>/dev/null || true
        kill -TERM "$QMGRD_PID" 2>/dev/null || true; wait "$QMGRD_PID" 2>/dev/null || true
    fi
    if [ -n "$NGINX_PID" ]; then kill -QUIT "$NGINX_PID" 2>/dev/null || true; wait "$NGINX_PID" 2>/dev/null || true; fi
    rm -rf "$RUN"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- private nginx -------------------------------------------------------------------------
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$RUN/nginx/logs" "$RUN/nginx/tmp"
cat >"$RUN/nginx/nginx.conf" <<CONF
daemon off;
worker_processes 1;
user root;
pid $RUN/nginx/nginx.pid;
error_log $RUN/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
    types { application/octet-stream bin; }
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65s;
    keepalive_requests 100000;
    etag on;
    client_body_temp_path $RUN/nginx/tmp/body;
    proxy_temp_path $RUN/nginx/tmp/proxy;
    fastcgi_temp_path $RUN/nginx/tmp/fastcgi;
    uwsgi_temp_path $RUN/nginx/tmp/uwsgi;
    scgi_temp_path $RUN/nginx/tmp/scgi;
    server { listen 127.0.0.1:$PORT; root $DATA; location / { } }
}
CONF
[ "$(id -u)" = 0 ] || sed -i '/^user root;/d' "$RUN/nginx/nginx.conf"
"$NGINX" -p "$RUN/nginx" -c "$RUN/nginx/nginx.conf" -e "$RUN/nginx/logs/error.log" \
    </dev/null >"$RUN/nginx/logs/stderr.log" 2>&1 &
NGINX_PID=$!
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 100); do
    curl -sSf -o /dev/null -r 0-0 "$BASE/big/1g.bin" 2>/dev/null && break
    sleep 0.1
done
curl -sSf -o /dev/null -r 0-0 "$BASE/big/1g.bin" || { echo "nginx does not answer" >&2; exit 1; }

# ---- private qmgrd -------------------------------------------------------------------------
SOCK="$RUN/qmgrd.sock"
export QMGR_NO_AUTOSTART=1 XDG_RUNTIME_DIR="$RUN" XDG_STATE_HOME="$RUN/xdg-state"
${BENCH_QMGRD_WRAP:-} "$QMGRD" --user --foreground --state-dir "$RUN/state" --socket "$SOCK" --log-level warning \
    --max-active-transfers "$CONC" </dev/null >"$RUN/qmgrd.log" 2>&1 &
QMGRD_PID=$!
QM=("$QMGR" --socket "$SOCK" --no-autostart)
for _ in $(seq 100); do
    timeout 3 "${QM[@]}" list >/dev/null 2>&1 && break
    sleep 0.1
done
timeout 3 "${QM[@]}" list >/dev/null || { echo "qmgrd does not answer" >&2; cat "$RUN/qmgrd.log" >&2; exit 1; }

# ---- lists ---------------------------------------------------------------------------------
L="$RUN/lists"
mkdir -p "$L"
for c in small medium; do
    ls "$DATA/$c" | sort >"$L/$c.names"
    sed "s|^|$BASE/$c/|" "$L/$c.names" >"$L/$c.txt"
    sed "s|^|url = $BASE/$c/|" "$L/$c.names" >"$L/$c.curl"
    # qmgr: CONC lists of "URL LOCAL" (round-robin), the locals filled in per run
    for k in $(seq 0 $((CONC - 1))); do
        awk -v k="$k" -v n="$CONC" 'NR % n == k' "$L/$c.names" >"$L/$c.part$k"
    done
done
echo "big" >"$L/big.names"

CURL=(curl -sS -f)
ARIA=(aria2c -q --allow-overwrite=true --auto-file-renaming=false --file-allocation=none
      --console-log-level=error --summary-interval=0 -x 1)
WGET=(wget2 -q --no-config --tries=1)

# qmgrd's CPU time so far (user + system, clock ticks; its threads included).
qmgrd_cpu() {
    local pid=$QMGRD_PID
    [ -z "${BENCH_QMGRD_WRAP:-}" ] || pid=$(pgrep -P "$QMGRD_PID" | head -1)
    awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null || echo 0
}

qmgr_run() {   # $1 case  $2 dst
    # As a user would: each group is resumed as soon as its files are added (the next group's
    # setup overlaps its transfer), then each is waited for and committed in turn.
    local c=$1 dst=$2 gids=() gid k t0 t1 t2 c0
    t0=$(date +%s%N) c0=$(qmgrd_cpu)
    if [ "$c" = big ]; then
        gid=$("${QM[@]}" create --name bench-big)
        "${QM[@]}" addfile "$gid" "$BASE/big/1g.bin" "$dst/1g.bin" >/dev/null
        "${QM[@]}" resume "$gid" >/dev/null
        gids=("$gid")
    else
        for k in $(seq 0 $((CONC - 1))); do
            gid=$("${QM[@]}" create --name "bench-$c-$k")
            sed "s|.*|$BASE/$c/& $dst/&|" "$L/$c.part$k" | "${QM[@]}" addfileset "$gid" - >/dev/null
            "${QM[@]}" resume "$gid" >/dev/null
            gids+=("$gid")
        done
    fi
    t1=$(date +%s%N)
    for gid in "${gids[@]}"; do "${QM[@]}" wait "$gid" >/dev/null; done
    t2=$(date +%s%N)
    for gid in "${gids[@]}"; do "${QM[@]}" complete "$gid" >/dev/null; done
    [ -z "${BENCH_PHASES:-}" ] || awk -v a="$t0" -v b="$t1" -v c="$t2" -v d="$(date +%s%N)" \
        -v u="$(( $(qmgrd_cpu) - c0 ))" -v hz="$(getconf CLK_TCK)" \
        'BEGIN { printf "  qmgr phases: create+add+resume %.3f s, wait %.3f s, complete %.3f s; qmgrd CPU %.2f s\n", (b-a)/1e9, (c-b)/1e9, (d-c)/1e9, u/hz }' >"$RUN/phases"
}

# A peer followed by `sync -f` of the output's file system: its bytes made durable, as qmgr's
# are before it counts a file transferred (tool name PEER+sync, e.g. curl+sync).
with_sync() { local d=$1; shift; "$@" && sync -f "$d"; }

cmd_for() {   # $1 tool $2 case $3 dst -> CMD
    local t=$1 c=$2 dst=$3
    if [ "${t%+sync}" != "$t" ]; then
        cmd_for "${t%+sync}" "$c" "$dst"
        CMD=(with_sync "$dst" "${CMD[@]}")
        return
    fi
    if [ "$c" = big ]; then
        case $t in
        curl) CMD=("${CURL[@]}" -o "$dst/1g.bin" "$BASE/big/1g.bin") ;;
        aria2c) CMD=("${ARIA[@]}" -j 1 -d "$dst" "$BASE/big/1g.bin") ;;
        wget2) CMD=("${WGET[@]}" --max-threads 1 -P "$dst" "$BASE/big/1g.bin") ;;
        qmgr) CMD=(qmgr_run big "$dst") ;;
        esac
    else
        case $t in
        curl) CMD=("${CURL[@]}" --parallel --parallel-immediate --parallel-max "$CONC"
                   --remote-name-all --output-dir "$dst" -K "$L/$c.curl") ;;
        aria2c) CMD=("${ARIA[@]}" -j "$CONC" -d "$dst" -i "$L/$c.txt") ;;
        wget2) CMD=("${WGET[@]}" --max-threads "$CONC" -P "$dst" -i "$L/$c.txt") ;;
        qmgr) CMD=(qmgr_run "$c" "$dst") ;;
        esac
    fi
}

echo "commands (DST = an empty directory on $(df -T "$WORK" | awk 'NR==2 {print $2}') under $WORK):" >&2
IFS=, read -r -a TL <<<"$PEERS"
IFS=, read -r -a CL <<<"$CASES"
for c in "${CL[@]}"; do for t in "${TL[@]}"; do
    cmd_for "$t" "$c" DST
    if [ "$t" = qmgr ]; then
        if [ "$c" = big ]; then echo "  $c qmgr: qmgr create; qmgr addfile G URL DST/1g.bin; qmgr resume G; qmgr wait G; qmgr complete G (qmgrd --max-active-transfers $CONC)" >&2
        else echo "  $c qmgr: $CONC x (qmgr create; qmgr addfileset G - <list of URL DST/NAME>; qmgr resume G); then wait and complete each (qmgrd --max-active-transfers $CONC)" >&2; fi
    else echo "  $c $t: ${CMD[*]}" >&2; fi
done; done

# ---- rounds --------------------------------------------------------------------------------
# ext4 without a journal (as here) skips inodes deleted in the last minute (six minutes while
# their inode table block is dirty) when it allocates new ones, checking them one by one in
# the buffer cache (recently_deleted()): creating 10,000 files after deleting as many takes
# seconds longer, whichever tool comes next. So no output is deleted before the end, and
# before the first round the deletions of earlier runs are forgotten: sync, and, as root, the
# clean caches dropped (the check is skipped for an inode table block not in the cache) and
# the data read back into the page cache, so that every tool starts from the same state.
settle() {
    sync
    if [ "$(id -u)" = 0 ] && [ -w /proc/sys/vm/drop_caches ]; then
        echo 3 >/proc/sys/vm/drop_caches
        find "$DATA" -type f -print0 | xargs -0 cat >/dev/null
        echo "settled: synced, caches dropped, data read back in" >&2
    else
        echo "settle: not root; waiting 60 s for earlier deletions to age" >&2
        sleep 60
    fi
}
settle

TSV="$RUN/times.tsv"
: >"$TSV"
mkdir -p "$RUN/trash"
# The whole machine's busy CPU time (clock ticks, every core; /proc/stat: user nice system
# irq softirq steal): what a run costs, nginx and every process of the tool included.
busy_ticks() {
    awk 'NR == 1 { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}
run_one() {   # $1 round $2 case $3 tool
    local r=$1 c=$2 t=$3 dst="$OUT" t0 t1 s0 s1 rc=0
    rm -rf "$dst"; mkdir -p "$dst"; sync
    cmd_for "$t" "$c" "$dst"
    s0=$(busy_ticks)
    t0=$(date +%s%N)
    "${CMD[@]}" >"$RUN/last.log" 2>&1 || rc=$?
    t1=$(date +%s%N)
    s1=$(busy_ticks)
    if [ "$rc" != 0 ] || ! diff -rq "$DATA/$c" "$dst" >"$RUN/diff.txt" 2>&1; then
        echo "round $r: $c $t failed (exit $rc) or its output differs:" >&2
        head -5 "$RUN/last.log" "$RUN/diff.txt" >&2
        exit 1
    fi
    if [ "$r" -le 0 ]; then
        # a warm-up round: run, checked, not counted
        awk -v c="$c" -v t="$t" -v a="$t0" -v b="$t1" 'BEGIN { printf "warm-up   %-6s %-6s %8.3f s (not counted)\n", c, t, (b - a) / 1e9 }' >&2
    else
        awk -v r="$r" -v c="$c" -v t="$t" -v a="$t0" -v b="$t1" -v u="$((s1 - s0))" -v hz="$(getconf CLK_TCK)" \
            'BEGIN { printf "%s\t%s\t%s\t%.3f\t%.2f\n", r, c, t, (b - a) / 1e9, u / hz }' >>"$TSV"
        printf 'round %d  %-6s %-6s %8.3f s  (machine CPU %s s)\n' "$r" "$c" "$t" "$(tail -n 1 "$TSV" | cut -f4)" "$(tail -n 1 "$TSV" | cut -f5)" >&2
    fi
    if [ -f "$RUN/phases" ]; then cat "$RUN/phases" >&2; rm -f "$RUN/phases"; fi
    # Outputs are moved aside and deleted at the end: see settle below.
    mv "$dst" "$RUN/trash/$r-$c-$t"
}
# Warm-up rounds first (numbered 0, -1, ...): the settle step leaves memory and caches cold,
# which would slow whichever tool runs first.
for r in $(seq $((1 - WARMUP)) "$RUNS"); do
    for c in "${CL[@]}"; do
        n=${#TL[@]}
        for i in $(seq 0 $((n - 1))); do run_one "$r" "$c" "${TL[$(( (i + r - 1) % n ))]}"; done
    done
done

# ---- table ---------------------------------------------------------------------------------
echo
echo "compare.sh: $RUNS rounds, concurrency $CONC, nginx on 127.0.0.1, output on $(df -T "$WORK" | awk 'NR==2 {print $2}'); wall seconds (median); ratio = median over rounds of tool / fastest peer (curl, aria2c, wget2) of the round"
# table COLUMN FORMAT RATIOS: the median per case and tool of one column of the TSV (4: wall
# seconds, 5: machine CPU seconds); RATIOS=1 adds qmgr's ratio to the fastest plain and synced
# peer (median over rounds).
table() {
    awk -F'\t' -v col="$1" -v fmt=" $2 |" -v ratios="$3" '
function median(a, n,   i, j, t) {
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{ w[$1, $2, $3] = $col; R[$1] = 1; if (!($2 in C)) { C[$2] = 1; corder[++nc] = $2 } if (!($3 in T)) { T[$3] = 1; torder[++nt] = $3 } }
END {
    printf "| case |"; for (i = 1; i <= nt; i++) printf " %s |", torder[i]
    if (ratios) printf " qmgr / fastest peer | qmgr / fastest synced peer |"
    printf "\n|---|"; for (i = 1; i <= nt; i++) printf "---|"; if (ratios) printf "---|---|"; printf "\n"
    for (ci = 1; ci <= nc; ci++) {
        c = corder[ci]; printf "| %s |", c
        for (ti = 1; ti <= nt; ti++) {
            t = torder[ti]; n = 0; delete a
            for (r in R) if ((r, c, t) in w) a[++n] = w[r, c, t]
            printf fmt, median(a, n)
        }
        # synced = 0: the peers as they are; synced = 1: the PEER+sync variants
        for (synced = 0; ratios && synced <= 1; synced++) {
            n = 0; delete a
            for (r in R) {
                best = 0
                for (ti = 1; ti <= nt; ti++) { t = torder[ti]
                    if (t == "qmgr" || !((r, c, t) in w) || (index(t, "+sync") > 0) != synced) continue
                    if (!best || w[r, c, t] < best) best = w[r, c, t] }
                if (best && (r, c, "qmgr") in w) a[++n] = w[r, c, "qmgr"] / best
            }
            if (n) printf " %.2fx |", median(a, n); else printf " - |"
        }
        printf "\n"
    }
}' "$TSV"
}
table 4 %.3f 1
echo
echo "machine CPU during the run (every core busy, nginx and the tool's processes included; seconds, median; $(nproc) cores)"
table 5 %.2f 0
