#!/usr/bin/env bash
# The README's promise on a bare Debian machine (Node, nothing from apt), acted out on this one:
# a private mount namespace hides the Vulkan loader (so neither lavapipe nor SwiftShader reach
# Node), Debian's Chromium and PostgreSQL; EGL is pointed at Debian 12's stock Mesa 22.3.6, what
# a fresh machine has; the browser tests take the Chromium that npm ships. Then the command given
# (default: the README's `npm test`). Needs root for unshare and mount, as CI has.
# Usage: .ci/bare.sh [command...]
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- npm test
mesa_env=$(bash .ci/stock-mesa-gl.sh /tmp/wgbench-mesa22 | sed 's/^export //')
export WGBENCH_BARE_ENV="$mesa_env"
exec unshare -m bash -c '
  set -euo pipefail
  for lib in /usr/lib/x86_64-linux-gnu/libvulkan.so* /lib/x86_64-linux-gnu/libvulkan.so*; do
    if [ -f "$lib" ] && [ ! -L "$lib" ]; then mount --bind /dev/null "$lib"; fi
  done
  for dir in /usr/lib/chromium /usr/lib/postgresql /usr/share/vulkan/icd.d; do
    if [ -d "$dir" ]; then mount -t tmpfs tmpfs "$dir"; fi
  done
  # The stock Mesa for EGL; no Vulkan variables: there is no loader to read them.
  for kv in $WGBENCH_BARE_ENV; do case "$kv" in VK_*) ;; *) export "$kv" ;; esac; done
  # /usr/bin/chromium is left as a dangling launcher; the tests are told to take the npm Chromium,
  # as they would find no system one on a bare machine. PostgreSQL tests skip as there.
  export WGBENCH_CHROMIUM=npm WGBENCH_POSTGRES_BIN=none
  # A fresh machine has compiled no shader yet: Mesa starts from an empty cache.
  MESA_SHADER_CACHE_DIR=$(mktemp -d /tmp/wgbench-bare-mesa-cache.XXXXXX)
  export MESA_SHADER_CACHE_DIR
  unset WGBENCH_REQUIRE_POSTGRES WGBENCH_TEST_BACKEND
  exec "$@"
' bare "$@"
