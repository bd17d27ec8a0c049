# shellcheck shell=bash
# PG_* globals below are set here and read by the sourcing scripts:
# shellcheck disable=SC2034
# Shared helpers for scripts/test and scripts/run. Source it; do not execute.
#
# Deliberately does NOT change shell options (set -e etc.): callers set
# `set -euo pipefail` themselves, and sourcing this file from an interactive
# shell for debugging must not make that shell exit on the first error.
# Functions therefore check errors explicitly and `return 1` on failure.

# Repo root: the caller may set ROOT; otherwise derive it from this file's
# location (scripts/..), so the helpers work no matter what the cwd is.
if [[ -z "${ROOT:-}" ]]; then
  ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
fi

# Everything the build, the tests and the local stack need. Kept in one place
# so CI and developers install exactly the same set.
ANALYTICS_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config g++
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libpqxx-dev libspdlog-dev libfmt-dev
  libgtest-dev libgmock-dev libssl-dev libcpp-httplib-dev
  postgresql-15 postgresql-client-15 postgresql-15-hll clang-format tzdata
  python3-yaml openssl
  # scripts/fuzz: Clang with libFuzzer and the sanitizer runtimes
  # (libclang-rt-dev is only a Recommends of clang), llvm for llvm-symbolizer
  # so crash reports name functions and lines.
  clang libclang-rt-dev llvm
)

# What scripts/bench needs on top: gnuplot (without X) for the charts that
# bench/report.py draws into bench/RESULTS.md. A list of its own so the
# tests, the local stack and the images never pull it.
BENCH_PACKAGES=(gnuplot-nox)

# --- logging ----------------------------------------------------------------
# All diagnostics go to stderr so functions that "return" a value on stdout
# (free_port, pg_bin) stay clean.
log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }
warn() { printf '[%s] WARNING: %s\n' "$(basename "$0")" "$*" >&2; }
err() { printf '[%s] ERROR: %s\n' "$(basename "$0")" "$*" >&2; }

# Run a command as root: directly when we already are, via sudo otherwise.
as_root() {
  if [[ "$(id -u)" -eq 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    err "need root for: $*  (not root and sudo is not installed)"
    return 1
  fi
}

# --- packages ---------------------------------------------------------------
# ensure_packages [packages...] — install whatever of the given packages
# (default: ANALYTICS_PACKAGES) is missing. The dpkg-query check is local and
# fast, so repeated runs never touch the network; `apt-get update` only runs
# when there is actually something to install.
# The arguments are optional (scripts/test, run and fuzz pass none):
# shellcheck disable=SC2120
ensure_packages() {
  local pkg status missing=() wanted=("$@")
  if [[ $# -eq 0 ]]; then
    wanted=("${ANALYTICS_PACKAGES[@]}")
  fi
  for pkg in "${wanted[@]}"; do
    status="$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)"
    if [[ "$status" != "install ok installed" ]]; then
      missing+=("$pkg")
    fi
  done
  if [[ ${#missing[@]} -eq 0 ]]; then
    return 0
  fi
  log "installing missing packages: ${missing[*]}"
  # `env` because sudo would otherwise drop DEBIAN_FRONTEND. The Dpkg options
  # keep existing config files instead of prompting, so installs never hang.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q || return 1
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
    --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    "${missing[@]}" || return 1
}

# --- build ------------------------------------------------------------------
# The build directory: build/, or build-asan/ / build-tsan/ / build-fuzz/
# when ANALYTICS_SANITIZE is asan (AddressSanitizer + UBSan), tsan, or fuzz
# (Clang, libFuzzer + ASan + UBSan; scripts/fuzz sets it).
build_dir() {
  case "${ANALYTICS_SANITIZE:-}" in
    "") printf '%s\n' "$ROOT/build" ;;
    asan | tsan | fuzz) printf '%s\n' "$ROOT/build-$ANALYTICS_SANITIZE" ;;
    *)
      err "ANALYTICS_SANITIZE must be asan, tsan or fuzz, not '$ANALYTICS_SANITIZE'"
      return 1
      ;;
  esac
}

# build_project [targets...]  — configure + build; no targets = everything
# (including tests). Re-running the configure step every time is cheap and
# picks up CMakeLists changes without the caller having to think about it.
#   ANALYTICS_BUILD_TYPE  (default Release)
#   ANALYTICS_BUILD_JOBS  (default: nproc)
build_project() {
  local build_dir
  build_dir="$(build_dir)" || return 1
  local jobs="${ANALYTICS_BUILD_JOBS:-$(nproc)}"
  local launcher=() sanitize=()
  if command -v ccache >/dev/null 2>&1; then
    launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  fi
  case "${ANALYTICS_SANITIZE:-}" in
    "") ;;
    asan) sanitize=(-DANALYTICS_SANITIZE=address,undefined) ;;
    tsan) sanitize=(-DANALYTICS_SANITIZE=thread) ;;
    # Only the `fuzzers` target is meant to be built here (no tests).
    fuzz)
      sanitize=("-DANALYTICS_SANITIZE=address,undefined" -DANALYTICS_FUZZ=ON
        -DCMAKE_CXX_COMPILER=clang++ -DBUILD_TESTING=OFF)
      ;;
  esac
  log "configuring $build_dir"
  cmake -S "$ROOT" -B "$build_dir" -G Ninja \
    -DCMAKE_BUILD_TYPE="${ANALYTICS_BUILD_TYPE:-Release}" \
    "${launcher[@]}" "${sanitize[@]}" || return 1

  local target_args=()
  if [[ $# -gt 0 ]]; then
    target_args=(--target "$@")
  fi
  log "building ${*:-all targets} with $jobs jobs"
  cmake --build "$build_dir" --parallel "$jobs" "${target_args[@]}" || return 1
}

# --- PostgreSQL -------------------------------------------------------------
# Directory of the PostgreSQL 15 server binaries (initdb, pg_ctl, psql...).
# We call them by absolute path rather than via Debian's pg_wrapper so the
# version is pinned and no system cluster configuration is consulted.
pg_bin() {
  local dir=/usr/lib/postgresql/15/bin
  if [[ ! -x "$dir/pg_ctl" ]]; then
    err "PostgreSQL 15 not found in $dir (is postgresql-15 installed?)"
    return 1
  fi
  printf '%s\n' "$dir"
}

# Globals set by pg_start, for callers that care:
PG_STARTED_BY_US=0    # 1 if pg_start launched the server (vs. reused one)
PG_INITIALIZED_NOW=0  # 1 if pg_start ran initdb (fresh, empty cluster)
PG_LOG_FILE=""        # server log file
PG_SOCKET_DIR=""      # unix socket directory

# PostgreSQL refuses to run as root. When we are root, run the server tools as
# the `postgres` OS user; `cd /` first so they never start in a cwd (like
# /root) that user cannot access.
_pg_as_owner() {
  if [[ "$(id -u)" -eq 0 ]]; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

# Make sure the `postgres` OS user exists (the postgresql package normally
# creates it; this covers stripped-down images).
_pg_ensure_os_user() {
  if ! id -u postgres >/dev/null 2>&1; then
    log "creating system user 'postgres'"
    useradd --system --user-group --home-dir /var/lib/postgresql \
      --shell /bin/bash postgres || return 1
  fi
}

# As root: make sure `postgres` can reach DIR, i.e. has search (x) permission
# on every ancestor. mktemp dirs are 0700 root, and repos can live under
# /root, so this is commonly needed. We add o+x only (traverse, not list).
_pg_ensure_traversable() {
  local dir="$1"
  if runuser -u postgres -- test -x "$dir" 2>/dev/null; then
    return 0
  fi
  local d="$dir" fixed=()
  while [[ "$d" != "/" && -n "$d" ]]; do
    if [[ -d "$d" ]] && ! runuser -u postgres -- test -x "$d" 2>/dev/null; then
      # Checking `d` fails if *any* ancestor blocks, so only chmod the ones
      # whose own mode lacks o+x.
      if [[ "$(stat -c '%A' "$d")" != *x ]] && [[ "$(stat -c '%A' "$d")" != *t ]]; then
        chmod o+x "$d" && fixed+=("$d")
      fi
    fi
    d="$(dirname "$d")"
  done
  if [[ ${#fixed[@]} -gt 0 ]]; then
    log "granted o+x (traverse) on: ${fixed[*]} so the 'postgres' user can reach $dir"
  fi
  if ! runuser -u postgres -- test -x "$dir" 2>/dev/null; then
    err "OS user 'postgres' cannot access $dir (check permissions/ACLs/mount" \
      "options of its parent directories), or put the data dir elsewhere."
    return 1
  fi
}

# Print the last N (default 40) lines of a PostgreSQL log file, framed.
pg_log_tail() {
  local file="$1" n="${2:-40}"
  if [[ -f "$file" ]]; then
    printf -- '----- last %s lines of %s -----\n' "$n" "$file" >&2
    tail -n "$n" "$file" >&2
    printf -- '----- end of %s -----\n' "$file" >&2
  fi
}

# Port the running server of DATADIR listens on (line 4 of postmaster.pid).
_pg_running_port() {
  sed -n 4p "$1/postmaster.pid" 2>/dev/null
}

# pg_start DATADIR PORT
# Initialize DATADIR on first use, then start a server on 127.0.0.1:PORT.
# If a server for DATADIR is already running on PORT it is reused (and
# PG_STARTED_BY_US stays 0). Log: DATADIR/../postgres.log.
pg_start() {
  local datadir="$1" port="$2"
  local bin
  bin="$(pg_bin)" || return 1

  # Absolute paths: the tools run from `/` when we are root.
  datadir="$(realpath -m -- "$datadir")"
  local parent
  parent="$(dirname "$datadir")"
  PG_LOG_FILE="$parent/postgres.log"
  PG_STARTED_BY_US=0
  PG_INITIALIZED_NOW=0

  # Unix socket next to the data dir. sun_path is limited to ~107 bytes and
  # pg_ctl's -o option is split on whitespace, so if the natural location is
  # too long or has spaces, fall back to a short per-datadir dir in /tmp.
  PG_SOCKET_DIR="$parent/socket"
  if [[ $(( ${#PG_SOCKET_DIR} + ${#port} + 12 )) -ge 100 || "$PG_SOCKET_DIR" =~ [[:space:]] ]]; then
    PG_SOCKET_DIR="/tmp/analytics-pg-$(printf '%s' "$datadir" | cksum | cut -d' ' -f1)"
    log "socket path under $parent would be too long/unsafe; using $PG_SOCKET_DIR"
  fi
  if [[ "$datadir" =~ [[:space:]] ]]; then
    err "PostgreSQL data dir path must not contain whitespace: $datadir"
    return 1
  fi

  mkdir -p "$datadir" "$PG_SOCKET_DIR" || return 1
  touch "$PG_LOG_FILE" || return 1
  if [[ "$(id -u)" -eq 0 ]]; then
    _pg_ensure_os_user || return 1
    # Only what the server writes is handed to `postgres`; the parent dir
    # (e.g. .local/, which also holds the admin token) stays root's.
    chown postgres: "$datadir" "$PG_SOCKET_DIR" "$PG_LOG_FILE" || return 1
    _pg_ensure_traversable "$datadir" || return 1
  fi
  chmod 700 "$datadir"

  # Already running? Reuse it if it is on the expected port.
  if _pg_as_owner "$bin/pg_ctl" status -D "$datadir" >/dev/null 2>&1; then
    local running_port
    running_port="$(_pg_running_port "$datadir")"
    if [[ "$running_port" != "$port" ]]; then
      err "PostgreSQL for $datadir is already running on port $running_port, not $port." \
        "Stop it first: $bin/pg_ctl stop -D $datadir (as user postgres)"
      return 1
    fi
    log "reusing running PostgreSQL ($datadir, port $port)"
    return 0
  fi

  # First use: initdb. PG_VERSION is written by initdb, so its presence is
  # the marker for "already initialized".
  if [[ ! -s "$datadir/PG_VERSION" ]]; then
    if [[ -n "$(ls -A "$datadir")" ]]; then
      err "$datadir is not empty but is not a PostgreSQL data dir; refusing to touch it"
      return 1
    fi
    # C.UTF-8 gives UTF-8 semantics without depending on generated locales;
    # plain C is the universally available fallback.
    local locale=C
    if locale -a 2>/dev/null | grep -qixE 'c\.utf-?8'; then
      locale=C.UTF-8
    fi
    log "initializing PostgreSQL cluster in $datadir (locale $locale)"
    if ! _pg_as_owner "$bin/initdb" -D "$datadir" --auth=trust \
        --username=postgres --encoding=UTF8 --locale="$locale" \
        >>"$PG_LOG_FILE" 2>&1; then
      err "initdb failed"
      pg_log_tail "$PG_LOG_FILE"
      return 1
    fi
    PG_INITIALIZED_NOW=1
  fi

  # Settings are passed on the command line (not written to postgresql.conf)
  # so they also apply to clusters created by older versions of this script.
  # max_connections: services keep connection pools and ctest runs tests in
  # parallel, so the default 100 is tight.
  local opts="-p $port -k $PG_SOCKET_DIR -c listen_addresses=127.0.0.1"
  opts+=" -c fsync=on -c max_connections=200 -c shared_buffers=128MB"
  # Extra "-c name=value" settings (scripts/bench sizes the server for its
  # data sets); later settings win.
  opts+="${ANALYTICS_PG_OPTIONS:+ $ANALYTICS_PG_OPTIONS}"
  log "starting PostgreSQL on 127.0.0.1:$port (log: $PG_LOG_FILE)"
  if ! _pg_as_owner "$bin/pg_ctl" start -D "$datadir" -w -t 60 \
      -l "$PG_LOG_FILE" -o "$opts" >/dev/null; then
    err "PostgreSQL failed to start (port $port in use?)"
    pg_log_tail "$PG_LOG_FILE"
    return 1
  fi
  PG_STARTED_BY_US=1
}

# pg_stop DATADIR — fast shutdown if running; never fails (used in traps).
pg_stop() {
  local datadir bin
  datadir="$(realpath -m -- "$1")"
  bin="$(pg_bin 2>/dev/null)" || return 0
  [[ -f "$datadir/postmaster.pid" ]] || return 0
  if _pg_as_owner "$bin/pg_ctl" status -D "$datadir" >/dev/null 2>&1; then
    log "stopping PostgreSQL ($datadir)"
    _pg_as_owner "$bin/pg_ctl" stop -D "$datadir" -m fast -w -t 60 >/dev/null 2>&1 || true
  fi
  return 0
}

# pg_ensure_database PORT DBNAME — create DBNAME on 127.0.0.1:PORT unless it
# already exists (idempotent, so re-runs are fine).
pg_ensure_database() {
  local port="$1" db="$2" bin exists
  bin="$(pg_bin)" || return 1
  exists="$("$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -XtAq \
    -v ON_ERROR_STOP=1 -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" || return 1
  if [[ "$exists" != "1" ]]; then
    log "creating database $db"
    "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres "$db" || return 1
  fi
}

# --- ports ------------------------------------------------------------------
# True if something accepts TCP connections on 127.0.0.1:PORT. Pure bash
# (/dev/tcp), so it works without python/nc. Connecting to a closed local
# port fails immediately, so no timeout is needed.
port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# free_port — print a currently unused TCP port on 127.0.0.1. Picks random
# ports in 20000-32767: below Linux's default ephemeral range (32768+), so we
# don't collide with outgoing connections, and random so parallel runs don't
# pick the same port. There is an unavoidable race between picking and
# binding; callers that bind fail loudly if they lose it.
free_port() {
  local i port
  for ((i = 0; i < 100; i++)); do
    port=$(( 20000 + RANDOM % 12768 ))
    if command -v ss >/dev/null 2>&1; then
      # ss also sees sockets bound to other addresses (0.0.0.0, ::).
      [[ -z "$(ss -Htln "sport = :$port" 2>/dev/null)" ]] || continue
    fi
    port_in_use "$port" && continue
    printf '%s\n' "$port"
    return 0
  done
  err "could not find a free TCP port"
  return 1
}

# wait_for_port PORT TIMEOUT_SECONDS [PID]
# Wait until 127.0.0.1:PORT accepts connections. With PID, give up early if
# that process dies (so a crashing service fails fast instead of timing out).
wait_for_port() {
  local port="$1" timeout="$2" pid="${3:-}"
  local deadline=$(( SECONDS + timeout ))
  while (( SECONDS < deadline )); do
    if port_in_use "$port"; then
      return 0
    fi
    if [[ -n "$pid" ]] && ! process_alive "$pid"; then
      err "process $pid exited before port $port opened"
      return 1
    fi
    sleep 0.2
  done
  err "timed out after ${timeout}s waiting for 127.0.0.1:$port"
  return 1
}

# process_alive PID — true if PID exists and is not a zombie (an exited but
# not yet reaped child still answers `kill -0`).
process_alive() {
  local pid="$1" state=""
  kill -0 "$pid" 2>/dev/null || return 1
  if [[ -r "/proc/$pid/stat" ]]; then
    # Field 3 is the state; strip "pid (comm) " first since comm may contain
    # spaces.
    state="$(sed -E 's/^[0-9]+ \(.*\) ([A-Za-z]).*/\1/' "/proc/$pid/stat" 2>/dev/null || true)"
    [[ "$state" != "Z" ]] || return 1
  fi
  return 0
}
