#!/usr/bin/env bash
# Schemathesis over every operation of the OpenAPI document, with an admin key, against a real server on a
# fresh demo retailer (SQLite). Prints schemathesis' summary; exits non-zero when it finds a failure.
# Usage: bench/fuzz.sh [MAX_EXAMPLES]   (make fuzz installs schemathesis first)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$PWD/.venv/bin
work=$(mktemp -d)
port=$($BIN/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export OMS_DATABASE_URL="sqlite:///$work/oms.db" OMS_AUTH_FAILURES_PER_MINUTE=0 \
  OMS_BOOTSTRAP_ADMIN_KEY="fuzz-admin-$($BIN/python -c 'import secrets; print(secrets.token_hex(16))')" \
  OMS_SECRET_KEY="$($BIN/python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())')"
$BIN/oms demo >/dev/null
$BIN/oms serve --port "$port" >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 60); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.5; done
cd "$work"  # its cache and reports stay with the run
$BIN/schemathesis run "http://127.0.0.1:$port/openapi.json" --checks all -n "${1:-30}" --request-timeout 20 \
  -H "Authorization: Bearer $OMS_BOOTSTRAP_ADMIN_KEY"
