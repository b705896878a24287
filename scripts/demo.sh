#!/usr/bin/env bash
# make demo: a local stack (cloud broker, site broker, tidewire-cloud, tidewire-edge) and
# 1,000 simulated devices, all on loopback, with generated configs under ./run/.
# Ctrl-C or SIGTERM stops every process cleanly.
set -euo pipefail
build=${1:-build}
port=${TW_DEMO_HTTP_PORT:-8080}
exec "$build/bin/tidewire-sim" demo --run-dir run --http-port "$port" --devices "${TW_DEMO_DEVICES:-1000}"
