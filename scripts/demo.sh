#!/usr/bin/env bash
# make demo: a local stack (cloud broker, site broker, tidewire-cloud, tidewire-edge) and
# 1,000 simulated devices, all on loopback, with generated configs under ./run/.
# TW_DEMO_TLS=1 runs every MQTT hop over TLS with a throwaway CA made in run/tls/.
# Ctrl-C or SIGTERM stops every process cleanly.
set -euo pipefail
build=${1:-build}
port=${TW_DEMO_HTTP_PORT:-8080}
tls=()
case "${TW_DEMO_TLS:-0}" in
  1|true|yes|on) tls=(--tls) ;;
  0|false|no|off|"") ;;
  *) echo "TW_DEMO_TLS must be 1 or 0, not '${TW_DEMO_TLS}'" >&2; exit 2 ;;
esac
exec "$build/bin/tidewire-sim" demo --run-dir run --http-port "$port" --devices "${TW_DEMO_DEVICES:-1000}" "${tls[@]}"
