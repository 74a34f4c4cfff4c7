#!/usr/bin/env bash
# The trustagent story on a fresh Debian machine: installs what is missing, builds, starts a
# "notification server" (openssl s_server) and a central policy server (nginx) on loopback, and
# walks the agent through fetch, policy refresh, connect, a certificate rollover with a reserve,
# status, lint, move, the daemon, and signed policy healing a central-server certificate switch,
# in a temporary home. Every step states what must happen and the demo stops with exit 1 the
# moment one does not; it exits 0 only when all did, and leaves no process or file behind.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
"$root/scripts/build.sh" >/dev/null
ta="${BUILD_DIR:-$root/build}/trustagent"

work="$(mktemp -d /tmp/trustagent-demo-XXXXXX)"
server_pid=""
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
  fi
}
cleanup() {
  stop_server
  "$root/scripts/central-server.sh" stop "$work/central" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
home="$work/home"
mkdir -p "$home/etc" "$work/certs" "$work/corp" "$work/central/policies"
export TRUSTAGENT_HOME="$home"
cd "$work/certs"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
# expect CODE COMMAND...: show the command and its output; stop the demo unless it exits CODE.
expect() {
  local want="$1" got=0
  shift
  printf '$ %s\n' "$*"
  "$@" || got=$?
  if [ "$got" != "$want" ]; then
    printf '\033[31mdemo FAILED: expected exit %s, got %s\033[0m\n' "$want" "$got" >&2
    exit 1
  fi
  [ "$want" = 0 ] || printf '(exit %s, as it should)\n' "$got"
}
fingerprint() { openssl x509 -in "$1" -noout -fingerprint -sha256 | cut -d= -f2; }
# A self-signed server certificate for localhost, valid for $2 days.
server_cert() {
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days "$2" \
    -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -addext "keyUsage=critical,digitalSignature" -addext "basicConstraints=critical,CA:FALSE" \
    -addext "extendedKeyUsage=serverAuth,clientAuth" -keyout "$1.key" -out "$1.pem" 2>/dev/null
}
serve() {  # serve NAME [PORT]: s_server with NAME.pem; sets server_pid and port
  : > "$work/s_server.log"
  openssl s_server -accept "${2:-0}" -cert "$1.pem" -key "$1.key" -www >"$work/s_server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 50); do grep -q ACCEPT "$work/s_server.log" && break; sleep 0.1; done
  grep -q ACCEPT "$work/s_server.log" || { echo "s_server did not start" >&2; exit 1; }
  # With port 0 it prints the port it got; with a given port just "ACCEPT".
  port="${2:-$(sed -n 's/.*ACCEPT.*:\([0-9]*\)$/\1/p' "$work/s_server.log" | head -1)}"
}

step "1. The notification server (TLS, self-signed, expiring in 20 days) and a central policy server start on loopback"
server_cert ns 20
serve ns
echo "notification server: localhost:$port ($(openssl x509 -in ns.pem -noout -enddate))"
printf 'server = localhost:%s\n' "$port" > "$home/etc/trustagent.conf"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 -subj "/CN=Policy CA" \
  -keyout /dev/null -out "$work/corp/policy-ca.pem" 2>/dev/null
chmod 644 "$work/corp/policy-ca.pem"
cat > "$work/central/policies/targeted.xml" <<XML
<Policy guid="6f0c2a1e-targeted" name="Targeted Agent Settings" revision="12" priority="10">
  <CurlSSL SSLNSPublicHttpsCertFingerprint="" SSLVerifyPeer="yes" SSLVerifyHost="yes"
           CAInfo="$work/corp/policy-ca.pem" CAPath="" UseSystemCAStore="no"/>
  <Refresh IntervalSeconds="600" JitterSeconds="60"/>
</Policy>
XML
expect 0 "$ta" policy publish "$work/central/policies"
central="$("$root/scripts/central-server.sh" start "$work/central")"
central_url="$(echo "$central" | sed -n 's/^url=//p')"
central_cert="$(echo "$central" | sed -n 's/^cert=//p')"
echo "central server: $central_url"

step "2. The store does not know the server yet: connect refuses, and fetch without a fingerprint trusts nothing"
expect 1 "$ta" connect
expect 1 "$ta" fetch "localhost:$port"

step "2. fetch with the fingerprint the server's owner gave us: stored in cainfo.pem"
expect 0 "$ta" fetch "localhost:$port" --fingerprint "$(fingerprint ns.pem)"
expect 0 "$ta" fetch "${central_url#https://}" --fingerprint "$(fingerprint "$central_cert")" --site

step "3. One policy refresh installs the policy AND applies it: its CA file is in the store at once"
expect 0 "$ta" policy refresh --server "$central_url"
expect 0 grep -c "CN=Policy CA" "$home/etc/cainfo-merged.pem"
step "3. Refresh again: one conditional GET answered 304, nothing written"
expect 0 "$ta" policy refresh --server "$central_url"

step "4. connect: one handshake against the whole store, and the anchor that authenticated the server"
expect 0 "$ta" connect

step "5. status: the server's certificate expires in 20 days and no reserve is known (exit 1)"
expect 1 "$ta" status

step "5. The server's next certificate is published by policy as a reserve, activating in 15 days"
server_cert ns-next 397
activate_at="$(date -u -d '+15 days' +%Y-%m-%dT%H:%M:%SZ)"
{
  printf '<Policy guid="c0ffee-reserve" name="Notification server rollover" revision="1" priority="30">\n'
  printf '  <ReserveCertificate ActivateAt="%s">\n' "$activate_at"
  cat ns-next.pem
  printf '  </ReserveCertificate>\n</Policy>\n'
} > "$work/central/policies/reserve.xml"
expect 0 "$ta" policy publish "$work/central/policies"
expect 0 "$ta" policy refresh --server "$central_url"
expect 0 "$ta" reserve list

step "5. status: the reserve is an anchor already; roles and days left; no warning now"
expect 0 "$ta" status

step "5. The server switches to its new certificate: connect still works, authenticated by the reserve"
stop_server
serve ns-next "$port"
expect 0 "$ta" connect
expect 0 "$ta" connect --json

step "5. The new certificate meets the common-certificate requirements; a weak one does not (exit 1)"
expect 0 "$ta" lint ns-next.pem --profile common --address localhost
openssl req -x509 -newkey rsa:1024 -sha1 -nodes -days 800 -subj "/CN=legacy" \
  -keyout /dev/null -out weak.pem 2>/dev/null
expect 1 "$ta" lint weak.pem --profile webserver --address localhost

step "Bad input never costs an anchor: a key in a CA bundle is skipped, a world-writable file refused (exit 2)"
cat ns.key "$work/corp/policy-ca.pem" > "$work/corp/bundle.pem"
chmod 644 "$work/corp/bundle.pem"
expect 2 "$ta" merge --ca-file "$work/corp/bundle.pem"
[ "$(grep -c 'PRIVATE KEY' "$home/etc/cainfo-merged.pem" || true)" = 0 ] && echo "no key material in the store"
cp "$work/corp/policy-ca.pem" "$work/corp/open.pem"
chmod 666 "$work/corp/open.pem"
expect 2 "$ta" merge --ca-file "$work/corp/open.pem"
expect 0 "$ta" merge
step "Someone edits the merged store by hand: the next merge restores it"
echo "# hand edit" >> "$home/etc/cainfo-merged.pem"
expect 0 "$ta" merge

step "move, checked but not committed: the server must authenticate with the new certificate first"
expect 0 "$ta" move --address localhost --port "$port" --fingerprint "$(fingerprint ns-next.pem)" --dry-run
expect 3 "$ta" move --address localhost --port 1 --cert ns-next.pem

step "The daemon, one cycle: refresh, apply, and status.json (what status --json shows)"
expect 0 "$ta" run --once --server "$central_url"
sed -n '1,12p' "$home/var/state/status.json"

step "7. Signed policy: the publisher signs the index; the endpoint trusts that signer by its fingerprint"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 \
  -subj "/CN=Demo policy signer" -addext "keyUsage=critical,digitalSignature" \
  -keyout signer.key -out signer.pem 2>/dev/null
expect 0 "$ta" policy publish "$work/central/policies" --sign-key signer.key --sign-cert signer.pem
expect 0 "$ta" policy trust-signer signer.pem --fingerprint "$(fingerprint signer.pem)"
expect 0 "$ta" policy refresh --server "$central_url"

step "7. The central server switches to a certificate this endpoint has never seen: connect refuses it"
central_port="${central_url##*:}"
"$root/scripts/central-server.sh" stop "$work/central"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 90 \
  -subj "/CN=trustagent central server (next)" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
  -keyout "$work/central/.central-server/key.pem" -out central-next.pem 2>/dev/null
cp central-next.pem "$work/central/.central-server/cert.pem"
"$root/scripts/central-server.sh" start "$work/central" "$central_port" >/dev/null
expect 1 "$ta" connect "$central_url/policies/index.xml"

step "7. A signed policy publishes it as a reserve: the endpoint takes it by signature and heals itself"
{
  printf '<Policy guid="c0ffee-central" name="Central server rollover" revision="1" priority="30">\n'
  printf '  <ReserveCertificate>\n'
  cat central-next.pem
  printf '  </ReserveCertificate>\n</Policy>\n'
} > "$work/central/policies/central.xml"
expect 0 "$ta" policy publish "$work/central/policies" --sign-key signer.key --sign-cert signer.pem
expect 0 "$ta" policy refresh --server "$central_url"
expect 0 "$ta" connect "$central_url/policies/index.xml"
expect 0 "$ta" policy refresh --server "$central_url" --full

step "8. Everything stops and is removed"
stop_server
"$root/scripts/central-server.sh" stop "$work/central"
if pgrep -f "$work" >/dev/null; then
  echo "demo FAILED: processes left running" >&2
  exit 1
fi
echo "no process left; the temporary home $home is removed on exit"
echo "demo finished: every step did what it says"
