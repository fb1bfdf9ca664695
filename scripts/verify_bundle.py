"""Verify an audit export bundle, or a proof, offline: standard library and `cryptography`.

    python scripts/verify_bundle.py BUNDLE_FOLDER [--key PUBLIC_KEY.pem]
    python scripts/verify_bundle.py --proof PROOF.json [--key PUBLIC_KEY.pem]

Exit 0 when everything verifies, 1 when something does not (each problem is printed), 2 on
bad usage. Pin the service's published public key with --key; otherwise the key inside the
bundle is used and its key id printed, to compare with the published one.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the audit/ package beside

from audit.offline import verify_bundle, verify_proof


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bundle", nargs="?", type=Path, help="an export bundle folder")
    parser.add_argument("--proof", type=Path, help="an inclusion or consistency proof (JSON)")
    parser.add_argument("--key", type=Path, help="the service's public key (PEM) to pin")
    args = parser.parse_args()
    pinned = args.key.read_bytes() if args.key else None
    if args.proof:
        problems = verify_proof(json.loads(args.proof.read_text()), pinned)
        summary = f"proof {args.proof}"
    elif args.bundle:
        problems, manifest = verify_bundle(args.bundle, pinned)
        summary = (
            f"bundle {args.bundle}: events {manifest['first']}..{manifest['last']}, "
            f"{manifest['checked_checkpoints']} signed roots rebuilt, "
            f"key {manifest['key_id']}"
        )
    else:
        parser.print_usage(sys.stderr)
        return 2
    for problem in problems:
        print(f"PROBLEM: {problem}")
    print(("FAILED: " if problems else "OK: ") + summary)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
