#!/usr/bin/env bash
# Installs what trustagent needs to build and test, when it is missing (Debian 12, as root or with sudo).
set -euo pipefail

packages=(build-essential cmake ninja-build pkg-config openssl curl ca-certificates util-linux time
          libssl-dev libcurl4-openssl-dev libpugixml-dev libcli11-dev nlohmann-json3-dev
          libgtest-dev libgmock-dev libbenchmark-dev nginx clang libclang-rt-14-dev faketime rpm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  # Only nginx's binary is needed (tests start their own on loopback): keep the package from
  # starting a system-wide server on port 80 while it installs.
  guard=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
    $sudo chmod 755 /usr/sbin/policy-rc.d
    guard=/usr/sbin/policy-rc.d
    trap '$sudo rm -f "$guard"' EXIT  # removed however the install ends
  fi
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
