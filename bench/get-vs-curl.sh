#!/usr/bin/env bash
# get-vs-curl.sh - wall time of `qmgr get` against `curl` for one 100 MiB file over loopback.
#
#   bench/get-vs-curl.sh [--runs N] [--build DIR] [--foreground] [--size MIB]
#
# Stands alone: generates a deterministic file once (cached in $BENCH_WORK, default
# /var/tmp/qmgr-bench), starts a private nginx on 127.0.0.1 (own prefix and config) and a
# private qmgrd (binaries of the build tree, state in a temporary directory), then runs
#     qmgr get URL OUT,   curl -sS -f -o OUT URL,   and the same curl followed by sync OUT
# in turn (the order rotates every round), N rounds each (default 5). All write to the same
# directory on the same disk ($BENCH_WORK/out); the output is deleted and `sync` run before each
# run, and every output is compared with the source (cmp) - a run that fails or differs aborts
# the benchmark. Prints median wall seconds and MiB/s of each, and the median over rounds of
# the ratio qmgr/curl within a round. Stops nginx and qmgrd by their PIDs on exit.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=5 BUILD="$ROOT/build" FG=() SIZE_MIB=100
while [ $# -gt 0 ]; do
    case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --build) BUILD=$(cd "$2" && pwd); shift 2 ;;
    --foreground) FG=(--foreground); shift ;;
    --size) SIZE_MIB=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "get-vs-curl.sh: unknown option $1" >&2; exit 2 ;;
    esac
done
QMGRD="$BUILD/src/daemon/qmgrd" QMGR="$BUILD/src/cli/qmgr"
for x in "$QMGRD" "$QMGR"; do
    [ -x "$x" ] || { echo "get-vs-curl.sh: $x not built (make build)" >&2; exit 1; }
done
for t in nginx curl cmp python3; do
    command -v "$t" >/dev/null || [ -x "/usr/sbin/$t" ] ||
        { echo "get-vs-curl.sh: $t not installed (make deps)" >&2; exit 1; }
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

WORK=${BENCH_WORK:-/var/tmp/qmgr-bench}
DATA="$WORK/data"
FILE="big-${SIZE_MIB}m.bin"
mkdir -p "$DATA" "$WORK/out"
OUT="$WORK/out"

# ---- data (deterministic, generated once) -------------------------------------------------
if [ ! -f "$DATA/$FILE.done" ]; then
    echo "generating $DATA/$FILE ($SIZE_MIB MiB) ..." >&2
    python3 - "$DATA/$FILE" "$SIZE_MIB" <<'PY'
import random, sys
path, mib = sys.argv[1], int(sys.argv[2])
rng = random.Random(20240601)
with open(path, "wb") as f:
    for _ in range(mib):
        f.write(rng.randbytes(1 << 20))
PY
    touch "$DATA/$FILE.done"
fi

RUN=$(mktemp -d "$WORK/run.XXXXXX")
NGINX_PID="" QMGRD_PID=""
cleanup() {
    if [ -n "$QMGRD_PID" ]; then kill -TERM "$QMGRD_PID" 2>/dev/null || true; wait "$QMGRD_PID" 2>/dev/null || true; fi
    if [ -n "$NGINX_PID" ]; then kill -QUIT "$NGINX_PID" 2>/dev/null || true; wait "$NGINX_PID" 2>/dev/null || true; fi
    rm -rf "$RUN" "$OUT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- private nginx -------------------------------------------------------------------------
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
PORT=$(free_port)
mkdir -p "$RUN/nginx/logs" "$RUN/nginx/tmp"
cat >"$RUN/nginx/nginx.conf" <<CONF
daemon off;
master_process on;
worker_processes 1;
user root;
pid $RUN/nginx/nginx.pid;
error_log $RUN/nginx/logs/error.log warn;
events { worker_connections 256; }
http {
    types { application/octet-stream bin; }
    default_type application/octet-stream;
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65s;
    etag on;
    client_body_temp_path $RUN/nginx/tmp/body;
    proxy_temp_path $RUN/nginx/tmp/proxy;
    fastcgi_temp_path $RUN/nginx/tmp/fastcgi;
    uwsgi_temp_path $RUN/nginx/tmp/uwsgi;
    scgi_temp_path $RUN/nginx/tmp/scgi;
    server {
        listen 127.0.0.1:$PORT;
        root $DATA;
        location / { }
    }
}
CONF
[ "$(id -u)" = 0 ] || sed -i '/^user root;/d' "$RUN/nginx/nginx.conf"
"$NGINX" -p "$RUN/nginx" -c "$RUN/nginx/nginx.conf" -e "$RUN/nginx/logs/error.log" \
    </dev/null >"$RUN/nginx/logs/stderr.log" 2>&1 &
NGINX_PID=$!
URL="http://127.0.0.1:$PORT/$FILE"
for _ in $(seq 100); do
    curl -sSf -o /dev/null -r 0-0 "$URL" 2>/dev/null && break
    kill -0 "$NGINX_PID" 2>/dev/null || { cat "$RUN/nginx/logs/error.log" >&2; exit 1; }
    sleep 0.1
done
curl -sSf -o /dev/null -r 0-0 "$URL" || { echo "nginx does not answer" >&2; exit 1; }

# ---- private qmgrd -------------------------------------------------------------------------
SOCK="$RUN/qmgrd.sock"
export QMGR_NO_AUTOSTART=1 XDG_RUNTIME_DIR="$RUN" XDG_STATE_HOME="$RUN/xdg-state"
"$QMGRD" --user --foreground --state-dir "$RUN/state" --socket "$SOCK" --log-level warning \
    </dev/null >"$RUN/qmgrd.log" 2>&1 &
QMGRD_PID=$!
QM=("$QMGR" --socket "$SOCK" --no-autostart)
for _ in $(seq 100); do
    timeout 3 "${QM[@]}" list >/dev/null 2>&1 && break
    kill -0 "$QMGRD_PID" 2>/dev/null || { cat "$RUN/qmgrd.log" >&2; exit 1; }
    sleep 0.1
done
timeout 3 "${QM[@]}" list >/dev/null || { echo "qmgrd does not answer" >&2; cat "$RUN/qmgrd.log" >&2; exit 1; }

# ---- rounds --------------------------------------------------------------------------------
cat "$DATA/$FILE" >/dev/null   # source in the page cache for both
TSV="$RUN/times.tsv"
: >"$TSV"
run_one() {   # $1 round, $2 tool
    local r=$1 tool=$2 dst="$OUT/$FILE" t0 t1 rc=0
    rm -f "$dst"; sync
    t0=$(date +%s%N)
    case $tool in
    qmgr) "${QM[@]}" get "${FG[@]}" "$URL" "$dst" >"$RUN/last.log" 2>&1 || rc=$? ;;
    curl) curl -sS -f -o "$dst" "$URL" >"$RUN/last.log" 2>&1 || rc=$? ;;
    # curl, then fsync of the file (coreutils `sync FILE`): what qmgr does before it counts a
    # file transferred, so this column compares like with like on durability.
    curl+sync) { curl -sS -f -o "$dst" "$URL" && sync "$dst"; } >"$RUN/last.log" 2>&1 || rc=$? ;;
    esac
    t1=$(date +%s%N)
    if [ "$rc" != 0 ] || ! cmp -s "$DATA/$FILE" "$dst"; then
        echo "round $r: $tool failed (exit $rc) or its output differs:" >&2
        cat "$RUN/last.log" >&2
        exit 1
    fi
    rm -f "$dst"
    awk -v r="$r" -v t="$tool" -v a="$t0" -v b="$t1" 'BEGIN { printf "%s\t%s\t%.3f\n", r, t, (b - a) / 1e9 }' >>"$TSV"
    printf 'round %d  %-4s  %7.3f s\n' "$r" "$tool" "$(tail -n 1 "$TSV" | cut -f3)" >&2
}
TOOLS=(qmgr curl curl+sync)
for r in $(seq 1 "$RUNS"); do   # the order rotates every round
    for i in 0 1 2; do run_one "$r" "${TOOLS[$(( (i + r - 1) % 3 ))]}"; done
done

# ---- table ---------------------------------------------------------------------------------
echo
echo "qmgr get vs curl: $SIZE_MIB MiB from nginx on 127.0.0.1, $RUNS rounds, output on $(df -T "$WORK" | awk 'NR==2 {print $2}') ($WORK)${FG:+, qmgr get --foreground}"
awk -F'\t' -v mib="$SIZE_MIB" '
function median(a, n,   i, j, t) {
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{ w[$1, $2] = $3; t[$2, ++n[$2]] = $3; rounds[$1] = 1 }
END {
    split("qmgr curl curl+sync", tools, " ")
    printf "%-10s %14s %10s %22s\n", "tool", "median wall s", "MiB/s", "per-round qmgr/tool"
    for (k = 1; k <= 3; k++) {
        tool = tools[k]; delete a; for (i = 1; i <= n[tool]; i++) a[i] = t[tool, i]
        m = median(a, n[tool])
        delete rt; nr = 0
        for (r in rounds) rt[++nr] = w[r, "qmgr"] / w[r, tool]
        printf "%-10s %14.3f %10.1f %21.2fx\n", tool, m, mib / m, median(rt, nr)
    }
}' "$TSV"
