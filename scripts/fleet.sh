#!/usr/bin/env bash
# A fleet of real `trustagent run` daemons against one nginx central server on loopback, to see
# what the field sees: does a certificate switch lose endpoints, and does a fleet restarted during
# an outage hit the server all at once when it returns?
#
#   scripts/fleet.sh [N]     N daemons (default 50); about four minutes; prints one table
#
# Phase 1, a switch with its reserve published first: the central server's next certificate goes
# out as a <ReserveCertificate>; `trustagent readiness` counts from nginx's access log who holds it;
# then nginx switches to it. Lost = endpoints whose last cycle failed two intervals later.
# Phase 2, an outage with a restart: nginx stops, every daemon is restarted (a package upgrade,
# a power cut), nginx comes back. The table gives the busiest second of the first minute after.
# Phase 3, a switch without a reserve, unsigned policy: the endpoints lose the central server, and
# the reserve published late cannot reach them (only `trustagent fetch --fingerprint` by a person
# brings each back).
# Phase 4, the same with signed policy (the endpoints trust a policy signer): they keep taking
# signed policy from the server they no longer authenticate, so the late reserve reaches them.
# "Authenticated again" is `trustagent connect` to the central server from each endpoint, one
# interval (plus jitter) after the reserve was published.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
n="${1:-50}"
interval=10
jitter=5
"$root/scripts/setup.sh"
"$root/scripts/build.sh" >/dev/null
ta="${BUILD_DIR:-$root/build}/trustagent"

work="$(mktemp -d /tmp/trustagent-fleet-XXXXXX)"
central="$work/central"
state="$central/.central-server"
pids=()
stop_daemons() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}
cleanup() {
  stop_daemons
  "$root/scripts/central-server.sh" stop "$central" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$central/policies"

signed=0
publish() {  # publish REVISION [RESERVE_PEM]: signed with the fleet's signer once signed=1
  {
    printf '<Policy guid="fleet-1" revision="%s">\n' "$1"
    printf '  <Refresh IntervalSeconds="%s" JitterSeconds="%s"/>\n' "$interval" "$jitter"
    [ -n "${2:-}" ] && printf '  <ReserveCertificate>\n%s\n  </ReserveCertificate>\n' "$(cat "$2")"
    printf '</Policy>\n'
  } >"$central/policies/fleet-1.xml"
  touch -d "+$1 seconds" "$central/policies/fleet-1.xml"  # nginx's ETag is the mtime in seconds
  if [ "$signed" = 1 ]; then
    "$ta" policy publish "$central/policies" --sign-key "$work/signer.key" \
      --sign-cert "$work/signer.pem" >/dev/null
  else
    "$ta" policy publish "$central/policies" >/dev/null
  fi
}
authenticated() {  # endpoints whose store authenticates the central server right now
  local ok=0
  for i in $(seq "$n"); do
    "$ta" connect "$url/policies/index.xml" --home "$work/home$i" --timeout 5 >/dev/null 2>&1 &&
      ok=$((ok + 1))
  done
  echo "$ok"
}
new_certificate() {  # new_certificate NAME: a next certificate for the central server
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 90 \
    -subj "/CN=trustagent central server" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$work/$1.key" -out "$work/$1.pem" 2>/dev/null
}
switch_to() {  # switch_to NAME: nginx restarts on its port with that certificate
  "$root/scripts/central-server.sh" stop "$central" >/dev/null
  cp "$work/$1.pem" "$state/cert.pem"
  cp "$work/$1.key" "$state/key.pem"
  "$root/scripts/central-server.sh" start "$central" "$port" >/dev/null
}
start_daemons() {
  for i in $(seq "$n"); do
    "$ta" run --home "$work/home$i" --server "$url" --timeout 5 2>>"$work/home$i/daemon.log" &
    pids+=($!)
  done
}
cycles_failing() {  # endpoints whose last cycle failed
  local lost=0
  for i in $(seq "$n"); do
    grep -q '"result": "ok"' "$work/home$i/var/state/status.json" 2>/dev/null || lost=$((lost + 1))
  done
  echo "$lost"
}
busiest_second() {  # busiest_second FROM_LINE: requests in the busiest second of the log after it
  tail -n "+$1" "$state/access.log" | sed -n 's/.*\[\([^]]*\)\].*/\1/p' | sort | uniq -c |
    sort -rn | head -1 | awk '{print $1}'
}
spread_seconds() {
  tail -n "+$1" "$state/access.log" | sed -n 's/.*\[\([^]]*\)\].*/\1/p' | sort -u | wc -l
}
first_second() {  # first_second FROM_LINE: requests in the first second the server answered
  local first
  first="$(tail -n "+$1" "$state/access.log" | head -1 | sed -n 's/.*\[\([^]]*\)\].*/\1/p')"
  tail -n "+$1" "$state/access.log" | grep -cF "[$first]" || true
}
requests_since() { tail -n "+$1" "$state/access.log" | wc -l; }

publish 1
started="$("$root/scripts/central-server.sh" start "$central")"
url="$(printf '%s\n' "$started" | sed -n 's/^url=//p')"
port="${url##*:}"
cp "$state/cert.pem" "$work/first.pem"
for i in $(seq "$n"); do
  mkdir -p "$work/home$i"
  "$ta" add "$work/first.pem" --home "$work/home$i" >/dev/null
done
echo "fleet: $n daemons, interval ${interval} s, jitter ${jitter} s, central server $url"
start_daemons
sleep $((2 * (interval + jitter)))
echo "fleet: $(cycles_failing) of $n failing after start"

# Phase 1: the reserve first, then the switch.
new_certificate second
publish 2 "$work/second.pem"
sleep $((3 * (interval + jitter)))
reserve_sha="$(openssl x509 -in "$work/second.pem" -outform DER | sha256sum | cut -d' ' -f1)"
ready="$("$ta" readiness "$state/access.log" --reserve "$reserve_sha" | head -1)"
echo "fleet: before the switch: $ready"
switch_to second
sleep $((2 * (interval + jitter)))
lost1="$(cycles_failing)"

# Phase 2: an outage, every daemon restarted during it, the server back.
"$root/scripts/central-server.sh" stop "$central" >/dev/null
stop_daemons
start_daemons
sleep $((interval + jitter))
from=$(($(wc -l <"$state/access.log") + 1))
"$root/scripts/central-server.sh" start "$central" "$port" >/dev/null
sleep 60
busiest2="$(busiest_second "$from")"
first2="$(first_second "$from")"
total2="$(requests_since "$from")"
spread2="$(spread_seconds "$from")"
lost2="$(cycles_failing)"

# Phase 3: unsigned policy, a switch with no reserve, then the reserve published late.
new_certificate third
switch_to third
sleep $((2 * (interval + jitter)))
lost3="$(cycles_failing)"
publish 3 "$work/third.pem"
sleep $((interval + jitter + 3))
back3="$(authenticated)"

# Phase 4: the same fleet, reset by hand to trust the server again and a policy signer.
stop_daemons
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 90 \
  -subj "/CN=fleet policy signer" -addext "keyUsage=critical,digitalSignature" \
  -keyout "$work/signer.key" -out "$work/signer.pem" 2>/dev/null
signer_sha="$(openssl x509 -in "$work/signer.pem" -outform DER | sha256sum | cut -d' ' -f1)"
for i in $(seq "$n"); do
  "$ta" add "$work/third.pem" --home "$work/home$i" >/dev/null
  "$ta" policy trust-signer "$work/signer.pem" --fingerprint "$signer_sha" \
    --home "$work/home$i" >/dev/null
done
signed=1
publish 4
start_daemons
sleep $((2 * (interval + jitter)))
echo "fleet: signed policy: $(cycles_failing) of $n failing before the switch"
new_certificate fourth
switch_to fourth
sleep $((2 * (interval + jitter)))
lost4="$(cycles_failing)"
unauth4="$((n - $(authenticated)))"
warned4="$(grep -l central_server_unauthenticated "$work"/home*/var/state/status.json 2>/dev/null | wc -l)"
publish 5 "$work/fourth.pem"
sleep $((interval + jitter + 3))
back4="$(authenticated)"

printf '\n| phase | endpoints | lost | requests (first 60 s) | in the first second | busiest second | seconds with requests |\n'
printf '|---|---|---|---|---|---|---|\n'
printf '| switch after its reserve was published | %s | %s | | | | |\n' "$n" "$lost1"
printf '| outage, fleet restarted, server back | %s | %s | %s | %s | %s | %s |\n' \
  "$n" "$lost2" "$total2" "$first2" "${busiest2:-0}" "$spread2"

printf '\n| switch without a reserve | policy | endpoints | cut off from policy | authenticate the server again one interval after a late reserve, without a person |\n'
printf '|---|---|---|---|---|\n'
printf '| reserve published late | unsigned | %s | %s | %s |\n' "$n" "$lost3" "$back3"
printf '| reserve published late | signed | %s | %s (%s not authenticating the server; %s warn central_server_unauthenticated) | %s |\n' \
  "$n" "$lost4" "$unauth4" "$warned4" "$back4"
