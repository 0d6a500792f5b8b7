#!/usr/bin/env bash
# Builds the rest sentinel (native/rest-sentinel.c) into prebuilds/linux-x64/rest-sentinel.node, the
# binary the package ships. Node-API only, so one binary serves every Node line; built against the
# headers of the running node (its include/node), with threads from libuv (exported by Node) and
# nothing from the C library but clock_gettime (GLIBC_2.17), so it loads on any glibc Linux of the
# last ten years. Run it after changing the source, and commit the binary with it.
set -euo pipefail
cd "$(dirname "$0")/.."
headers="${NODE_HEADERS:-$(dirname "$(dirname "$(command -v node)")")/include/node}"
[ -f "$headers/node_api.h" ] || { echo "no node_api.h in $headers (set NODE_HEADERS)" >&2; exit 1; }
mkdir -p prebuilds/linux-x64
out=prebuilds/linux-x64/rest-sentinel.node
gcc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -fPIC -shared -fvisibility=hidden \
  -I"$headers" native/rest-sentinel.c -o "$out" -Wl,--as-needed
strip --strip-unneeded "$out"
# What it needs from the C library: nothing newer than GLIBC_2.17.
if objdump -T "$out" | grep -E 'GLIBC_2\.(1[89]|[2-9][0-9])' >&2; then echo "needs a newer glibc than 2.17" >&2; exit 1; fi
echo "$out: $(stat -c %s "$out") bytes"
