#!/usr/bin/env bash
# Builds a package (deb, the default, or rpm) from a configured build directory and checks it: the
# files an operator needs are in it, the settings file is a conffile that an upgrade keeps, and the
# binary it carries runs. Used by ctest.
set -euo pipefail
build="${1:?usage: check-package.sh BUILD_DIR [deb|rpm]}"
kind="${2:-deb}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
generator="$(tr '[:lower:]' '[:upper:]' <<<"$kind")"
(cd "$build" && cpack -G "$generator" -B "$out" >/dev/null)
pkg="$(ls "$out"/*."$kind")"
mkdir "$out/root"
case "$kind" in
  deb)
    contents="$(dpkg-deb --contents "$pkg" | awk '{print $NF}' | sed 's|^\.||; s|/$||')"
    dpkg-deb --ctrl-tarfile "$pkg" | tar -xO ./conffiles | grep -qx /opt/trustagent/etc/trustagent.conf \
      || { echo "trustagent.conf is not a conffile" >&2; exit 1; }
    dpkg-deb -x "$pkg" "$out/root"
    ;;
  rpm)
    contents="$(rpm -qlp "$pkg" 2>/dev/null)"
    # FILEFLAGS: c = %config, n = noreplace (an upgrade writes .rpmnew beside the operator's file).
    flags="$(rpm -qp --qf '[%{FILENAMES} %{FILEFLAGS:fflags}\n]' "$pkg" 2>/dev/null |
             awk '$1 == "/opt/trustagent/etc/trustagent.conf" {print $2}')"
    [[ "$flags" == *c* && "$flags" == *n* ]] \
      || { echo "trustagent.conf is not %config(noreplace) (flags '$flags')" >&2; exit 1; }
    if rpm -qp --qf '[%{FILENAMES}\n]' "$pkg" 2>/dev/null | grep -qx -e /opt -e /usr/lib/systemd; then
      echo "the package claims a directory the system owns" >&2; exit 1
    fi
    (cd "$out" && rpm2archive "$pkg" >/dev/null && tar -xzf "$pkg.tgz" -C "$out/root")
    ;;
  *) echo "check-package.sh: unknown package kind '$kind'" >&2; exit 2 ;;
esac
for f in /usr/bin/trustagent /usr/lib/systemd/system/trustagent.service \
         /opt/trustagent/etc/trustagent.conf /opt/trustagent/var/policies \
         /opt/trustagent/etc/hooks.d /usr/share/trustagent/com.trustagent.agent.plist; do
  grep -qx -- "$f" <<<"$contents" || { echo "package lacks $f" >&2; exit 1; }
done
version="$("$out/root/usr/bin/trustagent" --version)"
"$out/root/usr/bin/trustagent" --help | grep -q "Exit codes" || { echo "--help lacks exit codes" >&2; exit 1; }
grep -q '^ExecStart=/usr/bin/trustagent run' "$out/root/usr/lib/systemd/system/trustagent.service"
echo "package ok: $(basename "$pkg"), trustagent $version"
