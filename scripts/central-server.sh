#!/usr/bin/env bash
# A central server for tests and the demo: nginx on loopback, HTTPS with a generated certificate,
# serving DIR (policies live in DIR/policies/). Its state (config, certificate, logs, pid) is kept
# in DIR/.central-server/, which it never serves.
#
#   central-server.sh start DIR   prints "url=https://localhost:PORT" and "cert=PATH" (trust that
#                                 certificate to talk to it), then returns; nginx keeps running
#   central-server.sh start DIR PORT  the same on a given port (to bring a server back where it was)
#   central-server.sh stop DIR    stops it
set -euo pipefail
cmd="${1:-}"; dir="${2:-}"; fixed_port="${3:-}"
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start|stop DIR" >&2; exit 2; }
dir="$(cd "$dir" && pwd)"
state="$dir/.central-server"
nginx_bin="$(command -v nginx || echo /usr/sbin/nginx)"

case "$cmd" in
stop)
  if [ -f "$state/nginx.pid" ]; then
    kill "$(cat "$state/nginx.pid")" 2>/dev/null || true
    for _ in $(seq 50); do [ -f "$state/nginx.pid" ] || break; sleep 0.1; done
  fi
  exit 0 ;;
start) ;;
*) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac

[ -x "$nginx_bin" ] || { echo "central-server: nginx is not installed (apt-get install nginx)" >&2; exit 2; }
if [ -f "$state/nginx.pid" ] && kill -0 "$(cat "$state/nginx.pid")" 2>/dev/null; then
  cat "$state/started"   # already running: same answer as when it started
  exit 0
fi
mkdir -p "$state/tmp"
if [ ! -f "$state/cert.pem" ]; then
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 90 \
    -subj "/CN=trustagent central server" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$state/key.pem" -out "$state/cert.pem" 2>/dev/null
fi
user_line=""
[ "$(id -u)" -eq 0 ] && user_line="user root;"   # workers must read a private temp dir

# nginx cannot listen on port 0 and report the port, so try free-looking ports until one binds.
for _ in $(seq 30); do
  port=${fixed_port:-$(( 20000 + RANDOM % 40000 ))}
  cat > "$state/nginx.conf" <<CONF
$user_line
worker_processes 1;
daemon on;
pid $state/nginx.pid;
error_log $state/error.log;
events { worker_connections 64; }
http {
  access_log $state/access.log;
  client_body_temp_path $state/tmp/body;
  proxy_temp_path $state/tmp/proxy;
  fastcgi_temp_path $state/tmp/fastcgi;
  uwsgi_temp_path $state/tmp/uwsgi;
  scgi_temp_path $state/tmp/scgi;
  types { application/xml xml; }
  default_type application/octet-stream;
  server {
    listen 127.0.0.1:$port ssl;
    server_name localhost;
    ssl_certificate $state/cert.pem;
    ssl_certificate_key $state/key.pem;
    root $dir;
    location /.central-server/ { deny all; }
    location /slow/ { limit_rate 32k; }   # for tests of a server that trickles its answer
  }
}
CONF
  if "$nginx_bin" -p "$state" -c "$state/nginx.conf" 2>>"$state/start.log"; then
    printf 'url=https://localhost:%s\ncert=%s\n' "$port" "$state/cert.pem" | tee "$state/started"
    exit 0
  fi
  [ -n "$fixed_port" ] && break
done
echo "central-server: nginx did not start; see $state/error.log and $state/start.log" >&2
exit 1
