#!/usr/bin/env bash
# Configures and builds trustagent into build/ (or $BUILD_DIR), warnings as errors (the project's
# own builds; a packager's plain cmake build does not set it). Extra arguments go to cmake.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"
cmake -S "$root" -B "$build" -G Ninja -DTRUSTAGENT_WERROR=ON -DTRUSTAGENT_TESTS=ON "$@" >/dev/null
cmake --build "$build" -j "$(nproc)"
