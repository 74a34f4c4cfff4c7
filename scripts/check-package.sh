#!/usr/bin/env bash
# Builds the .deb from a configured build directory and checks it: the files an operator needs are
# in it, the settings file is a conffile, and the binary it carries runs. Used by ctest.
set -euo pipefail
build="${1:?usage: check-package.sh BUILD_DIR}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
(cd "$build" && cpack -G DEB -B "$out" >/dev/null)
deb="$(ls "$out"/*.deb)"
contents="$(dpkg-deb --contents "$deb")"
for f in ./usr/bin/trustagent ./usr/lib/systemd/system/trustagent.service \
         ./opt/trustagent/etc/trustagent.conf ./opt/trustagent/var/policies/ \
         ./opt/trustagent/etc/hooks.d/ ./usr/share/trustagent/com.trustagent.agent.plist; do
  grep -qF " $f" <<<"$contents" || { echo "package lacks $f" >&2; exit 1; }
done
dpkg-deb --ctrl-tarfile "$deb" | tar -xO ./conffiles | grep -qx /opt/trustagent/etc/trustagent.conf \
  || { echo "trustagent.conf is not a conffile" >&2; exit 1; }
dpkg-deb -x "$deb" "$out/root"
version="$("$out/root/usr/bin/trustagent" --version)"
"$out/root/usr/bin/trustagent" --help | grep -q "Exit codes" || { echo "--help lacks exit codes" >&2; exit 1; }
grep -q '^ExecStart=/usr/bin/trustagent run' "$out/root/usr/lib/systemd/system/trustagent.service"
echo "package ok: $(basename "$deb"), trustagent $version"
