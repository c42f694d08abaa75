#!/usr/bin/env bash
# Start (or stop) `cvlearn-worker join` processes on other machines over ssh, for a master started with
# `cvlearn-master serve`. See --help, and README.md, section "cvlearn-worker join".
set -euo pipefail

prog=launch-workers
usage() {
  cat <<'EOF'
Usage: deploy/launch-workers.sh --master http://MASTER:50051 [--storage LOCATION] [--threads N] [--per-host K]
                                [--dir DIR] HOST [HOST ...]
       deploy/launch-workers.sh --stop [--dir DIR] HOST [HOST ...]

Starts K `cvlearn-worker join` processes (default 1) on every HOST over ssh, in the background (nohup), from DIR
(default: this checkout, which must have the same path on every host, e.g. a shared filesystem). The workers are
named HOST-1..HOST-K, log to DIR/runs/workers/HOST-I.log, record their pid in DIR/runs/workers/HOST-I.pid and get
CVLEARN_LOCAL_WORKERS=K, so that by default each uses cores/K threads. One line is printed per started worker.
A worker exits 0 by itself when the search is finished.

Options:
  --master URL     the master's gRPC address, http://HOST:PORT, https://HOST:PORT or HOST:PORT (required to start)
  --storage LOC    checkpoint storage as seen from the hosts (default: the location the master announces)
  --threads N      training threads per worker (default: cores / K)
  --per-host K     workers per host (default 1)
  --dir DIR        the checkout's path on the hosts (default: this checkout)
  --stop           send SIGTERM to the workers this script started on each HOST (they leave the master cleanly,
                   which requeues their trials at once) and wait until they have exited
  -h, --help       this text

Environment:
  CVLEARN_SSH      ssh command (default: ssh; always run with -o BatchMode=yes)
  CVLEARN_AZURE_CONNECTION_STRING
                   if set here, handed to the remote workers' environment (over ssh's stdin, never on a command line)
  on the hosts:    CVLEARN_WORKER (default DIR/worker/CvLearn.Worker/bin/Release/net10.0/cvlearn-worker.dll),
                   CVLEARN_DOTNET (default: dotnet on PATH, else ~/.dotnet/dotnet)

Exit codes: 0 success, 2 bad input, 1 a host failed (ssh, missing build, worker did not start).
EOF
}

die_usage() {
  echo "$prog: $*" >&2
  echo "Run deploy/launch-workers.sh --help for usage." >&2
  exit 2
}

master="" storage="" threads="" per_host=1 stop=0 hosts=()
dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)

need_value() { [ "$#" -ge 2 ] || die_usage "$1 needs a value"; }
while [ "$#" -gt 0 ]; do
  case $1 in
    -h|--help) usage; exit 0 ;;
    --master) need_value "$@"; master=$2; shift 2 ;;
    --master=*) master=${1#*=}; shift ;;
    --storage) need_value "$@"; storage=$2; shift 2 ;;
    --storage=*) storage=${1#*=}; shift ;;
    --threads) need_value "$@"; threads=$2; shift 2 ;;
    --threads=*) threads=${1#*=}; shift ;;
    --per-host) need_value "$@"; per_host=$2; shift 2 ;;
    --per-host=*) per_host=${1#*=}; shift ;;
    --dir) need_value "$@"; dir=$2; shift 2 ;;
    --dir=*) dir=${1#*=}; shift ;;
    --stop) stop=1; shift ;;
    --) shift; hosts+=("$@"); break ;;
    -*) die_usage "unknown option '$1'" ;;
    *) hosts+=("$1"); shift ;;
  esac
done

[ "${#hosts[@]}" -gt 0 ] || die_usage "no HOST given: name at least one host to run workers on"
for h in "${hosts[@]}"; do
  case $h in
    ''|-*|*/*|*[[:space:]]*) die_usage "invalid host '$h': a host name or user@host, without '/', spaces or a leading '-'" ;;
  esac
done
case $dir in
  /*) ;;
  *) die_usage "--dir must be an absolute path (the same on every host), got '$dir'" ;;
esac
if [ "$stop" -eq 0 ]; then
  [ -n "$master" ] || die_usage "--master is required: the master's gRPC address, e.g. --master http://MASTER:50051"
  # The rule cvlearn-worker join applies (GrpcAddress): http(s)://HOST:PORT or a bare HOST:PORT; the port is required.
  if ! [[ $master =~ ^(https?://)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?):[0-9]{1,5}/?$ ]]; then
    die_usage "--master '$master' is malformed: expected http://HOST:PORT or HOST:PORT (the master's --grpc-port), e.g. --master http://MASTER:50051"
  fi
  [[ $per_host =~ ^[1-9][0-9]*$ ]] || die_usage "--per-host must be a positive integer, got '$per_host'"
  if [ -n "$threads" ] && ! [[ $threads =~ ^[1-9][0-9]*$ ]]; then
    die_usage "--threads must be a positive integer, got '$threads'"
  fi
fi

# The ssh command: a path (which may contain spaces) or a command line such as "ssh -F ~/.ssh/cluster".
if [ -e "${CVLEARN_SSH:-ssh}" ]; then
  ssh_cmd=("$CVLEARN_SSH")
else
  read -r -a ssh_cmd <<<"${CVLEARN_SSH:-ssh}"
  [ "${#ssh_cmd[@]}" -gt 0 ] || ssh_cmd=(ssh)
fi

# POSIX single quoting, understood by any remote login shell.
squote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }

# Runs on each host under bash: "$0"=launch-workers "$1"=start|stop "$2"=HOST "$3"=DIR "$4"=K "$5"=MASTER
# "$6"=STORAGE "$7"=THREADS "$8"=1 when the Azure connection string follows on stdin.
# Its own errors are printed with the host name and end it with exit code 3.
# shellcheck disable=SC2016
remote_script='
set -euo pipefail
mode=$1 host=$2 dir=$3 k=$4 master=$5 storage=$6 threads=$7 azure=$8
name_base=${host##*@}
fail() { echo "launch-workers: $host: $*" >&2; exit 3; }
if [ "$azure" = 1 ]; then
  IFS= read -r CVLEARN_AZURE_CONNECTION_STRING || true
  export CVLEARN_AZURE_CONNECTION_STRING
fi
[ -d "$dir" ] || fail "directory $dir does not exist there (use --dir with the checkout'"'"'s path on that host)"
logs=$dir/runs/workers
# True when PID is the worker NAME started by this script (not a recycled pid).
is_ours() {
  kill -0 "$1" 2>/dev/null || return 1
  local cmd
  if [ -r "/proc/$1/cmdline" ]; then cmd=$(tr "\0" " " <"/proc/$1/cmdline"); else cmd=$(ps -p "$1" -o args= 2>/dev/null || true); fi
  case " $cmd " in *" --name $2 "*) return 0 ;; *) return 1 ;; esac
}

if [ "$mode" = stop ]; then
  found=0
  for f in "$logs/$name_base"-*.pid; do
    [ -e "$f" ] || continue
    i=${f#"$logs/$name_base-"}; i=${i%.pid}
    case $i in ""|*[!0-9]*) continue ;; esac
    found=1 name=$name_base-$i pid=$(cat "$f")
    if ! is_ours "$pid" "$name"; then
      echo "$host: $name is not running (pid $pid gone); removed $f"
      rm -f "$f"; continue
    fi
    kill -TERM "$pid"
    for _ in $(seq 1 150); do is_ours "$pid" "$name" || break; sleep 0.1; done
    if is_ours "$pid" "$name"; then fail "$name (pid $pid) did not exit within 15 s of SIGTERM; see $logs/$name.log"; fi
    rm -f "$f"
    echo "$host: stopped $name (pid $pid), log $logs/$name.log"
  done
  [ "$found" = 1 ] || echo "$host: no workers started by launch-workers.sh (no $logs/$name_base-N.pid)"
  exit 0
fi

dll=${CVLEARN_WORKER:-$dir/worker/CvLearn.Worker/bin/Release/net10.0/cvlearn-worker.dll}
[ -f "$dll" ] || fail "worker build missing: $dll not found; run \`dotnet build -c Release\` there (in $dir)"
dotnet=${CVLEARN_DOTNET:-}
if [ -z "$dotnet" ]; then
  if command -v dotnet >/dev/null 2>&1; then dotnet=dotnet
  elif [ -x "$HOME/.dotnet/dotnet" ]; then dotnet=$HOME/.dotnet/dotnet
  else fail "dotnet not found (not on PATH, no ~/.dotnet/dotnet); install the .NET 10 runtime or set CVLEARN_DOTNET"
  fi
fi
mkdir -p "$logs"
args=(join --master "$master")
[ -z "$storage" ] || args+=(--storage "$storage")
[ -z "$threads" ] || args+=(--threads "$threads")
started=()
for i in $(seq 1 "$k"); do
  name=$name_base-$i
  if [ -f "$logs/$name.pid" ] && is_ours "$(cat "$logs/$name.pid")" "$name"; then
    fail "$name is already running (pid $(cat "$logs/$name.pid")); stop it first with --stop"
  fi
  cd "$dir"
  CVLEARN_LOCAL_WORKERS=$k nohup "$dotnet" "$dll" "${args[@]}" --name "$name" </dev/null >>"$logs/$name.log" 2>&1 &
  echo $! >"$logs/$name.pid"
  started+=("$name:$!")
done
sleep 1
for s in "${started[@]}"; do
  name=${s%:*} pid=${s##*:}
  if ! kill -0 "$pid" 2>/dev/null; then
    wait "$pid" && code=0 || code=$?
    rm -f "$logs/$name.pid"
    if [ "$code" = 0 ]; then # joined a search that is already finished: nothing went wrong
      echo "$host: $name exited at once with code 0 (the search is finished: no trial left to take), log $logs/$name.log"
      continue
    fi
    echo "launch-workers: $host: $name exited at once (exit code $code); last lines of $logs/$name.log:" >&2
    tail -n 5 "$logs/$name.log" | sed "s/^/  /" >&2
    exit 3
  fi
  echo "$host: started $name (pid $pid), log $logs/$name.log"
done
'

mode=start
[ "$stop" -eq 0 ] || mode=stop
azure=0
[ -z "${CVLEARN_AZURE_CONNECTION_STRING:-}" ] || azure=1
failed=()
for host in "${hosts[@]}"; do
  remote_cmd="bash -c $(squote "$remote_script") $prog $(squote "$mode") $(squote "$host") $(squote "$dir") $(squote "$per_host")"
  remote_cmd+=" $(squote "$master") $(squote "$storage") $(squote "$threads") $azure"
  set +e
  if [ "$azure" = 1 ]; then
    printf '%s\n' "$CVLEARN_AZURE_CONNECTION_STRING" | "${ssh_cmd[@]}" -o BatchMode=yes -o ConnectTimeout=15 -- "$host" "$remote_cmd"
  else
    "${ssh_cmd[@]}" -o BatchMode=yes -o ConnectTimeout=15 -- "$host" "$remote_cmd" </dev/null
  fi
  rc=$?
  set -e
  if [ "$rc" -eq 3 ]; then
    failed+=("$host")
  elif [ "$rc" -ne 0 ]; then
    echo "$prog: $host: ssh failed (exit code $rc; command: ${ssh_cmd[*]} -o BatchMode=yes $host); check that 'ssh $host true' works without a password" >&2
    failed+=("$host")
  fi
done
if [ "${#failed[@]}" -gt 0 ]; then
  echo "$prog: failed on ${#failed[@]} of ${#hosts[@]} host(s): ${failed[*]}" >&2
  exit 1
fi
