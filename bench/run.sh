#!/usr/bin/env bash
# Load benchmark: gatehouse against nginx and HAProxy (as configured bare, and configured to send
# the same headers as gatehouse: nginx-headers, haproxy-headers) and the upstream served directly,
# all on loopback, driven by wrk in interleaved rounds; prints medians and ratios as a markdown table
# and writes it to bench/results/latest.md. Installs nothing (`make bench` installs the tools).
#
#   bench/run.sh [path/to/gatehouse]
#
# Environment:
#   BENCH_ROUNDS=5        rounds; every round runs every scenario against every peer
#   BENCH_DURATION=5      seconds per wrk run
#   BENCH_CONNECTIONS=50  wrk connections for the ordinary scenarios (c1000 uses 1000)
#   BENCH_SCENARIOS="small 1k 64k c1000 plugins masker redis"   subset to run
#   BENCH_PROXY_CPU=0 BENCH_LOAD_CPU=1   CPU placement (see docs/benchmarks.md)
#   BENCH_KEEP=1          keep the work directory (configs, logs, raw wrk output)
#   BENCH_FIXED_FRACTIONS="0.25 0.5"   scenario redis: fixed-rate loads (bench/loadgen) as fractions
#                         of policy redis's saturated req/s; empty skips them
#   BENCH_FIXED_CONNECTIONS=100   keep-alive connections of the fixed-rate loads
#   BENCH_FIXED_RT=1      fixed-rate part under SCHED_FIFO (shared-machine diagnosis; root)
#   LOADGEN_BIN           default: bench/loadgen/loadgen next to the gatehouse binary
#
# A peer that is missing or fails to start is reported as n/a; the other peers still run.
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GATEHOUSE_BIN=${1:-$REPO/build/gatehouse}
[[ $GATEHOUSE_BIN = /* ]] || GATEHOUSE_BIN=$PWD/$GATEHOUSE_BIN
ROUNDS=${BENCH_ROUNDS:-5}
DURATION=${BENCH_DURATION:-5}
CONNECTIONS=${BENCH_CONNECTIONS:-50}
SCENARIOS_WANTED=${BENCH_SCENARIOS:-"small 1k 64k c1000 plugins masker redis"}
PROXY_CPU=${BENCH_PROXY_CPU:-0}
LOAD_CPU=${BENCH_LOAD_CPU:-1}
API_KEY=bench-key-7f3a9c
RESULTS_DIR=$REPO/bench/results
NCPU=$(nproc)
CLK_TCK=$(getconf CLK_TCK)
if (( NCPU < 2 )); then PROXY_CPU=0; LOAD_CPU=0; fi

for tool in wrk nginx haproxy taskset python3; do
  command -v "$tool" >/dev/null || { echo "bench: '$tool' not found (run: scripts/install-deps.sh --bench)" >&2; exit 1; }
done

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)  # printed with the results: busy or quiet machine
WORK=$(mktemp -d /tmp/gatehouse-bench.XXXXXX)
chmod 755 "$WORK"
mkdir -p "$WORK/www" "$WORK/tmp" "$WORK/wrk" "$RESULTS_DIR"
printf 'ok' >"$WORK/www/0"
head -c 1024 /dev/zero | tr '\0' 'a' >"$WORK/www/1k"
head -c 65536 /dev/zero | tr '\0' 'b' >"$WORK/www/64k"
chmod 644 "$WORK"/www/*

# 1,000 connections need descriptors on every side (wrk, peers, upstream).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

declare -A PEER_PID=() PEER_URL=() PEER_ROLE=() PEER_ADMIN=()
PEER_ORDER=()

cleanup() {
  for name in "${!PEER_PID[@]}"; do
    kill -TERM "${PEER_PID[$name]}" 2>/dev/null
  done
  for name in "${!PEER_PID[@]}"; do
    wait "${PEER_PID[$name]}" 2>/dev/null
  done
  if [[ ${BENCH_KEEP:-0} == 1 ]]; then echo "bench: work directory kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_ports() {  # prints N distinct free loopback ports
  python3 - "$1" <<'PY'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

render() {  # render TEMPLATE OUT LISTEN_PORT: fills the @PLACEHOLDERS@
  sed -e "s|@WORK@|$WORK|g" -e "s|@UPSTREAM_PORT@|$UPSTREAM_PORT|g" \
      -e "s|@LISTEN_PORT@|$3|g" -e "s|@API_KEY@|$API_KEY|g" "$1" >"$2"
}

wait_port() {  # wait_port PORT PID: until something accepts on PORT (10 s)
  for _ in $(seq 200); do
    kill -0 "$2" 2>/dev/null || return 1
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

start_peer() {  # start_peer NAME PORT CPU ROLE COMMAND...  (ROLE: upstream | proxy | direct)
  local name=$1 port=$2 cpu=$3 role=$4; shift 4
  taskset -c "$cpu" "$@" >"$WORK/$name.log" 2>&1 &
  local pid=$!
  if wait_port "$port" "$pid"; then
    PEER_PID[$name]=$pid
    PEER_URL[$name]=http://127.0.0.1:$port
    PEER_ROLE[$name]=$role
    [[ $role == upstream ]] || PEER_ORDER+=("$name")
    echo "bench: $name listening on 127.0.0.1:$port (cpu $cpu, pid $pid)"
  else
    kill "$pid" 2>/dev/null
    echo "bench: $name failed to start; reported as n/a. Log:" >&2
    tail -n 5 "$WORK/$name.log" >&2
  fi
}

start_nginx() {  # start_nginx NAME TEMPLATE
  local port=$1 name=$2 template=$3
  render "$template" "$WORK/$name.conf" "$port"
  start_peer "$name" "$port" "$PROXY_CPU" proxy nginx -p "$WORK" -c "$WORK/$name.conf" -g 'daemon off;'
}

start_gatehouse() {  # start_gatehouse PORT NAME KONG_YML_TEMPLATE
  local port=$1 name=$2 template=$3 admin
  if [[ ! -x $GATEHOUSE_BIN ]]; then
    echo "bench: $name: no binary at $GATEHOUSE_BIN; reported as n/a" >&2
    return
  fi
  admin=$(free_ports 1)
  PEER_ADMIN[$name]=$admin
  render "$template" "$WORK/$name.yml" "$port"
  start_peer "$name" "$port" "$PROXY_CPU" proxy "$GATEHOUSE_BIN" run \
    --declarative-config "$WORK/$name.yml" --proxy-listen "127.0.0.1:$port" \
    --admin-listen "127.0.0.1:$admin" --workers 1
}

# ---- scenarios --------------------------------------------------------------------------
# A scenario: name, request path, connections, the peers it compares, extra wrk arguments.
SCENARIOS=()
declare -A SCEN_PATH=() SCEN_CONNS=() SCEN_PEERS=() SCEN_HEADER=() SCEN_SCRIPT=()

add_scenario() {  # add_scenario NAME PATH CONNECTIONS "PEERS..." [REQUEST_HEADER]
  local name=$1
  [[ " $SCENARIOS_WANTED " == *" $name "* ]] || return 0
  SCENARIOS+=("$name")
  SCEN_PATH[$name]=$2
  SCEN_CONNS[$name]=$3
  SCEN_PEERS[$name]=$4
  SCEN_HEADER[$name]=${5:-}
}

wrk_header_args() {  # prints nothing, sets WRK_EXTRA for scenario $1
  WRK_EXTRA=()
  [[ -n ${SCEN_HEADER[$1]} ]] && WRK_EXTRA=(-H "${SCEN_HEADER[$1]}")
  [[ -n ${SCEN_SCRIPT[$1]:-} ]] && WRK_EXTRA+=(-s "${SCEN_SCRIPT[$1]}")
  return 0
}

# Hook for plugin scenarios: gatehouse with KONG_YML against nginx+Lua with NGINX_CONF doing the
# same work; both are started here and measured in the same interleaved rounds as the rest.
# Templates may use @UPSTREAM_PORT@, @LISTEN_PORT@, @WORK@, @API_KEY@ (sent as `apikey`).
plugin_scenario() {  # plugin_scenario NAME KONG_YML NGINX_LUA_CONF [PATH]
  local name=$1 kong_yml=$2 nginx_conf=$3 path=${4:-/0} ports
  [[ " $SCENARIOS_WANTED " == *" $name "* ]] || return 0
  read -r -a ports <<<"$(free_ports 2)"
  start_gatehouse "${ports[0]}" "gatehouse-$name" "$kong_yml"
  start_nginx "${ports[1]}" "nginx-lua-$name" "$nginx_conf"
  add_scenario "$name" "$path" "$CONNECTIONS" "nginx-lua-$name gatehouse-$name" "apikey: $API_KEY"
}

# Scenario `redis` (docs/redis.md): rate-limiting policy redis against policy local and no
# plugin, one gatehouse each on the same route, a real redis-server on the load CPU. The limit
# is high enough that every request passes, so the work measured is counting, not refusing.
# Reported: req/s ratio redis/local (target >= 0.7) and the p99s (added p99 = redis - local).
# Scenario `masker` (issue 4): the same ~42 KB Messages request (describe-instances output
# for 40 instances, ~370 identifiers) POSTed through gatehouse with aws-masker on the route
# and through gatehouse without it. Reported: req/s ratio masker/no-masker (target >= 0.5).
# With it, scenario `masker-image`: a request of the same size holding only a base64 image
# block, which the plugin buffers and walks but does not scan (nor copy: nothing in it is
# masked). Its ratio is what the plugin costs besides masking proper (buffering, the JSON
# walk, the response restorer), so the two ratios together show where the masked route's
# CPU goes.
masker_scenario() {
  [[ " $SCENARIOS_WANTED " == *" masker "* ]] || return 0
  local payload_bin=${MASKER_PAYLOAD_BIN:-$(dirname "$GATEHOUSE_BIN")/bench/masker/masker_payload} ports
  if [[ ! -x $payload_bin ]]; then
    echo "bench: $payload_bin not built; scenario masker reported as n/a" >&2
    return 0
  fi
  "$payload_bin" >"$WORK/masker-payload.json"
  "$payload_bin" image >"$WORK/masker-image-payload.json"
  sed -e '$r /dev/stdin' "$REPO/bench/peers/gatehouse.yml" >"$WORK/masker.template" <<'YML'
plugins:
- name: aws-masker
YML
  SCENARIOS_WANTED+=" masker-image"
  local scen
  for scen in masker masker-image; do
    cat >"$WORK/$scen.lua" <<LUA
local f = io.open("$WORK/$scen-payload.json", "rb")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
LUA
    # One gateway pair per scenario: the masker's own counters then describe one payload.
    local suffix=${scen#masker}
    read -r -a ports <<<"$(free_ports 2)"
    start_gatehouse "${ports[0]}" "gatehouse-masker$suffix" "$WORK/masker.template"
    start_gatehouse "${ports[1]}" "gatehouse-no-masker$suffix" "$REPO/bench/peers/gatehouse.yml"
    add_scenario "$scen" /v1/messages "$CONNECTIONS" "gatehouse-masker$suffix gatehouse-no-masker$suffix"
    SCEN_SCRIPT[$scen]="$WORK/$scen.lua"
  done
}

# Masking throughput (issue 4): gatehouse's masker_bench (mask the Messages request, unmask
# it streamed back) and the earlier Lua plugin's approach (bench/masker/lua_approach.lua,
# LuaJIT) on the same payload, one after the other on the proxy CPU with nothing else
# running. Writes masker-throughput.md (or nothing when scenario masker did not run).
masker_throughput() {
  [[ -s $WORK/masker-payload.json ]] || return 0
  local mb=${MASKER_BENCH_BIN:-$(dirname "$GATEHOUSE_BIN")/bench/masker/masker_bench} lua_line=""
  if [[ ! -x $mb ]]; then
    echo "bench: $mb not built; masking throughput not measured" >&2
    return 0
  fi
  # The gateway's own count of its masking time over the scenario's rounds (the masker
  # peer is still running): what masking took per request end to end, under load.
  in_gateway_of() {  # in_gateway_of PEER: "<us per request> <requests>" or nothing
    [[ -n ${PEER_ADMIN[$1]:-} ]] || return 0
    curl -s --max-time 5 "http://127.0.0.1:${PEER_ADMIN[$1]}/metrics" |
      awk '/^gatehouse_aws_masker_mask_seconds_total / { s = $2 }
           /^gatehouse_aws_masker_requests_total\{outcome="masked"\}/ { n = $2 }
           END { if (n > 0) printf "%.1f %d", s * 1e6 / n, n }'
  }
  local in_gateway in_gateway_image
  in_gateway=$(in_gateway_of gatehouse-masker)
  in_gateway_image=$(in_gateway_of gatehouse-masker-image)
  echo "bench: masking throughput (masker_bench, 5 repetitions; Lua approach, 5 runs)"
  taskset -c "$PROXY_CPU" "$mb" --benchmark_filter='BM_MaskMessagesRequestJson$|BM_MaskMessagesRequestJsonVaried/0|BM_MaskMessagesRequestNoIdentifiers|BM_UnmaskSseStream|BM_UnmaskJsonStream' \
    --benchmark_repetitions=5 --benchmark_report_aggregates_only=true --benchmark_format=json \
    >"$WORK/masker-bench.json" 2>"$WORK/masker-bench.err" || { echo "bench: masker_bench failed" >&2; return 0; }
  if command -v luajit >/dev/null; then
    lua_line=$(taskset -c "$PROXY_CPU" luajit "$REPO/bench/masker/lua_approach.lua" "$WORK/masker-payload.json" 5)
  fi
  python3 - "$WORK/masker-bench.json" "$lua_line" "$in_gateway" "$in_gateway_image" >"$WORK/masker-throughput.md" <<'PY'
import json, sys
runs = {b["run_name"]: b for b in json.load(open(sys.argv[1]))["benchmarks"]
        if b.get("aggregate_name") == "median"}
lua = dict(zip(*[iter(sys.argv[2].split()[1:])] * 2)) if sys.argv[2] else {}
in_gateway = sys.argv[3].split()
in_gateway_image = sys.argv[4].split()
def row(name):
    b = runs.get(name)
    if b is None:
        return None, None
    unit = {"ns": 1e-3, "us": 1.0, "ms": 1e3}[b["time_unit"]]
    return b["bytes_per_second"] / 1e6, b["cpu_time"] * unit
print("\n## Masking throughput (aws-masker, one core)\n")
print("The ~42 KB Messages request of scenario `masker`; gatehouse: `masker_bench` medians of 5;")
print("the Lua approach: bench/masker/lua_approach.lua under LuaJIT (patterns applied one by one,")
print("a whole-text gsub per match), median of 5 runs. Both on the proxy CPU, one after the other.\n")
print("| measure | gatehouse MB/s | gatehouse CPU (µs) per request or stream | target | Lua approach CPU per request | gatehouse ahead by |")
print("|---|---:|---:|---|---:|---:|")
mbs, us = row("BM_MaskMessagesRequestJson")
lua_ms = float(lua["cpu_ms_per_request"]) if "cpu_ms_per_request" in lua else None
if mbs is not None:
    ahead = f"{lua_ms * 1000 / us:,.0f}× (target ≥ 1000×)" if lua_ms else "n/a (no luajit)"
    lua_cell = f"{lua_ms:.1f} ms" if lua_ms else "n/a"
    print(f"| mask, JSON-aware | {mbs:,.0f} | {us:.1f} | ≥ 200 MB/s | {lua_cell} | {ahead} |")
mbs, us = row("BM_MaskMessagesRequestJsonVaried/0")
if mbs is not None:
    print(f"| mask, JSON-aware, 16 requests of that shape in turn (other identifiers) | {mbs:,.0f} | {us:.1f} | | | |")
mbs, us = row("BM_MaskMessagesRequestNoIdentifiers")
if mbs is not None:
    print(f"| mask, the same request with every digit written as `x` (no identifier: the passes "
          f"over the text alone) | {mbs:,.0f} | {us:.1f} | | | |")
if len(in_gateway) == 2:
    print(f"| mask, in the gateway under load (scenario `masker`, {int(in_gateway[1]):,} requests; "
          f"`gatehouse_aws_masker_mask_seconds_total`) | | {float(in_gateway[0]):.1f} | | | |")
if len(in_gateway_image) == 2:
    print(f"| the same counter on the image request of scenario `masker-image` (walked, "
          f"nothing to scan; {int(in_gateway_image[1]):,} requests) | | {float(in_gateway_image[0]):.1f} | | | |")
for name, label in (("BM_UnmaskSseStream", "unmask, SSE stream (20-byte deltas, 1400-byte chunks)"),
                    ("BM_UnmaskJsonStream", "unmask, JSON byte stream")):
    mbs, us = row(name)
    if mbs is not None:
        print(f"| {label} | {mbs:,.0f} | {us:.1f} | ≥ 500 MB/s | | |")
PY
}

redis_scenario() {
  [[ " $SCENARIOS_WANTED " == *" redis "* ]] || return 0
  if ! command -v redis-server >/dev/null; then
    echo "bench: redis-server not found; scenario redis reported as n/a" >&2
    return 0
  fi
  local ports policy node
  read -r -a ports <<<"$(free_ports 11)"
  start_peer redis-server "${ports[0]}" "$LOAD_CPU" upstream redis-server --port "${ports[0]}" \
    --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK/tmp"
  for policy in redis local; do
    sed -e '$r /dev/stdin' "$REPO/bench/peers/gatehouse.yml" >"$WORK/rl-$policy.template" <<YML
plugins:
- name: rate-limiting
  config:
    minute: 1000000000
    limit_by: ip
    policy: $policy
$( [[ $policy == redis ]] && printf '    redis:\n      host: 127.0.0.1\n      port: %s\n' "${ports[0]}" )
YML
  done
  start_gatehouse "${ports[1]}" gatehouse-rl-redis "$WORK/rl-redis.template"
  start_gatehouse "${ports[2]}" gatehouse-rl-local "$WORK/rl-local.template"
  start_gatehouse "${ports[3]}" gatehouse-no-plugin "$REPO/bench/peers/gatehouse.yml"
  # sync_rate 1: counted on the node, pushed to Redis once a second (no round trip per request).
  sed -e 's/^    policy: redis$/    policy: redis\n    sync_rate: 1/' "$WORK/rl-redis.template" \
    >"$WORK/rl-redis-sync.template"
  start_gatehouse "${ports[10]}" gatehouse-rl-redis-sync1 "$WORK/rl-redis-sync.template"
  # Two nodes: two gatehouse processes per policy behind HAProxy (TCP, round robin per
  # connection, on the load CPU), both counting the same client in the same Redis key.
  local peers2=""
  if command -v haproxy >/dev/null; then
    for policy in redis local; do
      node=$([[ $policy == redis ]] && echo 4 || echo 7)
      start_gatehouse "${ports[node + 1]}" "gatehouse-rl-$policy-n1" "$WORK/rl-$policy.template"
      start_gatehouse "${ports[node + 2]}" "gatehouse-rl-$policy-n2" "$WORK/rl-$policy.template"
      cat >"$WORK/lb-$policy.cfg" <<CFG
global
  maxconn 4000
defaults
  mode tcp
  timeout connect 5s
  timeout client 60s
  timeout server 60s
listen lb
  bind 127.0.0.1:${ports[node]}
  balance roundrobin
  server n1 127.0.0.1:${ports[node + 1]}
  server n2 127.0.0.1:${ports[node + 2]}
CFG
      start_peer "gatehouse-rl-$policy-2nodes" "${ports[node]}" "$LOAD_CPU" proxy \
        haproxy -db -f "$WORK/lb-$policy.cfg"
      peers2+=" gatehouse-rl-$policy-2nodes"
    done
  fi
  add_scenario redis /0 "$CONNECTIONS" \
    "gatehouse-rl-redis gatehouse-rl-local gatehouse-no-plugin gatehouse-rl-redis-sync1$peers2"
}

# Fixed-rate (open-loop) latency for scenario `redis`. At saturation p99 follows throughput
# (a slower peer has a longer queue), so the saturated p99s mix Redis's round trip with
# queueing. Here every policy gets the same offered load — fractions of policy redis's
# saturated req/s from this run (one node and two nodes separately) — from bench/loadgen
# (built with gatehouse): one schedule with evenly spaced send times over keep-alive
# connections, latency counted from each request's scheduled send time (no coordinated
# omission), the first second left out. Without the loadgen binary this part is n/a.
FIXED_FRACTIONS=${BENCH_FIXED_FRACTIONS-"0.25 0.5"}
FIXED_CONNECTIONS=${BENCH_FIXED_CONNECTIONS:-100}
LOADGEN_BIN=${LOADGEN_BIN:-$(dirname "$GATEHOUSE_BIN")/bench/loadgen/loadgen}
# BENCH_FIXED_RT=1 (diagnosis on a shared machine, needs root): the fixed-rate runs and every
# bench process run SCHED_FIFO, so other work cannot delay them. A CPU whose real-time tasks
# need > 95 % of it is then throttled for 50 ms at a time: p99s of tens of ms mean that.
FIXED_PRIO=()
[[ ${BENCH_FIXED_RT:-0} == 1 ]] && FIXED_PRIO=(chrt -f 20)

fixed_rt() {  # every bench process (and its children, nginx's workers) SCHED_FIFO
  local pid child
  for pid in "${PEER_PID[@]}"; do
    for child in $pid $(cat "/proc/$pid/task/$pid/children" 2>/dev/null); do
      chrt -a -f -p 20 "$child" >/dev/null 2>&1 || echo "bench: chrt failed for pid $child" >&2
    done
  done
}

# A two-node peer is loaded at its two gatehouse nodes directly, loadgen's connections
# alternating between them as HAProxy's per-connection round robin does. HAProxy is in the
# saturated runs only because wrk takes one URL; at a fixed rate its ~30 µs of CPU a request
# on the load CPU, beside the upstream, redis-server and the load generator, saturated that
# CPU, and the p99s measured the load CPU's queue (docs/redis.md).
fixed_targets() {  # fixed_targets PEER: the URLs a fixed-rate run loads
  local peer=$1 node
  if [[ $peer == *-2nodes ]]; then
    for node in n1 n2; do printf '%s%s ' "${PEER_URL[${peer%-2nodes}-$node]}" "${SCEN_PATH[redis]}"; done
  else
    printf '%s%s' "${PEER_URL[$peer]}" "${SCEN_PATH[redis]}"
  fi
}

fixed_ticks() {  # fixed_ticks PEER: CPU ticks of the gatehouse process(es) behind PEER
  local peer=$1
  if [[ $peer == *-2nodes ]]; then
    awk -v a="$(cpu_ticks "${PEER_PID[${peer%-2nodes}-n1]:-}")" \
      -v b="$(cpu_ticks "${PEER_PID[${peer%-2nodes}-n2]:-}")" \
      'BEGIN { if (a == "nan" || b == "nan") print "nan"; else print a + b }'
  else
    cpu_ticks "$(work_pid "$peer")"
  fi
}

cpu_times() {  # cpu_times CPU: "busy total" jiffies of that CPU so far (/proc/stat)
  awk -v c="cpu$1" '$1 == c { t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6, t }' /proc/stat
}

# The gateway's own measure of what Redis adds: how long each request waited for its
# counters (gatehouse_rate_limiting_store_wait_seconds on the admin /metrics), bucket counts
# summed over a peer's nodes. A run's waits are the difference of two scrapes.
store_wait() {  # store_wait PEER: "le=cumulative ..." now (nothing for a peer without waits)
  local peer=$1 name names=()
  if [[ $peer == *-2nodes ]]; then names=("${peer%-2nodes}-n1" "${peer%-2nodes}-n2"); else names=("$peer"); fi
  for name in "${names[@]}"; do
    [[ -n ${PEER_ADMIN[$name]:-} ]] && curl -s --max-time 5 "http://127.0.0.1:${PEER_ADMIN[$name]}/metrics"
  done | awk '/^gatehouse_rate_limiting_store_wait_seconds_bucket/ {
      split($0, a, "\""); if (!(a[2] in n)) order[++k] = a[2]; n[a[2]] += $NF }
    END { for (i = 1; i <= k; i++) printf "%s=%d ", order[i], n[order[i]] }'
}

wait_quantile() {  # wait_quantile BEFORE AFTER Q: upper bucket bound (ms) holding quantile Q of the waits between
  awk -v a="$1" -v b="$2" -v q="$3" 'BEGIN {
    nb = split(b, after, " "); split(a, before, " ")
    for (i in before) { split(before[i], kv, "="); base[kv[1]] = kv[2] }
    for (i = 1; i <= nb; i++) { split(after[i], kv, "="); le[i] = kv[1]; c[i] = kv[2] - base[kv[1]] }
    total = c[nb]
    if (nb == 0 || total <= 0) { print "nan"; exit }
    for (i = 1; i <= nb; i++) if (c[i] >= q * total) { print (le[i] == "+Inf" ? "inf" : le[i] * 1000); exit }
  }'
}

fixed_rate_run() {  # fixed_rate_run ROUND VARIANT FRACTION RATE PEER: appends to fixed.tsv
  local round=$1 variant=$2 fraction=$3 rate=$4 peer=$5 out t0 t1 cpu_us result urls l0 l1 load_busy
  local w0 w1 wait50 wait99
  local count errors achieved p50 p90 p99 p999 max lag
  out="$WORK/loadgen/$variant.$fraction.$peer.$round.txt"
  read -r -a urls <<<"$(fixed_targets "$peer")"
  w0=$(store_wait "$peer")
  t0=$(fixed_ticks "$peer")
  l0=$(cpu_times "$LOAD_CPU")
  timeout $(( DURATION * 2 + 20 )) "${FIXED_PRIO[@]}" taskset -c "$LOAD_CPU" "$LOADGEN_BIN" --rate "$rate" \
    --connections "$FIXED_CONNECTIONS" --duration "$DURATION" --warmup 1 "${urls[@]}" >"$out" 2>&1
  t1=$(fixed_ticks "$peer")
  l1=$(cpu_times "$LOAD_CPU")
  w1=$(store_wait "$peer")
  wait50=$(wait_quantile "$w0" "$w1" 0.5)
  wait99=$(wait_quantile "$w0" "$w1" 0.99)
  # How busy the load CPU was (upstream, redis-server, loadgen; anything else running there
  # too): near 100 % the latencies measure that CPU's queue, not the peer.
  load_busy=$(awk -v a="$l0" -v b="$l1" 'BEGIN { split(a, x, " "); split(b, y, " ");
    if (y[2] > x[2]) printf "%.0f", 100 * (y[1] - x[1]) / (y[2] - x[2]); else print "nan" }')
  result=$(awk '$1 == "result" { $1 = ""; print }' "$out")
  # key=value pairs in a fixed order (loadgen.cc); a run that printed none counts as n/a.
  read -r count errors _ achieved p50 p90 p99 p999 max lag <<<"$(tr ' ' '\n' <<<"$result" |
    awk -F= 'NF == 2 { printf "%s ", $2 }')"
  [[ -n ${p99:-} ]] || { count=0; errors=0; achieved=nan; p50=nan; p90=nan; p99=nan; p999=nan; max=nan; lag=nan; }
  # The proxy's CPU per request (warm-up included): at a fixed rate a worker finds fewer
  # requests per wake-up than at saturation, so this can be above the saturated figure.
  cpu_us=$(awk -v a="$t0" -v b="$t1" -v n="$(awk -v r="$rate" -v d="$DURATION" 'BEGIN { printf "%d", r * (d + 1) }')" \
    -v hz="$CLK_TCK" 'BEGIN { if (a == "nan" || b == "nan" || n == 0) print "nan"; else printf "%.2f", (b - a) * 1e6 / hz / n }')
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$variant" "$fraction" \
    "$peer" "$rate" "$achieved" "$p50" "$p90" "$p99" "$p999" "$errors" "$cpu_us" "$lag" "$load_busy" \
    "$wait50" "$wait99" >>"$WORK/fixed.tsv"
  printf 'bench: round %s fixed %-6s x%s %-26s offered %6s achieved %6s req/s  p50 %6s  p99 %6s  p99.9 %6s ms  errors %s  cpu %s us/req  send lag p99 %s ms  load CPU %s%%  redis wait p50/p99 <= %s/%s ms\n' \
    "$round" "$variant" "$fraction" "$peer" "$rate" "$achieved" "$p50" "$p99" "$p999" "$errors" "$cpu_us" "$lag" "$load_busy" "$wait50" "$wait99"
}

median_rps() {  # median_rps PEER: median saturated req/s of PEER in results.tsv (integer, or empty)
  awk -F'\t' -v p="$1" '$2 == "redis" && $3 == p && $4 != "nan" { print $4 }' "$WORK/results.tsv" |
    sort -g | awk '{ v[NR] = $1 } END { if (NR) printf "%d", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}

redis_fixed_rate() {  # runs after the saturated rounds; writes fixed.tsv (or the reason in fixed.na)
  : >"$WORK/fixed.tsv"
  [[ " ${SCENARIOS[*]} " == *" redis "* && -n $FIXED_FRACTIONS ]] || return 0
  if [[ ! -x $LOADGEN_BIN ]]; then
    echo "$LOADGEN_BIN not built (target loadgen, bench/loadgen)" >"$WORK/fixed.na"
    echo "bench: $LOADGEN_BIN not built; fixed-rate latency reported as n/a" >&2
    return 0
  fi
  mkdir -p "$WORK/loadgen"
  (( ${#FIXED_PRIO[@]} )) && fixed_rt
  local variant base fraction rate peer round i n peers
  # `direct` (the upstream alone) shows what the load side itself adds at that rate.
  declare -A group_peers=([1node]="gatehouse-rl-redis gatehouse-rl-local gatehouse-no-plugin direct"
                          [2nodes]="gatehouse-rl-redis-2nodes gatehouse-rl-local-2nodes")
  for (( round = 1; round <= ROUNDS; round++ )); do
    for variant in 1node 2nodes; do
      read -r -a peers <<<"${group_peers[$variant]}"
      base=$(median_rps "${peers[0]}")
      [[ -n $base ]] || continue
      for fraction in $FIXED_FRACTIONS; do
        rate=$(awk -v b="$base" -v f="$fraction" 'BEGIN { printf "%d", b * f }')
        n=${#peers[@]}
        for (( i = 0; i < n; i++ )); do
          peer=${peers[$(( (i + round) % n ))]}
          [[ -n ${PEER_URL[$peer]:-} ]] && kill -0 "${PEER_PID[$peer]:-${PEER_PID[upstream]}}" 2>/dev/null || continue
          fixed_rate_run "$round" "$variant" "$fraction" "$rate" "$peer"
        done
      done
    done
  done
}

redis_fixed_rate_report() {  # markdown section for fixed.tsv (nothing when scenario redis did not run)
  [[ " ${SCENARIOS[*]} " == *" redis "* ]] || return 0
  echo
  echo "## Scenario redis at a fixed rate (bench/loadgen, open loop; medians over rounds)"
  echo
  if [[ -s $WORK/fixed.na || ! -s $WORK/fixed.tsv ]]; then
    echo "n/a: $(cat "$WORK/fixed.na" 2>/dev/null || echo 'no fixed-rate run (BENCH_FIXED_FRACTIONS empty or no policy-redis req/s)')"
    return 0
  fi
  python3 - "$WORK/fixed.tsv" "${BENCH_FIXED_RT:-0}" <<'PY'
import math, statistics, sys
rt = sys.argv[2] == "1"
BUSY_LIMIT = 85  # % of the load CPU above which its run queue, not Redis, sets the p99
data, order = {}, []
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t") + ["nan", "nan"]
    rnd, variant, frac, peer, offered, achieved, p50, p90, p99, p999, errors, cpu, lag, busy, w50, w99 = f[:16]
    key = (variant, frac, peer)
    if key not in data:
        order.append(key)
        data[key] = {"offered": [], "achieved": [], "p50": [], "p90": [], "p99": [], "p999": [], "lag": [],
                     "cpu": [], "busy": [], "w50": [], "w99": [], "errors": 0}
    d = data[key]
    for k, v in (("w50", w50), ("w99", w99)):
        if v not in ("nan", ""):
            d[k].append(math.inf if v == "inf" else float(v))
    if achieved != "nan" and p99 != "nan":
        for k, v in (("offered", offered), ("achieved", achieved), ("p50", p50), ("p90", p90),
                     ("p99", p99), ("p999", p999), ("lag", lag)):
            d[k].append(float(v))
    if cpu != "nan":
        d["cpu"].append(float(cpu))
    if busy != "nan":
        d["busy"].append(float(busy))
    d["errors"] += int(errors)
med = lambda xs: statistics.median(xs) if xs else math.nan
fmt = lambda x, spec: "n/a" if math.isnan(x) else format(x, spec)
print("Offered rate = fraction × policy redis's saturated req/s above (one node, two nodes).")
if rt:
    print("**BENCH_FIXED_RT=1**: these runs had every bench process at SCHED_FIFO priority.")
print("Latency counts from each request's scheduled send time (evenly spaced), the first second")
print("left out; `send lag p99` = how late loadgen itself wrote (scheduled -> written). Two nodes:")
print("loadgen's connections alternate between the two gatehouse nodes (no HAProxy hop; CPU = both).")
print("`load CPU busy`: the CPU of upstream, redis-server and loadgen; near 100 % the latencies")
print("measure its queue, not the peer.\n")
print("| variant | load | peer | offered req/s | achieved req/s | p50 (ms) | p90 (ms) | p99 (ms) | p99.9 (ms) | send lag p99 (ms) | proxy CPU (µs/request) | load CPU busy | runs | errors |")
print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for variant, frac, peer in sorted(order, key=lambda k: (k[0], float(k[1]), order.index(k))):
    d = data[(variant, frac, peer)]
    print(f"| {variant} | {float(frac):.0%} | {peer} | {fmt(med(d['offered']), ',.0f')} | {fmt(med(d['achieved']), ',.0f')} "
          f"| {fmt(med(d['p50']), '.2f')} | {fmt(med(d['p90']), '.2f')} | {fmt(med(d['p99']), '.2f')} "
          f"| {fmt(med(d['p999']), '.2f')} | {fmt(med(d['lag']), '.2f')} "
          f"| {fmt(med(d['cpu']), '.1f')} | {fmt(med(d['busy']), '.0f')} % | {len(d['p99'])} | {d['errors']} |")
print("\n**p99 added by Redis** (policy redis − policy local, difference of medians; issue 5")
print("target ≤ 1 ms on loopback):\n")
print("A pair of runs measures Redis's share only when neither the peers nor the load CPU were")
print("overloaded: both policies reached ≥ 97 % of the offered rate (`offered met`) and the load CPU")
print(f"(upstream, redis-server and loadgen together) was below {BUSY_LIMIT} % busy in both. Otherwise the")
print("p99 measured that CPU's run queue, and the verdict says so instead of yes/no.\n")
print("The last three columns are the gateway's own measure of the same quantity: how long each")
print("request of policy redis waited for its counters (gatehouse_rate_limiting_store_wait_seconds,")
print("scraped before and after each run): the bucket bound holding the median (median over rounds)")
print("and the 99th percentile (**worst round**). It leaves out the upstream and the load side, whose")
print("tails on this VM move more than the quantity measured (docs/redis.md).\n")
print("| variant | load | p50 added (ms) | **p99 added (ms)** | p99.9 added (ms) | load CPU busy (redis / local) | offered met | p99 ≤ 1 ms | Redis wait p50 ≤ (ms) | **Redis wait p99 ≤ (ms)** | wait p99 ≤ 1 ms |")
print("|---|---|---:|---:|---:|---:|---|---|---:|---:|---|")
for variant in ("1node", "2nodes"):
    suffix = "" if variant == "1node" else "-2nodes"
    for frac in sorted({k[1] for k in order if k[0] == variant}, key=float):
        r = data.get((variant, frac, "gatehouse-rl-redis" + suffix))
        l = data.get((variant, frac, "gatehouse-rl-local" + suffix))
        if not r or not l:
            continue
        diff = lambda k: med(r[k]) - med(l[k])
        met = all(med(x["achieved"]) >= 0.97 * med(x["offered"]) for x in (r, l))
        busy_r, busy_l = med(r["busy"]), med(l["busy"])
        saturated = any(math.isnan(b) or b >= BUSY_LIMIT for b in (busy_r, busy_l))
        if math.isnan(diff("p99")):
            verdict = "n/a"
        elif not met or saturated:
            verdict = "n/a: load side overloaded"
        else:
            verdict = "yes" if diff("p99") <= 1 else "no"
        w99 = max(r["w99"]) if r["w99"] else math.nan
        wverdict = "n/a" if math.isnan(w99) else ("yes" if w99 <= 1 else "no")
        print(f"| {variant} | {float(frac):.0%} | {fmt(diff('p50'), '+.2f')} | **{fmt(diff('p99'), '+.2f')}** "
              f"| {fmt(diff('p999'), '+.2f')} | {fmt(busy_r, '.0f')} % / {fmt(busy_l, '.0f')} % "
              f"| {'yes' if met else 'no'} | {verdict} | {fmt(med(r['w50']), 'g')} | **{fmt(w99, 'g')}** | {wverdict} |")
PY
}

# ---- wrk ----------------------------------------------------------------------------------
to_ms() {  # wrk latency (e.g. 812.00us, 1.20ms, 2.01s) -> milliseconds
  awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0;
                 else if (v ~ /m$/) n *= 60000; else if (v ~ /s$/) n *= 1000; printf "%.3f", n }'
}

# The process that does a peer's work: nginx's worker (the master's child), else the peer
# itself. None for `direct` (no proxy) and for multi-process peers (names ending -2nodes).
work_pid() {
  local peer=$1 pid child
  [[ $peer == direct || $peer == *-2nodes ]] && return 0
  pid=${PEER_PID[$peer]:-}
  [[ -n $pid ]] || return 0
  child=$(cat "/proc/$pid/task/$pid/children" 2>/dev/null | awk '{ print $1 }')
  echo "${child:-$pid}"
}

cpu_ticks() {  # utime + stime of PID (all threads), in clock ticks
  [[ -n $1 && -r /proc/$1/stat ]] || { echo nan; return; }
  awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}

run_wrk() {  # run_wrk ROUND SCENARIO PEER: appends one line to results.tsv
  local round=$1 scen=$2 peer=$3 out rps p99 errors non2xx sock pid t0 t1 requests cpu_us
  out="$WORK/wrk/$scen.$peer.$round.txt"
  wrk_header_args "$scen"
  pid=$(work_pid "$peer")
  t0=$(cpu_ticks "$pid")
  taskset -c "$LOAD_CPU" wrk --latency -t1 -c "${SCEN_CONNS[$scen]}" -d "${DURATION}s" \
    --timeout 5s "${WRK_EXTRA[@]}" "${PEER_URL[$peer]}${SCEN_PATH[$scen]}" >"$out" 2>&1
  t1=$(cpu_ticks "$pid")
  requests=$(awk '/ requests in / { print $1 }' "$out")
  # The proxy's CPU time per request (user + system): what the proxy costs, whether or
  # not the load side (wrk and the upstream on one core) is what limits req/s.
  cpu_us=$(awk -v a="$t0" -v b="$t1" -v n="${requests:-0}" -v hz="$CLK_TCK" \
    'BEGIN { if (a == "nan" || b == "nan" || n == 0) print "nan"; else printf "%.2f", (b - a) * 1e6 / hz / n }')
  rps=$(awk '/^Requests\/sec:/ { print $2 }' "$out")
  p99=$(awk '$1 == "99%" { print $2 }' "$out")
  non2xx=$(awk '/Non-2xx or 3xx responses:/ { print $NF }' "$out")
  sock=$(awk '/Socket errors:/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' "$out")
  errors=$(( ${non2xx:-0} + ${sock:-0} ))
  if [[ -z $rps || -z $p99 ]]; then
    rps=nan; p99=nan
  else
    p99=$(to_ms "$p99")
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$scen" "$peer" "$rps" "$p99" "$errors" "$cpu_us" >>"$WORK/results.tsv"
  printf 'bench: round %s %-8s %-24s %10s req/s  p99 %8s ms  errors %s  cpu %s us/req\n' \
    "$round" "$scen" "$peer" "$rps" "$p99" "$errors" "$cpu_us"
}

summarize() {  # summarize RESULTS_TSV RSS_TSV SUBJECTS_TSV: medians, ratios and peak RSS as markdown
  python3 - "$1" "$2" "$3" <<'PY'
import math, statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
rss = dict(l.split() for l in open(sys.argv[2]) if l.strip())
# The peer each scenario compares the others with: the first gatehouse peer it lists.
subjects = dict(l.split() for l in open(sys.argv[3]) if l.strip())
scenarios, peers, data = [], {}, {}
for rnd, scen, peer, rps, p99, errs, cpu in rows:
    if scen not in scenarios:
        scenarios.append(scen)
        peers[scen] = []
    if peer not in peers[scen]:
        peers[scen].append(peer)
    d = data.setdefault((scen, peer), {"rps": [], "p99": [], "cpu": [], "errors": 0, "by_round": {}})
    if rps != "nan":
        d["rps"].append(float(rps))
        d["by_round"][rnd] = float(rps)
        d["p99"].append(float(p99))
    if cpu != "nan":
        d["cpu"].append(float(cpu))
    d["errors"] += int(errs)

def med(xs):
    return statistics.median(xs) if xs else math.nan

def fmt(x, spec):
    return "n/a" if math.isnan(x) else format(x, spec)

print("## Medians per scenario and peer\n")
print("| scenario | peer | req/s | p99 latency (ms) | proxy CPU (µs/request) | runs | errors |")
print("|---|---|---:|---:|---:|---:|---:|")
for scen in scenarios:
    for peer in peers[scen]:
        d = data[(scen, peer)]
        print(f"| {scen} | {peer} | {fmt(med(d['rps']), ',.0f')} | {fmt(med(d['p99']), '.2f')} "
              f"| {fmt(med(d['cpu']), '.1f')} | {len(d['rps'])} | {d['errors']} |")
print("\n## Gatehouse against its peers (ratio of medians; req/s higher is better, p99 lower is better)\n")
print("CPU ratio = the peer's CPU per request / gatehouse's: how many requests gatehouse serves")
print("with the CPU the peer needs for one (higher is better; req/s is capped by `direct`).")
print("Per round: the req/s ratio of the two runs of each round (seconds apart), as median and")
print("range over the rounds: how far the machine's noise moves the comparison.\n")
print("| scenario | compared with | req/s ratio | per round: median (min–max) | p99 ratio | CPU ratio |")
print("|---|---|---:|---:|---:|---:|")
for scen in scenarios:
    subject = subjects.get(scen)
    if subject is None:
        continue
    s = data[(scen, subject)]
    for peer in peers[scen]:
        if peer == subject or peer == "direct":
            continue
        o = data[(scen, peer)]
        paired = [s["by_round"][r] / o["by_round"][r] for r in s["by_round"]
                  if o["by_round"].get(r)]
        per_round = (f"{med(paired):.2f} ({min(paired):.2f}–{max(paired):.2f})" if paired else "n/a")
        print(f"| {scen} | {peer} | {fmt(med(s['rps']) / med(o['rps']), '.2f')} | {per_round} "
              f"| {fmt(med(s['p99']) / med(o['p99']), '.2f')} "
              f"| {fmt(med(o['cpu']) / med(s['cpu']) if med(s['cpu']) else math.nan, '.2f')} |")
print("\n## Peak RSS (VmHWM, worker process) at the end of the run\n")
print("| peer | peak RSS (MB) |")
print("|---|---:|")
for peer, kb in rss.items():
    print(f"| {peer} | {int(kb) / 1024:.1f} |")
PY
}

# ---- start everything -------------------------------------------------------------------
read -r -a PORTS <<<"$(free_ports 4)"
UPSTREAM_PORT=${PORTS[0]}
render "$REPO/bench/upstream/nginx.conf" "$WORK/upstream.conf" "$UPSTREAM_PORT"
start_peer upstream "$UPSTREAM_PORT" "$LOAD_CPU" upstream nginx -p "$WORK" -c "$WORK/upstream.conf" -g 'daemon off;'
[[ -n ${PEER_PID[upstream]:-} ]] || { echo "bench: the upstream did not start" >&2; exit 1; }
PEER_URL[direct]=${PEER_URL[upstream]}; PEER_ROLE[direct]=direct; PEER_ORDER+=(direct)

start_nginx "${PORTS[1]}" nginx "$REPO/bench/peers/nginx.conf"
render "$REPO/bench/peers/haproxy.cfg" "$WORK/haproxy.cfg" "${PORTS[2]}"
start_peer haproxy "${PORTS[2]}" "$PROXY_CPU" proxy haproxy -db -f "$WORK/haproxy.cfg"
start_gatehouse "${PORTS[3]}" gatehouse "$REPO/bench/peers/gatehouse.yml"
# The same two, sending the headers gatehouse sends by default (Kong's X-Forwarded-*,
# X-Real-IP, X-Request-Id, Via; Via, latency and request-id headers back): the same bytes
# on the wire for wrk and the upstream to parse on the load CPU (docs/benchmarks.md).
read -r -a HPORTS <<<"$(free_ports 2)"
start_nginx "${HPORTS[0]}" nginx-headers "$REPO/bench/peers/nginx-headers.conf"
render "$REPO/bench/peers/haproxy-headers.cfg" "$WORK/haproxy-headers.cfg" "${HPORTS[1]}"
start_peer haproxy-headers "${HPORTS[1]}" "$PROXY_CPU" proxy haproxy -db -f "$WORK/haproxy-headers.cfg"

CORE_PEERS="direct nginx haproxy nginx-headers haproxy-headers gatehouse"
add_scenario small /0 "$CONNECTIONS" "$CORE_PEERS"
add_scenario 1k /1k "$CONNECTIONS" "$CORE_PEERS"
add_scenario 64k /64k "$CONNECTIONS" "$CORE_PEERS"
add_scenario c1000 /0 1000 "$CORE_PEERS"
plugin_scenario plugins "$REPO/bench/peers/gatehouse-plugins.yml" "$REPO/bench/peers/nginx-lua-plugins.conf"
masker_scenario
redis_scenario

# Warm-up: one short run per scenario and peer (pools filled, caches hot); not recorded.
for scen in "${SCENARIOS[@]}"; do
  for peer in ${SCEN_PEERS[$scen]}; do
    [[ -n ${PEER_URL[$peer]:-} ]] || continue
    wrk_header_args "$scen"
    taskset -c "$LOAD_CPU" wrk -t1 -c "${SCEN_CONNS[$scen]}" -d 1s "${WRK_EXTRA[@]}" \
      "${PEER_URL[$peer]}${SCEN_PATH[$scen]}" >/dev/null 2>&1
  done
done

# Interleaved rounds; the peer order rotates every round so none always runs first or last.
: >"$WORK/results.tsv"
for (( round = 1; round <= ROUNDS; round++ )); do
  for scen in "${SCENARIOS[@]}"; do
    read -r -a peers <<<"${SCEN_PEERS[$scen]}"
    n=${#peers[@]}
    for (( i = 0; i < n; i++ )); do
      peer=${peers[$(( (i + round) % n ))]}
      if [[ -z ${PEER_URL[$peer]:-} ]] || ! kill -0 "${PEER_PID[$peer]:-${PEER_PID[upstream]}}" 2>/dev/null; then
        printf '%s\t%s\t%s\tnan\tnan\t0\tnan\n' "$round" "$scen" "$peer" >>"$WORK/results.tsv"
        continue
      fi
      run_wrk "$round" "$scen" "$peer"
    done
  done
done

# Peak RSS (VmHWM) of every gatehouse process, read before it is stopped.
: >"$WORK/rss.tsv"
for peer in "${PEER_ORDER[@]}"; do
  pid=${PEER_PID[$peer]:-}
  [[ -n $pid && -r /proc/$pid/status ]] || continue
  hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status")
  # nginx: the master's child is the worker that did the work.
  child=$(cat "/proc/$pid/task/$pid/children" 2>/dev/null | awk '{ print $1 }')
  if [[ -n $child && -r /proc/$child/status ]]; then
    hwm=$(awk '/^VmHWM:/ { print $2 }' "/proc/$child/status")
  fi
  printf '%s\t%s\n' "$peer" "$hwm" >>"$WORK/rss.tsv"
done
# After the peak RSS: the fixed-rate runs open hundreds of connections.
redis_fixed_rate
masker_throughput

{
  echo "# Benchmark results"
  echo
  echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) · $(uname -m) · $NCPU CPUs ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo))"
  echo "rounds: $ROUNDS × ${DURATION}s per peer and scenario, interleaved · wrk -t1, ${CONNECTIONS} connections (c1000: 1000)"
  echo "CPU placement: proxies on CPU $PROXY_CPU; upstream and wrk on CPU $LOAD_CPU"
  echo "load average (1, 5, 15 min) at the start: $LOAD_START; at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "versions: $(nginx -v 2>&1 | sed 's/.*version: //'), HAProxy $(haproxy -v | awk 'NR == 1 { print $3 }'), $(wrk -v 2>&1 | awk 'NR == 1 { print $1, $2 }'), gatehouse $("$GATEHOUSE_BIN" version 2>/dev/null | head -1 || echo n/a)"
  echo
  for scen in "${SCENARIOS[@]}"; do
    for peer in ${SCEN_PEERS[$scen]}; do
      if [[ $peer == gatehouse* ]]; then printf '%s\t%s\n' "$scen" "$peer"; break; fi
    done
  done >"$WORK/subjects.tsv"
  summarize "$WORK/results.tsv" "$WORK/rss.tsv" "$WORK/subjects.tsv"
  redis_fixed_rate_report
  if [[ -s $WORK/masker-throughput.md ]]; then cat "$WORK/masker-throughput.md"; fi
} >"$WORK/latest.md"
cp "$WORK/latest.md" "$RESULTS_DIR/latest.md"
echo
cat "$RESULTS_DIR/latest.md"
echo
echo "bench: written to bench/results/latest.md"
