#!/usr/bin/env bash
# The tree's house rules, as CI checks them:
#
#   scripts/check-tree.sh BUILD_DIR
#
# 1. Every C++ file is formatted as .clang-format says (clang-format 14).
# 2. clang-tidy, with .clang-tidy's checks, reports nothing on lib/, daemon/
#    and tests/. BUILD_DIR must hold compile_commands.json (every configured
#    build writes one). The clang static analyzer checks run on lib/ and
#    daemon/, the code that ships; on tests/ they are left out, which halves
#    the time the whole run takes.
#
# Any finding fails the script and is printed with its file and line.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

build=${1:?usage: scripts/check-tree.sh BUILD_DIR}
if [[ ! -f "$build/compile_commands.json" ]]; then
  echo "check-tree.sh: $build/compile_commands.json is missing; configure the build first" >&2
  exit 2
fi

echo "check-tree.sh: clang-format"
mapfile -t sources < <(git ls-files '*.cc' '*.h')
if ! clang-format --dry-run -Werror "${sources[@]}"; then
  echo "check-tree.sh: the files above are not formatted; run clang-format -i on them" >&2
  exit 1
fi

jobs=$(nproc)
tidy() {
  local label=$1 regex=$2
  shift 2
  local log
  log=$(mktemp "${TMPDIR:-/tmp}/tlsgate-tidy.XXXXXX")
  echo "check-tree.sh: clang-tidy on $label"
  # run-clang-tidy fails only when clang-tidy cannot run; a finding is a
  # "warning:" line, so those are what fail the check.
  local status=0
  run-clang-tidy -p "$build" -j "$jobs" -quiet "$@" "$regex" >"$log" 2>&1 || status=$?
  local findings
  findings=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^[^ ]+:[0-9]+:[0-9]+: (warning|error):' | sort -u || true)
  if [[ -n "$findings" || $status -ne 0 ]]; then
    if [[ -n "$findings" ]]; then
      echo "$findings" >&2
    else
      cat "$log" >&2
    fi
    rm -f "$log"
    echo "check-tree.sh: clang-tidy found the problems above in $label" >&2
    exit 1
  fi
  rm -f "$log"
}
root=$(pwd)
tidy "lib/ and daemon/" "^$root/(lib|daemon)/.*\\.cc\$"
tidy "tests/" "^$root/tests/.*\\.cc\$" -checks='-clang-analyzer-*'
echo "check-tree.sh: the tree is clean"
