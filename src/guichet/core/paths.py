"""Where the shared public datasets live (BANKING77, the French COVID FAQ), without importing Django.

`GUICHET_SHARED_DIR` wins; otherwise the `shared/` folder beside the repository checkout (how CI and developers
lay it out), then the workplace default.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parents[3]


def shared_dir() -> Path:
    configured = os.environ.get("GUICHET_SHARED_DIR")
    if configured:
        return Path(configured)
    beside_checkout = REPO_DIR.parent / "shared"
    if beside_checkout.is_dir():
        return beside_checkout
    return Path("/work/shared")


def shared_data_dir() -> Path:
    return shared_dir() / "data"
