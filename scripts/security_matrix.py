"""Write the security matrix of docs/security.md from tests/security_matrix.toml.

    .venv/bin/python scripts/security_matrix.py

The section between its markers is replaced by the table as it is now; the rest of the page
stays yours. tests/test_security_matrix.py fails when the page shows another matrix than the
table gives, and when the service answers another than the table says.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.matrix import SECURITY_MD, load, rewritten


def main() -> None:
    text = SECURITY_MD.read_text(encoding="utf-8")
    SECURITY_MD.write_text(rewritten(text, load()), encoding="utf-8")


if __name__ == "__main__":
    main()
