#!/usr/bin/env bash
# Benchmark of `aksguard scan --cluster`: time and peak memory of a live scan of a cluster of
# BENCH_OBJECTS objects served locally, next to a scan of the same objects as one file.
#
#   bench/live.sh
#
# Environment:
#   BENCH_OBJECTS  objects in the cluster (default 10000)
#   BENCH_RUNS     rounds; the best wall time is kept (default 3)
#   BENCH_CHUNK    objects per list page (default 500, as `--chunk-size`)
#
# The cluster is the benchmark corpus (bench/gen_corpus.py, variant default) served by
# examples/fake_apiserver.rs on 127.0.0.1 (HTTPS, bearer token): discovery from the recorded
# v1.28 apiserver, every list paginated with limit/continue. The server runs in its own
# process, so its memory is not counted. Prints a Markdown table and writes it to
# bench/results-live.md. Exit status 0 when the benchmark ran, 2 when something failed.

set -euo pipefail
export LC_ALL=C

die() {
    echo "bench: error: $*" >&2
    exit 2
}
note() { echo "bench: $*" >&2; }

if (($# > 0)); then
    case $1 in
    -h | --help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0" && exit 0 ;;
    *) die "no arguments expected; settings are environment variables, see bench/live.sh --help" ;;
    esac
fi
cd "$(dirname "${BASH_SOURCE[0]}")/.." || die "cannot enter the repository"

OBJECTS=${BENCH_OBJECTS:-10000}
RUNS=${BENCH_RUNS:-3}
CHUNK=${BENCH_CHUNK:-500}
[[ $OBJECTS =~ ^[1-9][0-9]*$ ]] || die "BENCH_OBJECTS must be a positive integer"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer"
[[ $CHUNK =~ ^[1-9][0-9]*$ ]] || die "BENCH_CHUNK must be a positive integer"
[[ -x /usr/bin/time ]] || die "/usr/bin/time (GNU time) not found; install the 'time' package"
command -v python3 >/dev/null || die "python3 not found (needed for the corpus generator)"

OUT=bench/out
CORPUS=bench/corpus/default-$OBJECTS
RESULTS=bench/results-live.md
mkdir -p "$OUT"

note "building (cargo build --release --bins --examples)"
cargo build --release --bins --examples --quiet 2>"$OUT/build.log" || {
    cat "$OUT/build.log" >&2
    die "the release build failed"
}
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
AKSGUARD=$TARGET_DIR/release/aksguard
SERVER=$TARGET_DIR/release/examples/fake_apiserver

if [[ ! -f $CORPUS/all.yaml ]]; then
    note "generating the corpus into $CORPUS"
    python3 bench/gen_corpus.py "$CORPUS" --objects "$OBJECTS" --variant default --layout both >&2 ||
        die "corpus generation failed"
fi

# The server: stays up while its stdin is open (a fifo held by this script).
FIFO=$OUT/server-stdin
rm -f "$FIFO"
mkfifo "$FIFO"
"$SERVER" --synthetic tests/fixtures/apiserver/v1.28-400-objects --objects "$CORPUS/all.yaml" \
    --token bench-token=admin --kubeconfig "$OUT/kubeconfig" --context bench \
    --until-stdin-closes <"$FIFO" >"$OUT/server.out" 2>"$OUT/server.err" &
SERVER_PID=$!
exec 9>"$FIFO"
trap 'exec 9>&-; wait "$SERVER_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 200); do
    [[ -s $OUT/server.out ]] && break
    kill -0 "$SERVER_PID" 2>/dev/null || die "the fake apiserver stopped: $(cat "$OUT/server.err")"
    sleep 0.1
done
[[ -s $OUT/server.out ]] || die "the fake apiserver did not start"
note "fake apiserver at $(head -n 1 "$OUT/server.out")"

declare -A BEST_WALL MAX_RSS
measure() {
    local key=$1
    shift
    local t0 t1 wall rss rc
    t0=$EPOCHREALTIME
    set +e
    /usr/bin/time -f '%M' -o "$OUT/time.txt" "$@" >"$OUT/$key.json" 2>"$OUT/$key.err"
    rc=$?
    set -e
    t1=$EPOCHREALTIME
    [[ $rc == 0 || $rc == 1 ]] || die "$key: exit code $rc: $(tail -n 5 "$OUT/$key.err")"
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    rss=$(tail -n 1 "$OUT/time.txt")
    if [[ -z ${BEST_WALL[$key]:-} ]] || awk -v a="$wall" -v b="${BEST_WALL[$key]}" 'BEGIN { exit !(a < b) }'; then
        BEST_WALL[$key]=$wall
    fi
    ((rss > ${MAX_RSS[$key]:-0})) && MAX_RSS[$key]=$rss
    note "  $key: ${wall}s, peak RSS $((rss / 1024)) MiB"
}

for round in $(seq 1 "$RUNS"); do
    note "round $round of $RUNS"
    measure live "$AKSGUARD" scan --kubeconfig "$OUT/kubeconfig" --cluster --chunk-size "$CHUNK" -f json
    measure file "$AKSGUARD" scan "$CORPUS/all.yaml" -f json
done

objects() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["inputs"]["objects"])' "$1"; }
LIVE_OBJECTS=$(objects "$OUT/live.json")
FILE_OBJECTS=$(objects "$OUT/file.json")
# What the server sent: every list page, as JSON.
SERVED=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["inputs"]["bytes"])' "$OUT/live.json")
YAML_BYTES=$(stat -c %s "$CORPUS/all.yaml")

{
    echo "| scan | objects | input | wall (best of $RUNS) | objects/s | peak RSS | RSS / input |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    for key in live file; do
        if [[ $key == live ]]; then n=$LIVE_OBJECTS bytes=$SERVED what="cluster, pages of $CHUNK (JSON served)"; else n=$FILE_OBJECTS bytes=$YAML_BYTES what="same objects, one YAML file"; fi
        awk -v k="$what" -v n="$n" -v b="$bytes" -v w="${BEST_WALL[$key]}" -v r="${MAX_RSS[$key]}" 'BEGIN {
            printf "| %s | %d | %.1f MB | %.3f s | %.0f | %.1f MiB | %.2fx |\n", k, n, b / 1e6, w, n / w, r / 1024, r * 1024 / b }'
    done
} | tee "$RESULTS"
note "written to $RESULTS"
