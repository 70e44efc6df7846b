#!/usr/bin/env bash
# Installs what the tests drive from Debian's packages: Chromium for the browser test (never a
# browser download of a package's own: playwright-core drives /usr/bin/chromium) and tmux for the
# real-terminal tests (Ctrl-C while the spinner runs). Does nothing for what is already there.
set -euo pipefail
missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v tmux >/dev/null 2>&1 || missing+=(tmux)
if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    # echo joins its arguments with one space: the message is one line.
    echo "install-test-tools: apt-get not found. Install ${missing[*]} yourself (Chromium at /usr/bin/chromium)," \
      "or set IAP_AUTH0_SKIP_BROWSER=1 to skip the browser test; the terminal tests skip without tmux." >&2
    exit 1
  fi
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi
echo "chromium: $(/usr/bin/chromium --version 2>/dev/null || echo present)"
echo "tmux: $(tmux -V)"
