#!/usr/bin/env bash
# Builds every libFuzzer target with clang and runs each for a bounded time.
#
#   scripts/fuzz-run.sh [SECONDS]     (default 60 seconds per target)
#
# The build goes to build-fuzz/ (-DTLSGATE_FUZZ=ON, which brings ASan and
# UBSan). Each target fuzzes a copy of its committed corpus in a temporary
# directory, so the tree is never written, and two targets run at a time.
# One summary line per target; the exit status is non-zero when any target
# crashed, leaked, timed out or ran out of memory, and the reproducer is kept
# in build-fuzz/fuzz-findings/ with the end of the fuzzer's log shown.
#
# Environment: FUZZ_TARGETS="config tls_server" runs only those targets;
# FUZZ_JOBS (default 2) targets run at a time; FUZZ_RSS_LIMIT_MB (default
# 2048) and FUZZ_TIMEOUT (default 10 seconds per input) bound each input;
# FUZZ_NO_BUILD=1 runs the binaries already in build-fuzz/.
set -euo pipefail

usage() {
  sed -n '2,17s/^# \{0,1\}//p' "$0"
}

seconds=60
case "${1:-}" in
  -h | --help)
    usage
    exit 0
    ;;
  "") ;;
  *[!0-9]*)
    usage >&2
    exit 2
    ;;
  *) seconds=$1 ;;
esac

root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-fuzz"
corpora="$root/tests/fuzz/corpus"
findings="$build/fuzz-findings"
jobs=${FUZZ_JOBS:-2}
rss_limit=${FUZZ_RSS_LIMIT_MB:-2048}
timeout=${FUZZ_TIMEOUT:-10}
lock=/tmp/tlsgate-build.lock

for tool in clang clang++ cmake ninja; do
  if ! command -v "$tool" >/dev/null; then
    echo "fuzz-run: $tool is missing; run scripts/install-deps.sh" >&2
    exit 2
  fi
done

targets=()
if [[ -n "${FUZZ_TARGETS:-}" ]]; then
  read -r -a targets <<<"$FUZZ_TARGETS"
else
  for dir in "$corpora"/*/; do
    targets+=("$(basename "$dir")")
  done
fi

# Builds share the machine with others: take the build lock when there is one.
locked() {
  if command -v flock >/dev/null; then
    flock "$lock" "$@"
  else
    "$@"
  fi
}

if [[ -n "${FUZZ_NO_BUILD:-}" ]]; then
  :
elif [[ ! -f "$build/build.ninja" ]]; then
  launcher=()
  if command -v ccache >/dev/null; then
    launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  fi
  CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DTLSGATE_FUZZ=ON \
    -DTLSGATE_BUILD_TESTS=ON "${launcher[@]}" >"$build.configure.log" 2>&1 || {
    cat "$build.configure.log" >&2
    exit 2
  }
  rm -f "$build.configure.log"
fi
binaries=()
for target in "${targets[@]}"; do
  binaries+=("fuzz_$target")
done
if [[ -z "${FUZZ_NO_BUILD:-}" ]] &&
  ! locked cmake --build "$build" --target "${binaries[@]}" >"$build/fuzz-build.log" 2>&1; then
  tail -n 40 "$build/fuzz-build.log" >&2
  echo "fuzz-run: the build failed (log: $build/fuzz-build.log)" >&2
  exit 2
fi

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$findings"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Runs one target in $scratch/<target>/ and leaves its exit status there.
fuzz() {
  local target=$1 work="$scratch/$1"
  mkdir -p "$work/corpus" "$work/artifacts"
  cp -R "$corpora/$target/." "$work/corpus/"
  local status=0
  (cd "$work" && "$build/tests/fuzz/fuzz_$target" -max_total_time="$seconds" \
    -rss_limit_mb="$rss_limit" -timeout="$timeout" -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" corpus </dev/null >"$work/log" 2>&1) || status=$?
  echo "$status" >"$work/status"
}

# libFuzzer's last status line: "#123 DONE cov: 456 ft: 789 corp: 12/3456b ...".
field() {
  sed -n "s/.* $1: \([0-9][0-9]*\).*/\1/p" "$2" | tail -n 1
}

failed=0
report() {
  local target=$1 work="$scratch/$1"
  local status runs cov corpus result artifact
  status=$(cat "$work/status")
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -n 1)
  cov=$(field cov "$work/log")
  corpus=$(sed -n 's/.* corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p' "$work/log" | tail -n 1)
  artifact=$(find "$work/artifacts" -type f | head -n 1)
  result=ok
  if [[ -n "$artifact" ]]; then
    result=$(basename "$artifact" | sed 's/-.*//')
  elif [[ "$status" != 0 ]]; then
    result="failed(exit $status)"
  fi
  printf '%-16s runs=%-10s cov=%-6s corpus=%-12s %s\n' "$target" "${runs:-?}" "${cov:-?}" \
    "${corpus:-?}" "$result"
  if [[ "$result" == ok ]]; then
    return
  fi
  failed=1
  local kept="$findings/$target.log"
  cp "$work/log" "$kept"
  if [[ -n "$artifact" ]]; then
    cp "$artifact" "$findings/$target-$(basename "$artifact")"
    echo "  reproducer: $findings/$target-$(basename "$artifact")"
    echo "  replay:     $build/tests/fuzz/fuzz_$target $findings/$target-$(basename "$artifact")"
  fi
  echo "  log:        $kept"
  # The sanitizer's or libFuzzer's report: its first line and the frames
  # of tlsgate's own code, then the summary.
  {
    grep -m 1 -E '^==[0-9]+== ?ERROR' "$work/log" || true
    grep -E '^ +#[0-9]+ .* (/[^ ]*)?(lib|tests|daemon)/' "$work/log" |
      grep -v -e 'fuzzer::' -e ' /usr/' | head -n 12 || true
    grep -E '^SUMMARY' "$work/log" || true
  } | sed 's/^/  | /'
}

echo "fuzz-run: ${#targets[@]} targets, ${seconds}s each, $jobs at a time"
running=()
for target in "${targets[@]}"; do
  if [[ ${#running[@]} -ge $jobs ]]; then
    wait "${running[0]}"
    running=("${running[@]:1}")
  fi
  fuzz "$target" &
  running+=($!)
done
wait
for target in "${targets[@]}"; do
  report "$target"
done
exit "$failed"
