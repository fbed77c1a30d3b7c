#!/usr/bin/env bash
# Fan-out benchmark, by hand (not part of the test suite):
#   bash bench/coediting/run.sh "10 100" 2      # client counts, rounds (A B A B)
# Server pinned to core 0, load generator to core 1; Python (JointLab, SQLite,
# in-process defaults) and Node (socket.io 4.8 + in-memory Y.Doc) alternate.
set -euo pipefail
cd "$(dirname "$0")/../.."
. .venv/bin/activate
NS=${1:-"10 100"}; ROUNDS=${2:-2}; RATE=${RATE:-50}; SECS=${SECS:-10}
(cd bench/coediting && [ -d node_modules ] || npm ci --no-audit --no-fund >/dev/null)
WORK=$(mktemp -d /tmp/jl-bench.XXXXXX)
PYPORT=5071; NODEPORT=5072
export INSTANCE_PATH=$WORK/instance DATABASE_URL=sqlite:///$WORK/bench.db JOINTLAB_NO_DEMO=1
SETUP=$(PYTHONPATH=$PWD python bench/coediting/setup_python.py)
TOKEN=$(echo "$SETUP" | python -c 'import json,sys; print(json.load(sys.stdin)["token"])')
DOC=$(echo "$SETUP" | python -c 'import json,sys; print(json.load(sys.stdin)["document_id"])')
PORT=$PYPORT taskset -c 0 python wsgi.py >"$WORK/py.log" 2>&1 & PY=$!
taskset -c 0 node bench/coediting/node_server.mjs $NODEPORT >"$WORK/node.log" 2>&1 & NODE=$!
trap 'kill $PY $NODE 2>/dev/null; rm -rf $WORK' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PYPORT/healthz" >/dev/null && break; sleep 0.1; done
sleep 0.5
for N in $NS; do
  for R in $(seq "$ROUNDS"); do
    echo "python N=$N round=$R $(taskset -c 1 node bench/coediting/load.mjs http://127.0.0.1:$PYPORT "$DOC" "$N" "$RATE" "$SECS" "$TOKEN")"
    echo "node   N=$N round=$R $(taskset -c 1 node bench/coediting/load.mjs http://127.0.0.1:$NODEPORT 1 "$N" "$RATE" "$SECS")"
  done
done
echo "python server RSS: $(ps -o rss= -p $PY) KB; node server RSS: $(ps -o rss= -p $NODE) KB"
