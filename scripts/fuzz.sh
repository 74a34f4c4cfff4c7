#!/usr/bin/env bash
# Builds the libFuzzer targets with clang, AddressSanitizer and UBSan (into build-fuzz/, or
# $FUZZ_BUILD_DIR) and runs each for SECONDS (default 60) on a working copy of its seed corpus
# (tests/fuzz/corpus/<target>, plus tests/data/corpus for the source reader). A crash or a violated
# property stops with exit 1 and leaves the input in <build>/artifacts/: copy it into
# tests/fuzz/corpus/<target>/ so that the replay test keeps it as a regression.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
seconds="${1:-60}"
build="${FUZZ_BUILD_DIR:-$root/build-fuzz}"
"$root/scripts/setup.sh"
CC=clang CXX=clang++ cmake -S "$root" -B "$build" -G Ninja -DTRUSTAGENT_FUZZ=ON -DASAN=ON -DTRUSTAGENT_WERROR=ON \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)"
mkdir -p "$build/artifacts"
status=0
for target in source_reader policy index signed_index pin store_parity; do
  work="$build/corpus/$target"
  mkdir -p "$work"
  cp -n "$root/tests/fuzz/corpus/$target/"* "$work/" 2>/dev/null || true
  extra=()
  if [ "$target" = source_reader ]; then
    extra=("$root/tests/data/corpus")
  fi
  echo "== $target: ${seconds}s"
  if ! "$build/tests/fuzz/${target}_fuzz" -max_total_time="$seconds" -max_len=65536 -timeout=10 \
      -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$build/artifacts/$target-" \
      "$work" "${extra[@]}" 2>"$build/$target.log"; then
    tail -30 "$build/$target.log"
    echo "fuzz: $target FAILED; the input is in $build/artifacts/" >&2
    status=1
    continue
  fi
  grep -E "stat::number_of_executed_units|stat::peak_rss_mb|cov:" "$build/$target.log" | tail -3
done
exit "$status"
