# Sourced by scripts/demo and scripts/test: make .venv hold exactly what pyproject.toml pins.
ensure_venv() {
  local stamp=.venv/.installed-from-pyproject
  if [ -x .venv/bin/python ] && cmp -s pyproject.toml "$stamp"; then
    return 0
  fi
  echo "==> installing Govern into .venv (first run, or pyproject.toml changed)"
  python3 -m venv .venv
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet --editable '.[dev]'
  cp pyproject.toml "$stamp"
}
