#!/usr/bin/env bash
# real-cache-check.sh - the shared-cache path end to end with REAL bitbake and REAL bitbake-hashserv,
# both from the pinned poky, both in the builder container (what CI cannot run: no poky there).
#
# Usage:
#   scripts/real-cache-check.sh --work DIR [--rewrite FROM=TO]... [--engine-arg ARG]...
#
#   --work DIR       a vvehicle work dir (sources are checked out into it; the builder image is built or
#                    reused there: run `vvehicle builder -w DIR --debootstrap-mirror URL` once beforehand
#                    on a machine without registry access)
#   --rewrite F=T    passed to vvehicle (e.g. the pinned repositories' URLs to local mirrors)
#   --engine-arg A   passed to vvehicle (e.g. --engine-arg=--runtime --engine-arg=runc)
#   --debootstrap-mirror URL   passed to vvehicle (the builder image made without a registry)
#
# Steps:
#   1. `vvehicle cache serve --bind 127.0.0.1:PORT --log-level debug` (PORT free, chosen now), in the background
#   2. `vvehicle check` with build.hashEquivalence: 127.0.0.1:PORT (parse + task graph, real bitbake)
#   3. the SERVER's own log must show bitbake's requests ("Handling get-stream"), and its database must exist
#   4. a --read-only server on the first one's database (what CI consumers and developers use); the pinned
#      poky's bitbake-hashclient reads (stats) and tries to write (stress --report), which it must refuse
#   5. SIGTERM to the servers: exit 130, their containers gone
# Exit status: 0 when the server was reached by bitbake, 1 otherwise, 2 on usage errors.
set -uo pipefail
cd "$(dirname "$0")/.."

WORK=""; PASS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --work) WORK=$2; shift 2 ;;
    --rewrite) PASS+=(--rewrite "$2"); shift 2 ;;
    --engine-arg) PASS+=("--engine-arg=$2"); shift 2 ;;
    --engine-arg=*) PASS+=("$1"); shift ;;
    --debootstrap-mirror) PASS+=(--debootstrap-mirror "$2"); shift 2 ;;
      *) echo "usage: $0 --work DIR [--rewrite FROM=TO]... [--engine-arg ARG]... [--debootstrap-mirror URL]" >&2; exit 2 ;;
  esac
done
[ -n "$WORK" ] || { echo "--work is required" >&2; exit 2; }
WORK=$(realpath -m "$WORK")
[ -f dist/cli.js ] || npm run --silent build

PORT=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
CONF_DIR=$(mktemp -d)
cat > "$CONF_DIR/vvehicle.yml" <<EOF
extends: gateway-qemuarm64
build:
  engine: podman
  hashEquivalence: 127.0.0.1:$PORT
EOF
SERVER_OUT="$CONF_DIR/serve.out"
echo "== 1. vvehicle cache serve --bind 127.0.0.1:$PORT"
setsid node dist/cli.js cache serve -c "$CONF_DIR/vvehicle.yml" -w "$WORK" --bind "127.0.0.1:$PORT" --log-level debug "${PASS[@]}" > "$SERVER_OUT" 2>&1 &
SERVER=$!
stop_server() { kill -TERM "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null; }
trap stop_server EXIT
for _ in $(seq 1 600); do
  grep -q 'hash equivalence server ready' "$SERVER_OUT" && break
  kill -0 "$SERVER" 2>/dev/null || { echo "FAIL: the server exited:"; tail -20 "$SERVER_OUT"; exit 1; }
  sleep 1
done
grep -A5 'hash equivalence server ready' "$SERVER_OUT" || { echo "FAIL: the server did not become ready"; exit 1; }
LOG=$(sed -n 's/^  log *//p' "$SERVER_OUT" | head -1)
CONTAINER=$(sed -n 's/^  container *//p' "$SERVER_OUT" | head -1)

echo "== 2. vvehicle check with build.hashEquivalence: 127.0.0.1:$PORT"
node dist/cli.js check -c "$CONF_DIR/vvehicle.yml" -w "$WORK" "${PASS[@]}"
CHECK=$?
echo "check exit code: $CHECK"
grep -n 'BB_HASHSERVE\|BB_SIGNATURE_HANDLER' "$WORK/build/vvehicle/conf/vvehicle.conf" 2>/dev/null || grep -rn 'BB_HASHSERVE' "$WORK"/build/*/conf/vvehicle.conf

echo "== 3. what the SERVER logged ($LOG)"
grep -c 'Handling get-stream' "$LOG" | sed 's/^/"Handling get-stream" lines: /'
grep -m3 -E 'Client .* connected|Handling ' "$LOG"
ls -l "$WORK/hashserv/"
REACHED=0; grep -q 'Handling get-stream' "$LOG" && REACHED=1

echo "== 4. a read-only server on the same database, for consumers (--read-only)"
PORT2=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
RO_OUT="$CONF_DIR/serve-ro.out"
setsid node dist/cli.js cache serve -c "$CONF_DIR/vvehicle.yml" -w "$WORK" --bind "127.0.0.1:$PORT2" --database "$WORK/hashserv/hashserv.db" \
  --read-only --log-level debug "${PASS[@]}" > "$RO_OUT" 2>&1 &
RO=$!
for _ in $(seq 1 300); do grep -q 'hash equivalence server ready' "$RO_OUT" && break; kill -0 "$RO" 2>/dev/null || break; sleep 1; done
grep -A1 'hash equivalence server ready' "$RO_OUT" || tail -5 "$RO_OUT"
IMAGE=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).image)' "$WORK/builder.json")
hashclient() { podman run --rm --network host --user 1001:1001 -v "$WORK/sources:$WORK/sources:ro" "$IMAGE" "$WORK/sources/poky/bitbake/bin/bitbake-hashclient" "$@"; }
echo "\$ bitbake-hashclient --address 127.0.0.1:$PORT2 stats   (the pinned poky's real client)"
hashclient --address "127.0.0.1:$PORT2" stats 2>&1 | tail -5
echo "\$ bitbake-hashclient --address 127.0.0.1:$PORT2 stress --report --clients 1 --requests 1   (a write: must be refused)"
hashclient --address "127.0.0.1:$PORT2" stress --report --clients 1 --requests 1 2>&1 | tail -3
RO_LOG=$(sed -n 's/^  log *//p' "$RO_OUT" | head -1)
echo "read-only server log:"; grep -E 'Handling|denied|read.only|Permission|rror' "$RO_LOG" | head -8
kill -TERM "$RO"; wait "$RO"; echo "read-only cache serve exit code: $?"

echo "== 5. SIGTERM to the server"
kill -TERM "$SERVER"; wait "$SERVER"; echo "cache serve exit code: $?"
trap - EXIT
podman ps -a --format '{{.Names}}' | grep -qx "$CONTAINER" && { echo "FAIL: container $CONTAINER is still there"; exit 1; }
echo "container $CONTAINER removed"
rm -rf "$CONF_DIR"
[ "$REACHED" = 1 ] && { echo "OK: real bitbake reached the real hash server (check exit $CHECK)"; exit 0; }
echo "FAIL: the server never handled get-stream"; exit 1
