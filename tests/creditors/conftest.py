"""Each creditors test its own data keys file: ending a contract destroys keys in it."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from govern.config import Settings


@pytest.fixture
def settings(settings: Settings, tmp_path: Path) -> Settings:
    folder = tmp_path / "data-keys"
    folder.mkdir(mode=0o700)
    keys = folder / "data_keys.json"
    shutil.copy(settings.data_keys_file, keys)
    keys.chmod(0o600)
    return replace(settings, data_keys_file=keys)
