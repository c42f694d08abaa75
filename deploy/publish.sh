#!/usr/bin/env bash
# Publishes cvlearn-master and cvlearn-worker (Release, ReadyToRun: precompiled, so each process starts without a
# second of JIT; see Directory.Build.props) into one directory, where `serve --local-workers` finds the worker
# beside the master. Prints that directory. Framework-dependent: the machine needs the .NET 10 runtime only.
# Usage: deploy/publish.sh [DIR=out]      then: dotnet DIR/cvlearn-master.dll ...   dotnet DIR/cvlearn-worker.dll ...
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-out}
for project in master/CvLearn.Master worker/CvLearn.Worker; do
  dotnet publish "$project" -c Release -o "$out" -v quiet -nologo >/dev/null \
    || { echo "deploy/publish.sh: publishing $project failed; run \`dotnet publish $project -c Release -o $out\` to see why" >&2; exit 1; }
done
echo "$out"
