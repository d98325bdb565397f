#!/usr/bin/env bash
# Installs what the project's own tests need on a fresh Debian machine, then the project itself.
# Idempotent: packages already present are skipped. Run as root (or with sudo available).
set -euo pipefail
cd "$(dirname "$0")/.."

debian_packages=(
  docker-registry   # a real OCI registry for the packaging tests (started on 127.0.0.1 by a fixture)
  wabt              # wat2wasm / wasm-objdump, to cross-check the project's own wasm reader
  nghttp2-client    # h2load, the load generator of `wasmhub bench`
  util-linux        # setpriv: ties each child to its starting thread without forking the test process
  chromium          # headless: the report test renders the HTML report and screenshots it
)
missing=()
for pkg in "${debian_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The Rust examples and test modules build with cargo for wasm32-wasip1 (cargo fetches the proxy-wasm
# crate from crates.io). Debian's rustc is too old for both, so the target is added to rustup's
# toolchain; without rustup the Rust tests skip, and fail under CI.
[ -f "$HOME/.cargo/env" ] && . "$HOME/.cargo/env"  # rustup's PATH, for a shell that never read it
if command -v rustup >/dev/null 2>&1; then
  rustup target list --installed | grep -qx wasm32-wasip1 || rustup target add wasm32-wasip1
else
  echo "setup-machine: no rustup: the Rust tests (tests/rust) need cargo with the wasm32-wasip1 target" >&2
fi

python3 -m pip install --quiet --disable-pip-version-check -e '.[test]'
