#!/usr/bin/env bash
# Installs Debian's Chromium for the browser test (never a browser download of a package's own:
# playwright-core drives /usr/bin/chromium). Does nothing when it is already there.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo present)"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-chromium: apt-get not found. Install Chromium at /usr/bin/chromium yourself, or set IAP_AUTH0_SKIP_BROWSER=1 to skip the browser test." >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
echo "chromium: $(/usr/bin/chromium --version)"
