#!/usr/bin/env bash
# Install Debian's Noto CJK fonts, used for Japanese text in the images the
# product draws (rich menu image maker, generated avatars; core/fonts.py).
# Idempotent; needs root or password-less sudo. Without them it warns and
# carries on: Japanese labels then fall back to a font without the glyphs.
set -euo pipefail

[ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
export DEBIAN_FRONTEND=noninteractive
if ! { $SUDO apt-get install -y -qq fonts-noto-cjk >/dev/null 2>&1 || {
  $SUDO apt-get update -qq >/dev/null 2>&1 &&
    $SUDO apt-get install -y -qq fonts-noto-cjk >/dev/null 2>&1
}; }; then
  echo "warning: could not install fonts-noto-cjk; Japanese text in generated images needs it" >&2
fi
