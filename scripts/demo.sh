#!/usr/bin/env bash
# The trustagent story so far, on a fresh Debian machine: installs what is missing, builds, makes
# certificates, starts a TLS server on loopback, and walks the agent through fetch, connect and the
# merged trust store's life in a temporary home. Everything it creates is removed at the end.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
"$root/scripts/setup.sh"
"$root/scripts/build.sh" >/dev/null
ta="${BUILD_DIR:-$root/build}/trustagent"

work="$(mktemp -d /tmp/trustagent-demo-XXXXXX)"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  "$root/scripts/central-server.sh" stop "$work/central" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
home="$work/home"
mkdir -p "$home/etc" "$work/certs" "$work/corp"
export TRUSTAGENT_HOME="$home"
cd "$work/certs"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@" || printf '(exit %d)\n' "$?"; }

step "Certificates: a corporate root, the notification server's leaf, a site server, a stray one"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 -subj "/CN=Demo Corp Root" \
  -keyout root.key -out root.pem 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
  -keyout ns.key -out ns.csr 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > san.ext
openssl x509 -req -in ns.csr -CA root.pem -CAkey root.key -CAcreateserial -days 90 \
  -extfile san.ext -out ns.pem 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 -subj "/CN=Site Server" \
  -keyout site.key -out site.pem 2>/dev/null
openssl x509 -in root.pem -outform DER -out root.cer           # a Windows "DER encoded" export
openssl crl2pkcs7 -nocrl -certfile site.pem -out site.p7b      # a PKCS#7 bundle
cat ns.key root.pem > "$work/corp/bundle.pem"                  # an admin bundle with a key in it
chmod 644 "$work/corp/bundle.pem"
ls -1 "$work/certs"

step "A TLS server on loopback, presenting the notification server's certificate"
openssl s_server -accept 0 -cert ns.pem -key ns.key -www > "$work/s_server.log" 2>&1 &
server_pid=$!
for _ in $(seq 50); do grep -q ACCEPT "$work/s_server.log" && break; sleep 0.1; done
port="$(sed -n 's/.*ACCEPT.*:\([0-9]*\)$/\1/p' "$work/s_server.log" | head -1)"
echo "listening on port $port"

step "connect to a server the store does not know: refused, and it says why (exit 1)"
run "$ta" connect "localhost:$port"

step "fetch without a fingerprint and without a terminal: the chain is shown, nothing is trusted"
run "$ta" fetch "localhost:$port"

step "fetch with the fingerprint the server's owner gave us: stored in cainfo.pem"
ns_fp="$(openssl x509 -in ns.pem -noout -fingerprint -sha256 | cut -d= -f2)"
run "$ta" fetch "localhost:$port" --fingerprint "$ns_fp"

step "connect: one handshake, and the anchor that authenticated the server"
run "$ta" connect "localhost:$port"

step "Trust the corporate root (DER file) and the site server (PKCS#7)"
run "$ta" add "$work/certs/root.cer"
run "$ta" add --site "$work/certs/site.p7b"

step "Nothing changed: merge costs a stat per source"
run "$ta" merge

step "curl authenticates the server with the merged store"
run curl -sS -o /dev/null -w 'HTTP %{http_code} via %{url_effective}\n' \
  --cacert "$home/etc/cainfo-merged.pem" "https://localhost:$port/"

step "An admin CA bundle that carries a private key: the key is skipped, never copied (exit 2)"
run "$ta" merge --ca-file "$work/corp/bundle.pem"
grep -c "PRIVATE KEY" "$home/etc/cainfo-merged.pem" || echo "no key material in the store"

step "A world-writable CA file is refused: any local user could add an anchor through it"
cp site.pem "$work/corp/open.pem"; chmod 666 "$work/corp/open.pem"
run "$ta" merge --ca-file "$work/corp/open.pem"

step "The store, annotated, in order"
run "$ta" list
sed -n '1,12p' "$home/etc/cainfo-merged.pem"

step "Someone edits the merged store by hand: the next merge restores it"
echo "# hand edit" >> "$home/etc/cainfo-merged.pem"
run "$ta" merge

step "cainfo.pem truncated by accident: its anchors are not dropped, the store is kept (exit 2)"
cp "$home/etc/cainfo.pem" "$work/cainfo.backup"; : > "$home/etc/cainfo.pem"
run "$ta" merge
cp "$work/cainfo.backup" "$home/etc/cainfo.pem"
run "$ta" merge

step "A hook is told what changed; then the site server is removed"
mkdir -p "$home/etc/hooks.d"
printf '#!/bin/sh\necho "hook: $TRUSTAGENT_ADDED added, $TRUSTAGENT_REMOVED removed"; cat\n' > "$home/etc/hooks.d/10-log"
chmod 755 "$home/etc/hooks.d/10-log"
site_fp="$(openssl x509 -in site.pem -noout -fingerprint -sha256 | cut -d= -f2)"
run "$ta" remove "$site_fp"

step "A central server (nginx on loopback) publishes two policies; one names an extra CA file"
mkdir -p "$work/central/policies"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 365 -subj "/CN=Policy CA" \
  -keyout /dev/null -out "$work/corp/policy-ca.pem" 2>/dev/null
chmod 644 "$work/corp/policy-ca.pem"
cat > "$work/central/policies/targeted.xml" <<XML
<Policy guid="6f0c2a1e-targeted" name="Targeted Agent Settings" revision="12" priority="10">
  <CurlSSL SSLNSPublicHttpsCertFingerprint="" SSLVerifyPeer="yes" SSLVerifyHost="yes"
           CAInfo="$work/corp/policy-ca.pem" CAPath="" UseSystemCAStore="no"/>
  <Refresh IntervalSeconds="3600" JitterSeconds="300"/>
</Policy>
XML
cat > "$work/central/policies/refresh.xml" <<XML
<Policy guid="9b1d-refresh" name="Refresh schedule" revision="3" priority="20">
  <Refresh IntervalSeconds="600" JitterSeconds="60"/>
</Policy>
XML
run "$ta" policy publish "$work/central/policies"
central="$("$root/scripts/central-server.sh" start "$work/central")"
echo "$central"
central_url="$(echo "$central" | sed -n 's/^url=//p')"
central_cert="$(echo "$central" | sed -n 's/^cert=//p')"
central_fp="$(openssl x509 -in "$central_cert" -noout -fingerprint -sha256 | cut -d= -f2)"
run "$ta" fetch "${central_url#https://}" --fingerprint "$central_fp" --site

step "One policy refresh: both policies stored AND applied (the CA file is merged now, not next time)"
run "$ta" policy refresh --server "$central_url"
run "$ta" policy show

step "Nothing changed on the server: one conditional GET answered 304, nothing written"
run "$ta" policy refresh --server "$central_url"

step "A pin that does not match the server: refused before any request is sent (exit 1)"
run "$ta" connect "localhost:$port" --pin "sha256:$(printf '%064d' 0)"

step "Machine-readable"
run "$ta" merge --json

echo
echo "demo finished; the temporary home $home is removed on exit"
