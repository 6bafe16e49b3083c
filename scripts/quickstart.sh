#!/usr/bin/env bash
# `make run`: starts the demo upstream and the gateway on examples/quickstart/kong.yml
# (embedded store, no Redis), and says where to send requests. Ctrl-C stops both.
set -euo pipefail
bin=${1:-build/gatehouse}
here=$(cd "$(dirname "$0")/.." && pwd)
/usr/bin/python3 "$here/examples/quickstart/demo_upstream.py" 9000 &
upstream=$!
trap 'kill $upstream 2>/dev/null || true' EXIT
cat <<MSG

  Gatehouse quickstart
  proxy:  http://127.0.0.1:8000     admin: http://127.0.0.1:8001

  try:
    curl -i http://127.0.0.1:8000/demo/hello
    curl -i http://127.0.0.1:8000/private                          # 401: no key
    curl -i -H 'apikey: alice-secret-key' http://127.0.0.1:8000/private
    curl -s http://127.0.0.1:8001/status
    curl -s http://127.0.0.1:8001/metrics | grep kong_http_requests_total

MSG
"$bin" run --declarative-config "$here/examples/quickstart/kong.yml" \
  --proxy-listen 127.0.0.1:8000 --admin-listen 127.0.0.1:8001
