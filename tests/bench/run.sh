#!/usr/bin/env bash
# Side-by-side benchmark: tlsgate against stunnel, hitch and haproxy.
#
# Every proxy terminates TLS 1.3 on 127.0.0.1 with the same certificate and
# forwards to the same nginx backend. The proxy runs pinned to one CPU, the
# load generators and nginx to another, and the main figure is the proxy's
# own CPU time (utime+stime from /proc, summed over its process tree) per
# unit of work. See docs/performance.md for what each phase measures.
#
#   tests/bench/run.sh                 # every proxy, every phase
#   tests/bench/run.sh --quick         # a smoke run: a few seconds per phase
#   tests/bench/run.sh --proxies tlsgate,haproxy --phases small,bulk
#
# Needs: openssl wrk nginx python3 taskset, and the peers
# (scripts/install-deps.sh --bench installs them), plus a tlsgate binary
# ($TLSGATE_BINARY, default build-bench/daemon/tlsgate).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(cd "$SCRIPT_DIR/../.." && pwd)

# tlsgate-at-once: tlsgate with limits.record_layer_after: 0s, every
# connection handing over to the record layer as its handshake ends (run
# it by name, beside tlsgate, to see what the wait saves).
ALL_PROXIES=(tlsgate tlsgate-at-once stunnel hitch haproxy)
DEFAULT_PROXIES=(tlsgate stunnel hitch haproxy)
ALL_PHASES=(handshake small bulk idle scaling floor metrics flood)

TLSGATE_BINARY=${TLSGATE_BINARY:-$REPO_ROOT/build-bench/daemon/tlsgate}
# warn: per-connection summary lines (info) would dominate the small phases.
TLSGATE_LOG_LEVEL=${TLSGATE_LOG_LEVEL:-warn}
PROXIES=$(IFS=,; echo "${DEFAULT_PROXIES[*]}")
PHASES=$(IFS=,; echo "${ALL_PHASES[*]}")
DURATION=20
CONNECTIONS=50
BULK_CONNECTIONS=4
HANDSHAKE_CLIENTS=4
IDLE_COUNT=2000
FLOOD_STALLED=5000
FLOOD_SECONDS=10
PROXY_CPU=0
LOAD_CPU=1
BACKEND_PORT=18080
PROXY_PORT=18443
ADMIN_PORT=19100
OUT_DIR=""
KEEP_WORK=0
PROFILE=0

usage() {
  cat <<EOF
usage: $0 [options]

  --quick               a smoke run: 3 s per phase, 500 idle connections
  --duration SECONDS    length of each timed phase (default $DURATION)
  --proxies LIST        comma-separated, from: ${ALL_PROXIES[*]}
                        (default: ${DEFAULT_PROXIES[*]})
  --phases LIST         comma-separated, from: ${ALL_PHASES[*]} (default: all)
                        (scaling runs for tlsgate only)
  --connections N       wrk connections for the small-request phase (default $CONNECTIONS)
  --idle-count N        connections held open in the idle phase (default $IDLE_COUNT)
  --proxy-cpu N         CPU the proxy is pinned to (default $PROXY_CPU)
  --load-cpu N          CPU for nginx and the load generators (default $LOAD_CPU)
  --out DIR             where results.jsonl, results.md and logs go
                        (default build-bench/bench-results/<date>)
  --keep                keep the temporary directory (configs, certificates, logs)
  --profile             also record a perf profile of the proxy in each phase
                        (perf.<proxy>.<phase>.data in the output directory;
                        sampling adds to the proxy's CPU time, so keep
                        profiled runs apart from measured ones)

Environment: TLSGATE_BINARY (default build-bench/daemon/tlsgate),
TLSGATE_LOG_LEVEL (default warn).
EOF
}

while [[ $# -gt 0 ]]; do
  case "$1" in
    --quick) DURATION=3; IDLE_COUNT=500 ;;
    --duration) DURATION=$2; shift ;;
    --proxies) PROXIES=$2; shift ;;
    --phases) PHASES=$2; shift ;;
    --connections) CONNECTIONS=$2; shift ;;
    --idle-count) IDLE_COUNT=$2; shift ;;
    --proxy-cpu) PROXY_CPU=$2; shift ;;
    --load-cpu) LOAD_CPU=$2; shift ;;
    --out) OUT_DIR=$2; shift ;;
    --keep) KEEP_WORK=1 ;;
    --profile) PROFILE=1 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'run.sh: %s\n' "$*" >&2; exit 1; }

contains() {  # contains LIST ITEM: is ITEM in the comma-separated LIST?
  [[ ",$1," == *",$2,"* ]]
}

for p in ${PROXIES//,/ }; do
  contains "$(IFS=,; echo "${ALL_PROXIES[*]}")" "$p" || die "unknown proxy '$p' (expected: ${ALL_PROXIES[*]})"
done
for p in ${PHASES//,/ }; do
  contains "$(IFS=,; echo "${ALL_PHASES[*]}")" "$p" || die "unknown phase '$p' (expected: ${ALL_PHASES[*]})"
done

# --- prerequisites ------------------------------------------------------------

need() {  # need COMMAND WHAT
  command -v "$1" >/dev/null 2>&1 ||
    die "$1 not found ($2); scripts/install-deps.sh --bench installs the benchmark peers"
}
need openssl "certificates and the handshake load"
need wrk "the HTTP load generator"
need nginx "the backend"
need python3 "the idle-connection clients"
need taskset "CPU pinning (util-linux)"
need curl "the end-to-end check after each start"
(( PROFILE )) && need perf "--profile (apt-get install linux-perf)"
contains "$PROXIES" stunnel && need stunnel4 "the stunnel peer"
contains "$PROXIES" hitch && need hitch "the hitch peer"
contains "$PROXIES" haproxy && need haproxy "the haproxy peer"
contains "$PHASES" floor && need haproxy "the plaintext relay of the floor phase"
if contains "$PROXIES" tlsgate && [[ ! -x $TLSGATE_BINARY ]]; then
  die "no tlsgate binary at $TLSGATE_BINARY; build it in Release first:
  cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release && cmake --build build-bench
or point TLSGATE_BINARY at one"
fi
CPUS=$(nproc --all)
(( PROXY_CPU < CPUS && LOAD_CPU < CPUS )) || die "CPUs $PROXY_CPU and $LOAD_CPU needed; this machine has $CPUS"
(( PROXY_CPU != LOAD_CPU )) || log "warning: proxy and load share CPU $PROXY_CPU; CPU-per-unit figures stay valid, rates do not"

CLK_TCK=$(getconf CLK_TCK)
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
(( $(ulimit -n) >= 2 * IDLE_COUNT + 256 )) ||
  die "open-file limit $(ulimit -n) is too low for $IDLE_COUNT idle connections (raise it or use --idle-count)"

if [[ -z $OUT_DIR ]]; then
  OUT_DIR=$REPO_ROOT/build-bench/bench-results/$(date +%Y%m%d-%H%M%S)
fi
mkdir -p "$OUT_DIR"
RESULTS=$OUT_DIR/results.jsonl
: >"$RESULTS"

WORK=$(mktemp -d /tmp/tlsgate-bench.XXXXXX)
chmod 755 "$WORK"  # nginx workers run as nobody and must read www/

# --- process bookkeeping ------------------------------------------------------

BACKEND_PID=""
PROXY_PID=""
PROXY_SCHEME=https
HELPER_PIDS=()

stop_pid() {  # stop_pid PID: TERM, then KILL after 5 s
  local pid=$1
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  for pid in "${HELPER_PIDS[@]}"; do stop_pid "$pid"; done
  stop_proxy
  stop_pid "$BACKEND_PID"
  if (( status != 0 )) && [[ -s ${RESULTS:-} ]]; then
    log "stopped early; the table of what was measured is in $OUT_DIR/results.md"
    python3 "$SCRIPT_DIR/report.py" "$RESULTS" >"$OUT_DIR/results.md" || true
  fi
  if (( KEEP_WORK )); then
    log "kept $WORK"
  else
    cp "$WORK"/*.log "$OUT_DIR"/ 2>/dev/null || true
    rm -rf "$WORK"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_port PORT PID WHAT: until PORT accepts on 127.0.0.1, at most 10 s, and
# fail at once if PID exits.
wait_port() {
  local port=$1 pid=$2 what=$3
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || die "$what exited during start-up; its log: $(tail -n 20 "$WORK/$what.log" 2>/dev/null)"
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  die "$what did not listen on port $port within 10 s; its log: $(tail -n 20 "$WORK/$what.log" 2>/dev/null)"
}

# The PID and all its descendants (hitch forks workers).
process_tree() {
  local root=$1
  ps -e -o pid=,ppid= | awk -v root="$root" '
    { parent[$1] = $2; pids[NR] = $1 }
    END {
      keep[root] = 1; print root
      changed = 1
      while (changed) {
        changed = 0
        for (i in pids) { p = pids[i]
          if (!(p in keep) && (parent[p] in keep)) { keep[p] = 1; print p; changed = 1 } }
      }
    }'
}

# CPU ticks (utime+stime+cutime+cstime) of the tree rooted at PID.
cpu_ticks() {
  local total=0 pid fields
  for pid in $(process_tree "$1"); do
    fields=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null) || continue
    # After the comm field: state is field 1, utime..cstime are 12..15.
    total=$((total + $(awk '{ print $12 + $13 + $14 + $15 }' <<<"$fields")))
  done
  echo "$total"
}

# Resident set size of the tree rooted at PID, in kB.
rss_kb() {
  local total=0 pid kb
  for pid in $(process_tree "$1"); do
    kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) || continue
    total=$((total + ${kb:-0}))
  done
  echo "$total"
}

# Waits until the proxy's CPU counter stops moving (closing connections are
# still being processed when a client exits), at most 3 s.
settle() {
  local before after
  before=$(cpu_ticks "$PROXY_PID")
  for _ in $(seq 15); do
    sleep 0.2
    after=$(cpu_ticks "$PROXY_PID")
    [[ $after == "$before" ]] && return 0
    before=$after
  done
}

# emit PROXY PHASE METRIC VALUE UNIT: one raw JSON line.
emit() {
  printf '{"proxy":"%s","phase":"%s","metric":"%s","value":%s,"unit":"%s","duration_s":%s,"date":"%s"}\n' \
    "$1" "$2" "$3" "$4" "$5" "$DURATION" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >>"$RESULTS"
  log "  $1 $2 $3 = $4 $5"
}

calc() { awk "BEGIN { printf \"%.3f\", $1 }"; }

# --- certificates and backend -------------------------------------------------

make_certificates() {
  log "generating RSA-2048 and ECDSA P-256 certificates"
  local san="subjectAltName=DNS:localhost,IP:127.0.0.1"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/rsa.key" -out "$WORK/rsa.crt" \
    -days 2 -subj /CN=localhost -addext "$san" 2>/dev/null
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$WORK/ecdsa.key" \
    -out "$WORK/ecdsa.crt" -days 2 -subj /CN=localhost -addext "$san" 2>/dev/null
  for k in rsa ecdsa; do
    cat "$WORK/$k.crt" "$WORK/$k.key" >"$WORK/$k.pem"  # hitch and haproxy want one file
  done
}

start_backend() {
  mkdir -p "$WORK/www" "$WORK/nginx-tmp"
  head -c 100 /dev/zero | tr '\0' 'x' >"$WORK/www/small"
  truncate -s 64M "$WORK/www/big"
  chmod -R a+rX "$WORK/www"
  cat >"$WORK/nginx.conf" <<EOF
daemon off;
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/backend.log warn;
worker_rlimit_nofile 65536;
events { worker_connections 16384; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx-tmp/body;
  proxy_temp_path $WORK/nginx-tmp/proxy;
  fastcgi_temp_path $WORK/nginx-tmp/fastcgi;
  uwsgi_temp_path $WORK/nginx-tmp/uwsgi;
  scgi_temp_path $WORK/nginx-tmp/scgi;
  sendfile on;
  tcp_nodelay on;
  keepalive_timeout 600s;
  keepalive_requests 100000000;
  server {
    listen 127.0.0.1:$BACKEND_PORT backlog=4096;
    root $WORK/www;
    location / { }
  }
}
EOF
  # nginx writes its errors to backend.log itself (-e and error_log).
  taskset -c "$LOAD_CPU" nginx -e "$WORK/backend.log" -p "$WORK" -c "$WORK/nginx.conf" \
    >/dev/null 2>&1 &
  BACKEND_PID=$!
  wait_port "$BACKEND_PORT" "$BACKEND_PID" backend
  curl -fsS -o /dev/null "http://127.0.0.1:$BACKEND_PORT/small" ||
    die "the nginx backend does not serve /small; see $WORK/backend.log"
}

# --- the proxies --------------------------------------------------------------

# write_config PROXY KEY WORKERS: the proxy's config file; prints its path.
write_config() {
  local proxy=$1 key=$2 workers=$3 conf
  case "$proxy" in
    tlsgate | tlsgate-at-once)
      conf=$WORK/tlsgate.yaml
      local admin_line="" after=""
      [[ -n ${TLSGATE_ADMIN:-} ]] && admin_line="  admin: { listen: 127.0.0.1:$ADMIN_PORT }"
      [[ $proxy == tlsgate-at-once ]] && after=", record_layer_after: 0s"
      cat >"$conf" <<EOF
global:
  workers: $workers
  log: { level: $TLSGATE_LOG_LEVEL, format: text, file: stderr }
$admin_line
  timeouts: { handshake: 30s, idle: 1h }
  limits: { buffer_size: 64k$after }
listeners:
  - name: bench
    accept:
      address: 127.0.0.1:$PROXY_PORT
      tls:
        certificates:
          - cert: $WORK/$key.crt
            key: $WORK/$key.key
        protocols: [tls1.3]
    connect:
      address: 127.0.0.1:$BACKEND_PORT
EOF
      ;;
    stunnel)
      conf=$WORK/stunnel.conf
      cat >"$conf" <<EOF
foreground = yes
pid =
debug = warning
socket = l:TCP_NODELAY=1
socket = r:TCP_NODELAY=1
[bench]
accept = 127.0.0.1:$PROXY_PORT
connect = 127.0.0.1:$BACKEND_PORT
cert = $WORK/$key.crt
key = $WORK/$key.key
sslVersionMin = TLSv1.3
EOF
      ;;
    hitch)
      conf=$WORK/hitch.conf
      cat >"$conf" <<EOF
frontend = "[127.0.0.1]:$PROXY_PORT"
backend = "[127.0.0.1]:$BACKEND_PORT"
pem-file = "$WORK/$key.pem"
tls-protos = TLSv1.3
workers = $workers
backlog = 4096
daemon = off
log-level = 1
EOF
      # hitch refuses to run its workers as root.
      if (( EUID == 0 )); then
        printf 'user = "nobody"\ngroup = "nogroup"\n' >>"$conf"
      fi
      ;;
    haproxy | relay)
      # relay is the floor phase's reference: the same haproxy passing
      # plaintext through, no TLS at all, so what it costs is the kernel's
      # and an event loop's.
      local tls=" ssl crt $WORK/$key.pem ssl-min-ver TLSv1.3"
      if [[ $proxy == relay ]]; then tls=""; fi
      conf=$WORK/$proxy.cfg
      cat >"$conf" <<EOF
global
  nbthread $workers
  maxconn $(( ($(ulimit -n) - 100) / 2 ))
defaults
  mode tcp
  timeout connect 5s
  timeout client 1h
  timeout server 1h
frontend bench
  bind 127.0.0.1:$PROXY_PORT$tls
  default_backend nginx
backend nginx
  server nginx 127.0.0.1:$BACKEND_PORT
EOF
      ;;
  esac
  echo "$conf"
}

# start_proxy PROXY KEY [WORKERS] [CPUS]
start_proxy() {
  local proxy=$1 key=$2 workers=${3:-1} cpus=${4:-$PROXY_CPU} conf
  stop_proxy
  conf=$(write_config "$proxy" "$key" "$workers")
  case "$proxy" in
    tlsgate | tlsgate-at-once)
      taskset -c "$cpus" "$TLSGATE_BINARY" run -c "$conf" >>"$WORK/$proxy.log" 2>&1 &
      ;;
    stunnel) taskset -c "$cpus" stunnel4 "$conf" >>"$WORK/$proxy.log" 2>&1 & ;;
    hitch) taskset -c "$cpus" hitch --config="$conf" >>"$WORK/$proxy.log" 2>&1 & ;;
    haproxy | relay) taskset -c "$cpus" haproxy -db -f "$conf" >>"$WORK/$proxy.log" 2>&1 & ;;
  esac
  PROXY_PID=$!
  PROXY_SCHEME=$([[ $proxy == relay ]] && echo http || echo https)
  wait_port "$PROXY_PORT" "$PROXY_PID" "$proxy"
  # One full request end to end before anything is measured.
  curl -fsSk --tlsv1.3 -o /dev/null "$PROXY_SCHEME://127.0.0.1:$PROXY_PORT/small" ||
    die "$proxy does not pass a request to the backend; its log: $(tail -n 20 "$WORK/$proxy.log")"
}

# Stops the proxy and every process it forked (hitch's workers), and waits
# until its port is free, so the next proxy cannot share it by SO_REUSEPORT.
stop_proxy() {
  [[ -n $PROXY_PID ]] || return 0
  local pids pid alive
  pids=$(process_tree "$PROXY_PID")
  for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 50); do
    alive=0
    for pid in $pids; do kill -0 "$pid" 2>/dev/null && alive=1; done
    (( alive )) || break
    sleep 0.1
  done
  for pid in $pids; do kill -KILL "$pid" 2>/dev/null || true; done
  wait "$PROXY_PID" 2>/dev/null || true
  for _ in $(seq 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$PROXY_PORT") 2>/dev/null || break
    sleep 0.1
  done
  PROXY_PID=""
}

# --- load generators ----------------------------------------------------------

cat >"$WORK/summary.lua" <<'EOF'
done = function(summary, latency, requests)
  io.write(string.format("BENCH requests=%d bytes=%d connect_errors=%d read_errors=%d write_errors=%d status_errors=%d timeouts=%d\n",
    summary.requests, summary.bytes, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout))
end
EOF

# wrk_run SECONDS CONNECTIONS PATH: wrk's report on stdout. The timeout is
# long because one 64 MiB response can take longer than wrk's default 2 s.
wrk_run() {
  taskset -c "$LOAD_CPU" wrk -t1 -c"$2" -d"$1"s --timeout 60s --latency -s "$WORK/summary.lua" \
    "$PROXY_SCHEME://127.0.0.1:$PROXY_PORT$3" 2>&1
}

field() {  # field NAME REPORT: a key=value field of the BENCH line
  grep -o " $1=[0-9]*" <<<"$2" | head -n 1 | cut -d= -f2
}

# wrk latency ("1.23ms", "850.00us", "1.02s") in microseconds.
latency_us() {
  local line value
  line=$(awk -v p="$1%" '$1 == p { print $2 }' <<<"$2")
  value=${line%%[a-z]*}
  case "$line" in
    *us) calc "$value" ;;
    *ms) calc "$value * 1000" ;;
    *s) calc "$value * 1000000" ;;
    *) echo null ;;
  esac
}

check_wrk_errors() {  # check_wrk_errors PROXY PHASE REPORT
  local errors=0 name
  for name in connect_errors read_errors write_errors status_errors timeouts; do
    errors=$((errors + $(field "$name" "$3")))
  done
  if (( errors > 0 )); then
    log "  warning: $1 $2: wrk counted $errors errors: $(grep BENCH <<<"$3")"
    emit "$1" "$2" errors "$errors" count
  fi
}

# --- profiling ----------------------------------------------------------------

PERF_PID=""

# profile_start PROXY PHASE: with --profile, samples the proxy's process
# tree (cpu-clock works where hardware counters are not exposed; DWARF call
# graphs work for libraries built without frame pointers).
profile_start() {
  (( PROFILE )) || return 0
  perf record -q -e cpu-clock -F 499 --call-graph dwarf,16384 \
    -p "$(process_tree "$PROXY_PID" | paste -sd,)" -o "$OUT_DIR/perf.$1.$2.data" \
    >>"$WORK/perf.log" 2>&1 &
  PERF_PID=$!
  HELPER_PIDS=("$PERF_PID")
}

profile_stop() {
  [[ -n $PERF_PID ]] || return 0
  kill -INT "$PERF_PID" 2>/dev/null || true
  wait "$PERF_PID" 2>/dev/null || true
  PERF_PID=""
  HELPER_PIDS=()
}

# --- phases -------------------------------------------------------------------

phase_handshake() {  # PROXY KEY
  local proxy=$1 key=$2 phase="handshake_$2" before after total=0 i out
  log "$proxy: new connections (full handshake, one small request), $key, $HANDSHAKE_CLIENTS clients x ${DURATION}s"
  profile_start "$proxy" "$phase"
  before=$(cpu_ticks "$PROXY_PID")
  local pids=()
  for i in $(seq "$HANDSHAKE_CLIENTS"); do
    # -www: each connection also fetches /small, so every proxy does the
    # whole life of a connection (backend connect, one exchange, close)
    # instead of seeing the client reset it right after its Finished.
    taskset -c "$LOAD_CPU" openssl s_time -connect "127.0.0.1:$PROXY_PORT" -new -tls1_3 \
      -www /small -time "$DURATION" >"$WORK/s_time.$i.out" 2>&1 &
    pids+=($!)
  done
  HELPER_PIDS=("${pids[@]}" ${PERF_PID:+"$PERF_PID"})
  for i in "${pids[@]}"; do wait "$i" || true; done
  HELPER_PIDS=(${PERF_PID:+"$PERF_PID"})  # finished PIDs may be reused
  settle
  after=$(cpu_ticks "$PROXY_PID")
  profile_stop
  for i in $(seq "$HANDSHAKE_CLIENTS"); do
    out=$(sed -n 's/^\([0-9][0-9]*\) connections in [0-9.]*s;.*/\1/p' "$WORK/s_time.$i.out" | tail -n 1)
    total=$((total + ${out:-0}))
  done
  (( total > 0 )) || die "$proxy: no handshake completed; s_time said: $(tail -n 5 "$WORK/s_time.1.out")"
  emit "$proxy" "$phase" handshakes "$total" count
  emit "$proxy" "$phase" handshakes_per_s "$(calc "$total / $DURATION")" "1/s"
  emit "$proxy" "$phase" cpu_us_per_handshake "$(calc "($after - $before) * 1e6 / $CLK_TCK / $total")" us
}

phase_small() {  # PROXY [PHASE]
  local proxy=$1 phase=${2:-small} before after report requests
  log "$proxy: small keep-alive requests, $CONNECTIONS connections x ${DURATION}s"
  profile_start "$proxy" "$phase"
  before=$(cpu_ticks "$PROXY_PID")
  report=$(wrk_run "$DURATION" "$CONNECTIONS" /small)
  settle
  after=$(cpu_ticks "$PROXY_PID")
  profile_stop
  requests=$(field requests "$report")
  (( ${requests:-0} > 0 )) || die "$proxy: wrk made no requests: $report"
  check_wrk_errors "$proxy" "$phase" "$report"
  emit "$proxy" "$phase" requests_per_s "$(calc "$requests / $DURATION")" "1/s"
  emit "$proxy" "$phase" p50_us "$(latency_us 50 "$report")" us
  emit "$proxy" "$phase" p99_us "$(latency_us 99 "$report")" us
  emit "$proxy" "$phase" cpu_us_per_request "$(calc "($after - $before) * 1e6 / $CLK_TCK / $requests")" us
}

phase_bulk() {  # PROXY
  local proxy=$1 before after report bytes
  log "$proxy: bulk, 64 MiB responses, $BULK_CONNECTIONS connections x ${DURATION}s"
  profile_start "$proxy" bulk
  before=$(cpu_ticks "$PROXY_PID")
  report=$(wrk_run "$DURATION" "$BULK_CONNECTIONS" /big)
  settle
  after=$(cpu_ticks "$PROXY_PID")
  profile_stop
  bytes=$(field bytes "$report")
  (( ${bytes:-0} > 0 )) || die "$proxy: no bulk bytes moved: $report"
  check_wrk_errors "$proxy" bulk "$report"
  emit "$proxy" bulk mbytes_per_s "$(calc "$bytes / 1e6 / $DURATION")" "MB/s"
  emit "$proxy" bulk cpu_ns_per_byte "$(calc "($after - $before) * 1e9 / $CLK_TCK / $bytes")" ns
}

phase_idle() {  # PROXY: on a fresh proxy process, so earlier phases' heap does not hide growth
  local proxy=$1 before after line held
  log "$proxy: $IDLE_COUNT idle TLS connections"
  start_proxy "$proxy" ecdsa
  # A few connections first, so one-time start-up allocations are not counted.
  taskset -c "$LOAD_CPU" python3 "$SCRIPT_DIR/idle_clients.py" --port "$PROXY_PORT" --count 20 \
    </dev/null >/dev/null || die "$proxy: idle warm-up clients failed"
  settle
  before=$(rss_kb "$PROXY_PID")
  # A simple-command coproc is the python process itself, so stopping its PID
  # closes every held connection.
  coproc taskset -c "$LOAD_CPU" python3 "$SCRIPT_DIR/idle_clients.py" \
    --port "$PROXY_PORT" --count "$IDLE_COUNT" 2>>"$WORK/idle_clients.log"
  local idle_pid=$COPROC_PID
  HELPER_PIDS=("$idle_pid")
  line=""
  read -r -t 300 -u "${COPROC[0]}" line || true
  [[ $line == READY* ]] || die "$proxy: the idle clients did not get $IDLE_COUNT connections up: $(tail -n 3 "$WORK/idle_clients.log")"
  held=${line#READY }
  # tlsgate moves a connection to its record layer after 1 s
  # (limits.record_layer_after); wait past it for every proxy alike.
  sleep 2
  settle
  after=$(rss_kb "$PROXY_PID")
  emit "$proxy" idle connections "$held" count
  emit "$proxy" idle rss_kb_before "$before" kB
  emit "$proxy" idle rss_kb_after "$after" kB
  emit "$proxy" idle rss_kb_per_connection "$(calc "($after - $before) * 1.024 / $held")" kB
  stop_pid "$idle_pid"
  HELPER_PIDS=()
}

# tlsgate only: the small-request load with 1 and then 2 workers, the proxy
# allowed on every CPU. With the load generator sharing those CPUs this is
# indicative only; see docs/performance.md.
phase_scaling() {
  local workers rate1="" rate report requests cpus before after
  cpus=$(seq -s, 0 $((CPUS - 1)))
  for workers in 1 "$CPUS"; do
    log "tlsgate: scaling, $workers worker(s) on CPUs $cpus"
    start_proxy tlsgate ecdsa "$workers" "$cpus"
    before=$(cpu_ticks "$PROXY_PID")
    report=$(taskset -c "$cpus" wrk -t"$CPUS" -c"$CONNECTIONS" -d"$DURATION"s \
      -s "$WORK/summary.lua" "https://127.0.0.1:$PROXY_PORT/small" 2>&1)
    settle
    after=$(cpu_ticks "$PROXY_PID")
    requests=$(field requests "$report")
    rate=$(calc "${requests:-0} / $DURATION")
    emit tlsgate "scaling_w$workers" requests_per_s "$rate" "1/s"
    # Flat CPU per request from 1 to N workers means the workers share
    # nothing on the data path: throughput then grows with the cores free.
    emit tlsgate "scaling_w$workers" cpu_us_per_request \
      "$(calc "($after - $before) * 1e6 / $CLK_TCK / (${requests:-0} > 0 ? $requests : 1)")" us
    [[ -z $rate1 ]] && rate1=$rate
  done
  emit tlsgate scaling speedup "$(calc "$rate / ($rate1 > 0 ? $rate1 : 1)")" x
  stop_proxy
}

# tlsgate only: what the admin endpoint costs the data path. The small-request
# load with the endpoint off, then on and scraped every second (/metrics and
# /connections, from the load CPU), twice each, alternating, so that drift
# on a shared machine falls on both sides alike.
phase_metrics() {
  local round mode scraper
  for round in 1 2; do
    for mode in off on; do
      if [[ $mode == on ]]; then
        TLSGATE_ADMIN=1 start_proxy tlsgate ecdsa
        wait_port "$ADMIN_PORT" "$PROXY_PID" tlsgate
        taskset -c "$LOAD_CPU" bash -c "while :; do
            curl -fsS -o /dev/null http://127.0.0.1:$ADMIN_PORT/metrics
            curl -fsS -o /dev/null http://127.0.0.1:$ADMIN_PORT/connections
            sleep 1
          done" >>"$WORK/scraper.log" 2>&1 &
        scraper=$!
        HELPER_PIDS=("$scraper")
      else
        start_proxy tlsgate ecdsa
      fi
      phase_small tlsgate "metrics_${mode}_r$round"
      if [[ $mode == on ]]; then
        curl -fsS "http://127.0.0.1:$ADMIN_PORT/metrics" | grep -q '^tlsgate_connections_total' ||
          die "tlsgate: the admin endpoint served no metrics during the metrics phase"
        stop_pid "$scraper"
        HELPER_PIDS=()
      fi
      stop_proxy
    done
  done
}

kv_field() {  # kv_field NAME LINE: a NAME=value (decimal) field of flood.py's line
  grep -o "$1=[0-9.a-z]*" <<<"$2" | head -n 1 | cut -d= -f2
}

# The flood phase, on a fresh proxy process: first FLOOD_STALLED connections
# that send 10 bytes of a ClientHello and stall (the RSS each costs); then a
# kept connection's request round trip and a real client's handshake time,
# quiet and during a flood of cheap ClientHellos from hello_flood.c.
phase_flood() {  # PROXY
  local proxy=$1 before after line held report flood_pid rate
  [[ -x $WORK/hello_flood ]] ||
    cc -O2 -o "$WORK/hello_flood" "$SCRIPT_DIR/hello_flood.c" -lssl -lcrypto ||
    die "cannot build hello_flood.c (needs a C compiler and libssl-dev)"
  log "$proxy: $FLOOD_STALLED stalled partial ClientHellos"
  start_proxy "$proxy" ecdsa
  taskset -c "$LOAD_CPU" python3 "$SCRIPT_DIR/idle_clients.py" --port "$PROXY_PORT" --count 20 \
    </dev/null >/dev/null || die "$proxy: flood warm-up clients failed"
  settle
  before=$(rss_kb "$PROXY_PID")
  coproc taskset -c "$LOAD_CPU" python3 "$SCRIPT_DIR/flood.py" stalled \
    --port "$PROXY_PORT" --count "$FLOOD_STALLED" 2>>"$WORK/flood.log"
  local stalled_pid=$COPROC_PID
  HELPER_PIDS=("$stalled_pid")
  line=""
  read -r -t 300 -u "${COPROC[0]}" line || true
  [[ $line == READY* ]] || die "$proxy: the stalled clients did not connect: $(tail -n 3 "$WORK/flood.log")"
  held=${line#READY }
  # tlsgate moves a connection to its record layer after 1 s
  # (limits.record_layer_after); wait past it for every proxy alike.
  sleep 2
  settle
  after=$(rss_kb "$PROXY_PID")
  emit "$proxy" flood stalled_connections "$held" count
  emit "$proxy" flood stalled_rss_kb_per_connection "$(calc "($after - $before) * 1.024 / $held")" kB
  stop_pid "$stalled_pid"
  HELPER_PIDS=()
  settle

  log "$proxy: kept connection and handshakes, quiet"
  report=$(taskset -c "$LOAD_CPU" python3 "$SCRIPT_DIR/flood.py" probe --port "$PROXY_PORT" \
    --seconds "$FLOOD_SECONDS")
  emit "$proxy" flood quiet_rtt_p50 "$(kv_field rtt_p50_ms "$report")" ms
  emit "$proxy" flood quiet_rtt_p99 "$(kv_field rtt_p99_ms "$report")" ms
  emit "$proxy" flood quiet_handshake_p50 "$(kv_field hs_p50_ms "$report")" ms

  log "$proxy: the same during a ClientHello flood"
  taskset -c "$LOAD_CPU" "$WORK/hello_flood" "$PROXY_PORT" "$((FLOOD_SECONDS + 1))" 64 \
    >"$WORK/hello_flood.out" 2>&1 &
  flood_pid=$!
  HELPER_PIDS=("$flood_pid")
  report=$(taskset -c "$LOAD_CPU" python3 "$SCRIPT_DIR/flood.py" probe --port "$PROXY_PORT" \
    --seconds "$FLOOD_SECONDS")
  wait "$flood_pid" || true
  HELPER_PIDS=()
  rate=$(sed -n 's/.*rate=\([0-9.]*\).*/\1/p' "$WORK/hello_flood.out")
  emit "$proxy" flood hellos_per_second "${rate:-0}" "1/s"
  emit "$proxy" flood flood_rtt_p50 "$(kv_field rtt_p50_ms "$report")" ms
  emit "$proxy" flood flood_rtt_p99 "$(kv_field rtt_p99_ms "$report")" ms
  emit "$proxy" flood flood_handshake_p50 "$(kv_field hs_p50_ms "$report")" ms
  emit "$proxy" flood flood_handshake_p99 "$(kv_field hs_p99_ms "$report")" ms
  stop_proxy
}

# --- main ---------------------------------------------------------------------

make_certificates
start_backend
log "backend nginx on 127.0.0.1:$BACKEND_PORT (CPU $LOAD_CPU); proxies on 127.0.0.1:$PROXY_PORT (CPU $PROXY_CPU)"
log "results: $RESULTS"

for proxy in ${PROXIES//,/ }; do
  if contains "$PHASES" handshake; then
    start_proxy "$proxy" rsa
    phase_handshake "$proxy" rsa
  fi
  if contains "$PHASES" handshake || contains "$PHASES" small || contains "$PHASES" bulk; then
    start_proxy "$proxy" ecdsa
    contains "$PHASES" handshake && phase_handshake "$proxy" ecdsa
    contains "$PHASES" small && phase_small "$proxy"
    contains "$PHASES" bulk && phase_bulk "$proxy"
  fi
  contains "$PHASES" idle && phase_idle "$proxy"
  contains "$PHASES" flood && phase_flood "$proxy"
  stop_proxy
  if [[ $proxy == tlsgate ]] && contains "$PHASES" scaling; then
    phase_scaling
  fi
done

if [[ ,$PROXIES, == *,tlsgate,* ]] && contains "$PHASES" metrics; then
  phase_metrics
fi

# The small-request load through a plaintext relay: the kernel's share of a
# request, which no proxy on this machine can go below.
if contains "$PHASES" floor; then
  start_proxy relay ecdsa
  phase_small relay floor
  stop_proxy
fi

python3 "$SCRIPT_DIR/report.py" "$RESULTS" >"$OUT_DIR/results.md"
cat "$OUT_DIR/results.md"
log "raw results: $RESULTS; table: $OUT_DIR/results.md"
