#!/usr/bin/env bash
# The main job on one machine: a real coarse-to-fine search on Fashion-MNIST with local workers and filesystem
# storage, then the best checkpoint ensemble pulled and scored on the test set.
# Installs what it needs (the Fashion-MNIST Debian package), publishes master and worker (deploy/publish.sh: Release,
# ReadyToRun) into out/, and runs:
#   cvlearn-master serve --config CONFIG --local-workers N --storage runs/storage --exit-when-done
#   cvlearn-master ensemble --state runs/CONFIG.state.db --top 5 --out runs/ensemble --evaluate --split test
# Interrupted (Ctrl-C)? Run it again: the master carries on from its state file.
# Usage: deploy/local-search.sh [CONFIG=deploy/examples/fashion-mnist-search.json] [WORKERS=2]
# Watch it live meanwhile: http://127.0.0.1:8080/ or `cvlearn-master leaderboard --master http://127.0.0.1:50051 --watch`.
set -euo pipefail
cd "$(dirname "$0")/.."
config=${1:-deploy/examples/fashion-mnist-search.json}
workers=${2:-2}
out=runs

if [ ! -d /usr/share/datasets/fashion-mnist ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  echo "== installing Fashion-MNIST (Debian package dataset-fashion-mnist)"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq dataset-fashion-mnist >/dev/null
fi

echo "== building (Release, ReadyToRun) into out/"
bin=$(deploy/publish.sh out)
master=(dotnet "$bin/cvlearn-master.dll")
export CVLEARN_WORKER="$PWD/$bin/cvlearn-worker.dll"

mkdir -p "$out"
state="$out/$(basename "$config" .json).state.db"
echo "== search: $config with $workers local workers; dashboard http://127.0.0.1:8080/"
"${master[@]}" serve --config "$config" --local-workers "$workers" --storage "$out/storage" \
  --state "$state" --grpc-port 50051 --http-port 8080 --exit-when-done
echo "== the final ensemble: the best checkpoints pulled from storage and scored on the test set"
"${master[@]}" ensemble --state "$state" --top 5 --out "$out/ensemble" --evaluate --split test
