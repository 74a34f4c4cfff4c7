#!/usr/bin/env bash
# Peer benchmarks: trustagent's benchmark programs, then, on the same inputs (the system bundle plus
# 10,000 generated certificates), the tools a user would use instead, in one table with medians
# and ratios. Prints the date and machine first; README's Performance section shows its output.
#
#   merge:   trustagent merge (cold and warm cache, one process each) against cat (the byte-copy
#            floor), p11-kit's `trust extract`, and a scripted openssl de-duplicating merge;
#   connect: connect_bench's own table (trustagent connect, curl --cacert, the legacy
#            one-handshake-per-anchor loop);
#   scale:   scale_bench, the everyday commands at 10,000 and 100,000 anchors and the ratio
#            between them (linear work costs about 10x; the target is at most 12x), and the idle
#            daemon's memory over 60 cycles.
#
# --peers-only skips the two benchmark programs (the merge peers still need merge_bench's inputs).
set -euo pipefail
peers_only=false
[ "${1:-}" = "--peers-only" ] && peers_only=true
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
if ! command -v trust >/dev/null; then
  apt-get install -y -qq --no-install-recommends p11-kit >/dev/null
fi
"$root/scripts/build.sh" >/dev/null
build="${BUILD_DIR:-$root/build}"
ta="$build/trustagent"
work="$(mktemp -d /tmp/trustagent-bench-XXXXXX)"
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT

echo "trustagent peer benchmarks, $(date -u +%Y-%m-%d), $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)"
echo "$(. /etc/os-release && echo "$PRETTY_NAME"), $(openssl version | cut -d' ' -f1-2), p11-kit $(dpkg-query -W -f='${Version}' p11-kit 2>/dev/null)"

if ! $peers_only; then
  echo
  echo "== merge_bench (in-process figures and targets)"
  "$build/tests/bench/merge_bench" 2>/dev/null | sed -n '/^Summary/,$p' | tee "$work/merge_bench.txt"
  echo
  echo "== connect_bench (whole processes, one verified HTTPS request to openssl s_server)"
  "$build/tests/bench/connect_bench" 2>/dev/null | sed -n '/^Summary/,$p' | tee "$work/connect_bench.txt"
  echo
  echo "== base64_bench (the PEM body decoder against EVP_DecodeUpdate, 10,000 bodies)"
  "$build/tests/bench/base64_bench" 2>/dev/null | grep '^BM_'
  echo
  echo "== scale_bench (whole processes at 10,000 and 100,000 anchors; inputs kept in bench-inputs/)"
  "$build/tests/bench/scale_bench" 2>/dev/null | sed -n '/^Summary/,$p'
fi

bundle=/etc/ssl/certs/ca-certificates.crt
generated="$build/bench-inputs/generated-10000.pem"   # made by merge_bench
[ -f "$generated" ] || { echo "bench: $generated missing (merge_bench makes it)" >&2; exit 1; }
total=$(( $(grep -c 'BEGIN CERTIFICATE' "$bundle") + $(grep -c 'BEGIN CERTIFICATE' "$generated") ))

# median_ms RUNS COMMAND...: run COMMAND RUNS times, print the median wall time in ms.
median_ms() {
  local runs="$1" i start end
  shift
  local times=()
  for ((i = 0; i < runs; i++)); do
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1
    end=$(date +%s%N)
    times+=($(( (end - start) / 1000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1000}'
}

# trustagent: the bundle as cainfo.pem, the 10,000 as an admin CA file.
home="$work/home"
mkdir -p "$home/etc" "$work/corp"
cp "$bundle" "$home/etc/cainfo.pem"
cp "$generated" "$work/corp/generated.pem"
cold_merge() { rm -rf "$home/var" "$home/etc/cainfo-merged."*; "$ta" merge --home "$home" --ca-file "$work/corp/generated.pem"; }
warm_merge() { "$ta" merge --force --home "$home" --ca-file "$work/corp/generated.pem"; }
nochange_merge() { "$ta" merge --home "$home" --ca-file "$work/corp/generated.pem"; }
copy_floor() { cat "$bundle" "$generated" > "$work/cat.pem"; }

# p11-kit: the same files as anchors of a trust module of our own (a user's module config is
# honoured for non-root users, so it runs as nobody when we are root).
p11="$work/p11"
mkdir -p "$p11/home/.config/pkcs11/modules" "$p11/source/anchors"
cp "$bundle" "$generated" "$p11/source/anchors/"
printf 'module: p11-kit-trust.so\npriority: 1\ntrust-policy: yes\nx-init-reserved: paths=%s\n' \
  "$p11/source" > "$p11/home/.config/pkcs11/modules/p11-kit-trust.module"
chmod -R a+rwX "$p11"
as_user=()
[ "$(id -u)" -eq 0 ] && as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
p11_extract() {
  "${as_user[@]}" env HOME="$p11/home" trust extract --overwrite --format=pem-bundle \
    --filter=certificates --purpose server-auth "$p11/out.pem"
}

# A scripted openssl merge, as an administrator would write one: split, fingerprint each
# certificate with openssl, keep the first of each fingerprint, concatenate.
openssl_merge() {
  local dir="$work/split" f fp
  rm -rf "$dir"; mkdir -p "$dir"
  cat "$bundle" "$generated" | awk -v d="$dir" '/BEGIN CERTIFICATE/{n++; f=sprintf("%s/%06d.pem", d, n)} f{print > f} /END CERTIFICATE/{close(f); f=""}'
  declare -A seen=()
  : > "$work/openssl-merged.pem"
  for f in "$dir"/*.pem; do
    fp=$(openssl x509 -in "$f" -noout -fingerprint -sha256 2>/dev/null) || continue
    [ -n "${seen[$fp]:-}" ] && continue
    seen[$fp]=1
    cat "$f" >> "$work/openssl-merged.pem"
  done
}

echo
echo "== merge peers on the same $total certificates (whole processes, wall time)"
t_cold=$(median_ms 3 cold_merge)
t_warm=$(median_ms 3 warm_merge)
t_none=$(median_ms 11 nochange_merge)
t_cat=$(median_ms 5 copy_floor)
t_p11=$(median_ms 3 p11_extract)
p11_count=$(grep -c 'BEGIN CERTIFICATE' "$p11/out.pem" || true)
t_ossl=$(median_ms 1 openssl_merge)
ossl_count=$(grep -c 'BEGIN CERTIFICATE' "$work/openssl-merged.pem" || true)
ta_count=$(grep -c 'BEGIN CERTIFICATE' "$home/etc/cainfo-merged.pem")
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2fx", a / b}'; }

# The one table: each task, trustagent's median, each peer's median, and peer / trustagent.
rows="$work/rows"
: > "$rows"
row() { printf '%s|%s|%s|%s|%s\n' "$1" "$2" "$3" "$4" "$5" >> "$rows"; }
if [ -s "$work/connect_bench.txt" ]; then
  while read -r n ta curl legacy _; do
    row "connect, $n anchors" "$ta" "curl --cacert" "$curl" "$(ratio "$curl" "$ta")"
    row "connect, $n anchors" "$ta" "legacy loop (in-process)" "$legacy" "$(ratio "$legacy" "$ta")"
  done < <(awk '$1 ~ /^[0-9]+$/ && $2 ~ /^[0-9.]+$/ && NF >= 4 {print $1, $2, $3, $4}' "$work/connect_bench.txt")
fi
row "merge $total, cold" "$t_cold" "cat (copy only)" "$t_cat" "$(ratio "$t_cat" "$t_cold")"
row "merge $total, cold" "$t_cold" "p11-kit trust extract" "$t_p11" "$(ratio "$t_p11" "$t_cold")"
row "merge $total, cold" "$t_cold" "scripted openssl merge" "$t_ossl" "$(ratio "$t_ossl" "$t_cold")"
row "merge $total, warm cache" "$t_warm" "p11-kit trust extract" "$t_p11" "$(ratio "$t_p11" "$t_warm")"
row "merge $total, nothing changed" "$t_none" "cat (copy only)" "$t_cat" "$(ratio "$t_cat" "$t_none")"

echo
echo "== peer comparison (medians in ms; ratio = peer / trustagent, above 1 means trustagent is faster)"
echo "   anchors written: trustagent $ta_count, p11-kit $p11_count, openssl script $ossl_count, of $total"
printf '%-32s %12s  %-26s %12s %10s\n' "task" "trustagent" "peer" "peer" "ratio"
while IFS='|' read -r task ta peer peer_ms r; do
  printf '%-32s %12s  %-26s %12s %10s\n' "$task" "$ta" "$peer" "$peer_ms" "$r"
done < "$rows"
