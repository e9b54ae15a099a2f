#!/usr/bin/env bash
# Benchmark of `aksguard scan`: throughput (MB/s, objects/s) and peak memory on a generated
# corpus of Kubernetes manifests, against the YAML parser alone (saphyr-parser events, one
# thread) on the same input.
#
#   bench/run.sh
#
# Environment:
#   BENCH_OBJECTS  objects in the corpus (default 10000)
#   BENCH_VARIANT  corpus variant: default, rbac, policy (default: default)
#   BENCH_RUNS     rounds; each command runs once per round, its best wall time is kept (default 3)
#   BENCH_STRICT   1: exit 1 when a target is missed (default 0: report only)
#
# Builds the release binary and the `parse_only` example, generates the corpus into
# bench/corpus/<variant>-<objects>/ when it is missing or stale, then for each layout (many
# files in namespace directories, one multi-document stream) measures:
#   baseline   examples/parse_only --events   saphyr-parser events only, single-threaded
#   tree       examples/parse_only --build    aksguard's YAML tree builder, single-threaded
#   aksguard   aksguard scan <input> --format json > /dev/null   (all cores)
# with /usr/bin/time (peak RSS) and the shell clock (wall). Prints a Markdown table and writes
# it to bench/results.md. Exit status: 0 when the benchmark ran, 1 when a target was missed and
# BENCH_STRICT=1, 2 when something failed (build, corpus, a crash), 3 when aksguard reported
# input errors (exit code 2) on the corpus.

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
    *) die "no arguments expected (got '$1'); settings are environment variables, see bench/run.sh --help" ;;
    esac
fi

cd "$(dirname "${BASH_SOURCE[0]}")/.." || die "cannot enter the repository"

OBJECTS=${BENCH_OBJECTS:-10000}
VARIANT=${BENCH_VARIANT:-default}
RUNS=${BENCH_RUNS:-3}
STRICT=${BENCH_STRICT:-0}
[[ $OBJECTS =~ ^[1-9][0-9]*$ ]] || die "BENCH_OBJECTS must be a positive integer (got '$OBJECTS')"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer (got '$RUNS')"
case $VARIANT in default | rbac | policy) ;; *) die "BENCH_VARIANT must be default, rbac or policy (got '$VARIANT')" ;; esac

CORPUS="bench/corpus/$VARIANT-$OBJECTS"
OUT="bench/out"
RESULTS="bench/results.md"

command -v cargo >/dev/null || die "cargo not found"
command -v python3 >/dev/null || die "python3 not found (needed for the corpus generator)"
[[ -x /usr/bin/time ]] || die "/usr/bin/time (GNU time) not found; install the 'time' package"
/usr/bin/time -f '%M' -o /dev/null true 2>/dev/null || die "/usr/bin/time does not support -f/-o (need GNU time)"

mkdir -p "$OUT"

# 1. Build.
note "building (cargo build --release --bins --examples)"
if ! cargo build --release --bins --examples --quiet 2>"$OUT/build.log"; then
    cat "$OUT/build.log" >&2
    die "the release build failed (log above, also in $OUT/build.log)"
fi
TARGET_DIR=$(cargo metadata --format-version 1 --no-deps 2>/dev/null |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])') ||
    die "cannot find cargo's target directory"
AKSGUARD="$TARGET_DIR/release/aksguard"
PARSE_ONLY="$TARGET_DIR/release/examples/parse_only"
[[ -x $AKSGUARD ]] || die "$AKSGUARD was not built"
[[ -x $PARSE_ONLY ]] || die "$PARSE_ONLY was not built"

# 2. Corpus (regenerated when missing, or when the generator or the parameters changed).
corpus_fresh() {
    [[ -f $CORPUS/manifest.json && -f $CORPUS/all.yaml && -d $CORPUS/files ]] || return 1
    python3 - "$CORPUS/manifest.json" bench/gen_corpus.py "$OBJECTS" "$VARIANT" <<'EOF'
import hashlib, json, sys
m = json.load(open(sys.argv[1]))
sha = hashlib.sha256(open(sys.argv[2], "rb").read()).hexdigest()
ok = (m.get("generator_sha256") == sha and m.get("requested_objects") == int(sys.argv[3])
      and m.get("variant") == sys.argv[4] and set(m.get("layouts", {})) == {"files", "stream"})
sys.exit(0 if ok else 1)
EOF
}
if corpus_fresh; then
    note "corpus: $CORPUS (up to date)"
else
    note "generating the corpus into $CORPUS ($OBJECTS objects, variant $VARIANT)"
    python3 bench/gen_corpus.py "$CORPUS" --objects "$OBJECTS" --variant "$VARIANT" --layout both >&2 ||
        die "corpus generation failed"
fi

# manifest values: layout key -> path, bytes, documents, files
manifest() { python3 -c 'import json,sys; m=json.load(open(sys.argv[1])); v=m
for k in sys.argv[2:]: v=v[k]
print(v)' "$CORPUS/manifest.json" "$@"; }
CORPUS_OBJECTS=$(manifest objects)

# 3. Measurements. The three commands run in turn within each round, so that load from other
# processes on a shared machine falls on all of them alike; the best round of each is kept.
# run_once KEY ALLOWED_EXIT_CODES CMD... updates BEST_WALL[KEY] (s), BEST_CPU[KEY] (CPU % of the
# best run), MAX_RSS[KEY] (KiB) and sets RC_SEEN[KEY]=2 when aksguard reported input errors.
declare -A BEST_WALL BEST_CPU MAX_RSS RC_SEEN
run_once() {
    local key=$1 allowed=$2
    shift 2
    local rc t0 t1 wall rss cpu
    t0=$EPOCHREALTIME
    set +e
    /usr/bin/time -f '%e %M %P' -o "$OUT/time.txt" "$@" >/dev/null 2>"$OUT/stderr.txt"
    rc=$?
    set -e
    t1=$EPOCHREALTIME
    if [[ " $allowed " != *" $rc "* ]]; then
        if [[ $rc == 2 && $key == aksguard ]]; then
            RC_SEEN[$key]=2 # input errors: reported after the table, the run still counts
        else
            note "$key: exit code $rc; stderr:"
            tail -n 20 "$OUT/stderr.txt" >&2
            die "$key failed: $*"
        fi
    fi
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", b - a }')
    read -r _ rss cpu < <(tail -n 1 "$OUT/time.txt")
    cpu=${cpu%\%}
    [[ $rss =~ ^[0-9]+$ ]] || die "$key: cannot read /usr/bin/time output: $(cat "$OUT/time.txt")"
    if [[ -z ${BEST_WALL[$key]:-} ]] || awk -v a="$wall" -v b="${BEST_WALL[$key]}" 'BEGIN { exit !(a < b) }'; then
        BEST_WALL[$key]=$wall
        BEST_CPU[$key]=$cpu
    fi
    if ((rss > ${MAX_RSS[$key]:-0})); then MAX_RSS[$key]=$rss; fi
    note "  $key: ${wall}s, CPU ${cpu}%, peak RSS $((rss / 1024)) MiB"
}

ROWS=()
MISSED=0
INPUT_ERRORS=0
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")

for layout in files stream; do
    input="$CORPUS/$(manifest layouts "$layout" path)"
    bytes=$(manifest layouts "$layout" bytes)
    nfiles=$(manifest layouts "$layout" files)
    docs=$(manifest layouts "$layout" documents)
    note "layout $layout: $input ($nfiles files, $docs documents, $CORPUS_OBJECTS objects, $bytes bytes)"

    # Check once that aksguard reads the whole corpus without errors (also warms the page cache).
    set +e
    "$AKSGUARD" scan "$input" --format json >"$OUT/scan-$layout.json" 2>"$OUT/scan-$layout.stderr"
    rc=$?
    set -e
    ((rc <= 2)) || {
        tail -n 20 "$OUT/scan-$layout.stderr" >&2
        die "aksguard scan $input crashed (exit code $rc)"
    }
    python3 - "$OUT/scan-$layout.json" "$CORPUS_OBJECTS" "$docs" "$bytes" <<'EOF' || INPUT_ERRORS=1
import json, sys
r = json.load(open(sys.argv[1]))
inp, errs = r["inputs"], r["errors"]
problems = []
if inp["objects"] != int(sys.argv[2]):
    problems.append(f"aksguard counted {inp['objects']} objects, the corpus has {sys.argv[2]}")
if inp["documents"] != int(sys.argv[3]):
    problems.append(f"aksguard counted {inp['documents']} documents, the corpus has {sys.argv[3]}")
if inp["bytes"] != int(sys.argv[4]):
    problems.append(f"aksguard read {inp['bytes']} bytes, the corpus has {sys.argv[4]}")
for e in errs[:10]:
    problems.append(f"input error: {e.get('file')}:{e.get('line')}: {e.get('message')}")
if len(errs) > 10:
    problems.append(f"... {len(errs) - 10} more input errors")
for p in problems:
    print("bench: WARNING: " + p, file=sys.stderr)
print(f"bench:   aksguard: {inp['objects']} objects, {len(r['findings'])} findings listed, "
      f"exit code {r['summary']['exit_code']}", file=sys.stderr)
sys.exit(1 if problems else 0)
EOF
    # The baseline must read the corpus without errors too.
    "$PARSE_ONLY" --events "$input" >"$OUT/baseline-$layout.json" ||
        die "parse_only --events $input failed (see above)"

    BEST_WALL=() BEST_CPU=() MAX_RSS=() RC_SEEN=()
    for ((round = 1; round <= RUNS; round++)); do
        note " round $round/$RUNS"
        run_once baseline "0" "$PARSE_ONLY" --events "$input"
        run_once tree "0" "$PARSE_ONLY" --build "$input"
        run_once aksguard "0 1" "$AKSGUARD" scan "$input" --format json
    done
    if [[ ${RC_SEEN[aksguard]:-} == 2 ]]; then INPUT_ERRORS=1; fi
    base_wall=${BEST_WALL[baseline]}
    ROWS+=("$layout|baseline: saphyr-parser events, 1 thread|$bytes|$base_wall|${BEST_CPU[baseline]}|${MAX_RSS[baseline]}|-")
    ROWS+=("$layout|reference: aksguard tree builder, 1 thread|$bytes|${BEST_WALL[tree]}|${BEST_CPU[tree]}|${MAX_RSS[tree]}|$base_wall")
    ROWS+=("$layout|**aksguard scan --format json**|$bytes|${BEST_WALL[aksguard]}|${BEST_CPU[aksguard]}|${MAX_RSS[aksguard]}|$base_wall|target")
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")

# 4. Report.
CPU=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo "unknown CPU")
CORES=$(nproc 2>/dev/null || echo "?")
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo "unknown")
if [[ -n $(git status --porcelain -- src Cargo.toml Cargo.lock 2>/dev/null) ]]; then
    COMMIT="$COMMIT + uncommitted changes in src/"
fi
RUSTC=$(rustc --version 2>/dev/null || echo "rustc ?")
FILES_BYTES=$(manifest layouts files bytes)
FILES_N=$(manifest layouts files files)
KINDS=$(python3 -c 'import json,sys; m=json.load(open(sys.argv[1]))
print(", ".join(f"{k} {v}" for k, v in sorted(m["kinds"].items(), key=lambda kv: -kv[1])))' "$CORPUS/manifest.json")

{
    echo "## Benchmark: \`aksguard scan\` throughput and memory"
    echo
    echo "Command: \`bench/run.sh\` (corpus: \`python3 bench/gen_corpus.py $CORPUS --objects $OBJECTS --variant $VARIANT\`)."
    echo
    echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); commit $COMMIT; $RUSTC"
    echo "- Machine: $CPU, $CORES cores; load average $LOAD_BEFORE before, $LOAD_AFTER after"
    echo "- Corpus: $CORPUS_OBJECTS objects ($KINDS)"
    echo "  - files: $FILES_N files in namespace directories, $(awk -v b="$FILES_BYTES" 'BEGIN { printf "%.1f", b / 1e6 }') MB"
    echo "  - stream: one multi-document file (all.yaml), $(awk -v b="$(manifest layouts stream bytes)" 'BEGIN { printf "%.1f", b / 1e6 }') MB"
    echo "- Wall time: best of $RUNS rounds, the three commands taking turns in each round (CPU %: of that run, 100 = one core busy); peak RSS: highest of the runs (/usr/bin/time %M). MB = 10^6 bytes."
    echo "- Targets (aksguard rows): throughput at least 0.5x the baseline on the same input; peak RSS under 3x the corpus size."
    echo
    echo "| input | run | size MB | objects | wall s | CPU % | MB/s | objects/s | peak RSS MB | RSS / corpus | throughput vs baseline | targets met |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
    for row in "${ROWS[@]}"; do
        IFS='|' read -r layout run bytes wall cpu rss_kb base_wall target <<<"$row"
        line=$(awk -v layout="$layout" -v run="$run" -v bytes="$bytes" -v wall="$wall" -v cpu="$cpu" \
            -v rss="$rss_kb" -v base="$base_wall" -v objects="$CORPUS_OBJECTS" -v target="${target:-}" -v cores="$CORES" '
            BEGIN {
                mb = bytes / 1e6; rss_mb = rss * 1024 / 1e6; ratio = rss * 1024 / bytes
                vs = (base == "-") ? "1.00x" : sprintf("%.2fx", base / wall)
                met = "-"
                if (target == "target") {
                    t = (base / wall >= 0.5) ? "throughput yes" : "throughput **NO**"
                    m = (ratio < 3) ? "memory yes" : "memory **NO**"
                    met = t ", " m
                    if (cores + 0 >= 2 && cpu + 0 < 130)
                        met = met " (busy machine: best run got " cpu "% CPU, about one core)"
                }
                printf "| %s | %s | %.1f | %d | %.3f | %s | %.1f | %.0f | %.1f | %.2fx | %s | %s |\n",
                    layout, run, mb, objects, wall, cpu, mb / wall, objects / wall, rss_mb, ratio, vs, met
            }')
        echo "$line"
        if [[ $line == *"**NO**"* ]]; then MISSED=1; fi
    done
    echo
    echo "The machine is shared (2 cores, other builds running at the same time): timings are noisy;"
    echo "compare runs taken together, not across days. The baseline is single-threaded by design;"
    echo "aksguard uses all cores (rayon) for reading, parsing and checking."
} >"$OUT/results.md"

cp "$OUT/results.md" "$RESULTS"
cat "$RESULTS"
note "written to $RESULTS"

if ((INPUT_ERRORS)); then
    note "aksguard reported input errors or miscounted the corpus (see the warnings above)"
    exit 3
fi
if ((MISSED)); then
    note "a target was missed (rows marked **NO**)"
    if ((STRICT == 1)); then exit 1; fi
fi
exit 0
