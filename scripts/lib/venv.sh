# Sourced by scripts/demo and scripts/test: make .venv hold exactly what pyproject.toml pins.
ensure_venv() {
  local stamp=.venv/.installed-from-pyproject
  # Editable installs map the packages that existed when installed: check they all import.
  if [ -x .venv/bin/python ] && cmp -s pyproject.toml "$stamp" \
     && .venv/bin/python -I -c 'import audit, govern' 2>/dev/null; then
    return 0
  fi
  echo "==> installing Govern into .venv (first run, or pyproject.toml changed)"
  python3 -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet --editable '.[dev]'
  cp pyproject.toml "$stamp"
}
