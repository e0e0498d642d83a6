#!/usr/bin/env bash
# Coverage-guided fuzzing of pylock's parsers with AFL++, through afl.rs on stable Rust.
#
#   fuzz/run.sh [SECONDS] [TARGET...]
#
# Installs cargo-afl (pinned; skipped when that version is already there), builds the targets
# instrumented into fuzz/target, then fuzzes each TARGET (default: every fuzz/corpus/*) for
# SECONDS (default 30) from its seed corpus and dictionary, JOBS of them at once (default:
# the number of cores). Fails when afl-fuzz recorded a crash, printing each crashing input's
# path; hangs (inputs over the per-execution timeout) are listed but fail only with
# FUZZ_FAIL_ON_HANGS=1, since a loaded machine makes them flaky.
#
# Results: fuzz/out/<target>/default/{crashes,hangs,queue,fuzzer_stats} (FUZZ_OUT moves them),
# started afresh on every run. Replay an input with the target built without afl:
#   cargo run -p pylock-fuzz --bin fuzz_<target> -- PATH...
# A crash worth keeping goes (minimized: cargo afl tmin) into fuzz/regressions/<target>/,
# which `cargo test -p pylock-fuzz` replays.
set -euo pipefail
cd "$(dirname "$0")/.."

AFL_VERSION=0.18.2 # keep in step with the `afl` dependency in fuzz/Cargo.toml
SECONDS_PER_TARGET=${1:-30}
shift || true
if [ $# -gt 0 ]; then
    targets=("$@")
else
    targets=()
    for dir in fuzz/corpus/*/; do
        targets+=("$(basename "$dir")")
    done
fi
JOBS=${JOBS:-$(nproc)}
OUT=${FUZZ_OUT:-fuzz/out}
# Under afl-fuzz a timed-out execution is a hang; generous, for loaded machines.
EXEC_TIMEOUT_MS=${FUZZ_EXEC_TIMEOUT_MS:-2000}

installed=$(cargo afl --version 2>/dev/null || true)
case $installed in
"cargo-afl $AFL_VERSION "*) ;;
*)
    echo "fuzz: installing cargo-afl $AFL_VERSION (it builds AFL++ too)" >&2
    env -u CARGO_TARGET_DIR cargo install cargo-afl --version "$AFL_VERSION" --locked --quiet
    ;;
esac
# AFL++'s runtime is built per rustc version: build it when this rustc has none yet.
if ! config=$(cargo afl config --build 2>&1); then
    case $config in
    *"already built"*) ;;
    *)
        echo "$config" >&2
        exit 1
        ;;
    esac
fi

echo "fuzz: building the instrumented targets" >&2
# The wrapper leaves the crates no target runs uninstrumented and unoptimized (a third less CPU).
CARGO_TARGET_DIR="$PWD/fuzz/target" RUSTC_WRAPPER="$PWD/fuzz/rustc-wrapper.sh" \
    cargo afl build --release --locked --quiet -p pylock-fuzz --bins

export AFL_NO_UI=1                                # plain log lines, no curses screen
export AFL_SKIP_CPUFREQ=1                         # do not insist on the performance governor
export AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1    # core_pattern may pipe to a handler (as root, untuned)
export AFL_TRY_AFFINITY=1                         # bind to a free core if one is, else run anyway
export AFL_FUZZER_LOOPCOUNT=${AFL_FUZZER_LOOPCOUNT:-10000} # restart the persistent process now and then:
                                                  # the library's per-process memo tables only grow

fuzz_one() {
    local target=$1 dict=()
    rm -rf "${OUT:?}/$target"
    [ -f "fuzz/dict/$target.dict" ] && dict=(-x "fuzz/dict/$target.dict")
    # -m: an input that makes the library allocate past 2 GiB aborts, a crash like a panic.
    cargo afl fuzz -i "fuzz/corpus/$target" -o "$OUT/$target" -V "$SECONDS_PER_TARGET" \
        -t "$EXEC_TIMEOUT_MS" -m 2048 "${dict[@]}" \
        -- "fuzz/target/release/fuzz_$target" >"$OUT/$target.log" 2>&1 || true
}

mkdir -p "$OUT"
echo "fuzz: ${#targets[@]} targets, ${SECONDS_PER_TARGET}s each, $JOBS at a time" >&2
for target in "${targets[@]}"; do
    if [ ! -d "fuzz/corpus/$target" ]; then
        echo "fuzz: no target $target (no fuzz/corpus/$target)" >&2
        exit 2
    fi
    while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do
        wait -n || true
    done
    fuzz_one "$target" &
done
wait

stat() { sed -n "s/^$2 *: //p" "$1" | head -n 1; }
failed=0
printf '%-18s %12s %10s %8s %8s %8s\n' target execs execs/s corpus crashes hangs
for target in "${targets[@]}"; do
    stats="$OUT/$target/default/fuzzer_stats"
    if [ ! -f "$stats" ]; then
        echo "fuzz: afl-fuzz did not run $target; its log ($OUT/$target.log) ends:" >&2
        tail -n 20 "$OUT/$target.log" >&2 || true
        failed=1
        continue
    fi
    printf '%-18s %12s %10s %8s %8s %8s\n' "$target" "$(stat "$stats" execs_done)" \
        "$(stat "$stats" execs_per_sec)" "$(stat "$stats" corpus_count)" \
        "$(stat "$stats" saved_crashes)" "$(stat "$stats" saved_hangs)"
done
for target in "${targets[@]}"; do
    for kind in crash hang; do
        for input in "$OUT/$target/default/${kind/crash/crashe}s"/id:*; do
            [ -e "$input" ] || continue
            echo "fuzz: $target: $kind: $input" >&2
            if [ "$kind" = crash ] || [ "${FUZZ_FAIL_ON_HANGS:-0}" = 1 ]; then
                failed=1
            fi
        done
    done
done
if [ "$failed" != 0 ]; then
    echo "fuzz: FAILED (replay: cargo run -p pylock-fuzz --bin fuzz_<target> -- PATH)" >&2
    exit 1
fi
echo "fuzz: no crash" >&2
