#!/usr/bin/env bash
# Installs or starts what the test suite needs beyond npm, only when missing:
# Debian's chromium (browser tests, never a downloaded browser), a local redis-server, and
# the Python peers of the interop tests (interop/python/): Debian's python3-socketio,
# python3-flask-socketio and python3-eventlet, with python3-requests and python3-websocket
# for the Python client's polling and WebSocket, and python3-redis for RedisManager (the
# publisher of packages/redis's Python channel tests), all in Debian's /usr/bin/python3.
set -euo pipefail

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
if ! /usr/bin/python3 -c 'import socketio, flask_socketio, eventlet, requests, websocket, redis' >/dev/null 2>&1; then
  need_apt+=(python3 python3-socketio python3-flask-socketio python3-eventlet python3-requests python3-websocket python3-redis)
fi
if [ "${#need_apt[@]}" -gt 0 ]; then
  echo "setup: installing ${need_apt[*]} from Debian's packages"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  echo "setup: starting redis-server on 127.0.0.1:6379"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 1 50); do
    (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null && break
    sleep 0.1
  done
fi
echo "setup: chromium $(chromium --version 2>/dev/null | awk '{print $2}'), redis on 127.0.0.1:6379, python-socketio $(/usr/bin/python3 -c 'import importlib.metadata as m; print(m.version("python-socketio"))' 2>/dev/null || echo missing)"
