# Sourced by scripts/test and scripts/screenshots: Debian packages, `apt-get update` at most once.
_apt_updated=
apt_install() {
  if [ -z "$_apt_updated" ]; then
    apt-get update -qq
    _apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# Debian's Chromium and CJK fonts, what the browser tests and screenshots drive through
# Playwright; never a downloaded browser build (no `playwright install`).
ensure_chromium() {
  export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
  if [ ! -x /usr/bin/chromium ] || ! dpkg-query -W fonts-noto-cjk >/dev/null 2>&1; then
    echo "==> installing chromium and CJK fonts (Debian packages)"
    apt_install chromium fonts-noto-cjk
  fi
}
