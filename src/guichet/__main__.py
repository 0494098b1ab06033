"""`python -m guichet ...`: Django management commands plus the product's own command groups.

    python -m guichet migrate | runserver-style commands   (any manage.py command)
    python -m guichet serve                                 (uvicorn + embedded worker)
    python -m guichet kb import FILE | kb export FILE
    python -m guichet bot eval --kb KB --queries QUERIES
    python -m guichet wfm staff ... | wfm simulate SCENARIO
    python -m guichet voice simulate ...
"""

from __future__ import annotations

import os
import sys

# One BLAS thread: numpy's OpenBLAS threads otherwise compete with the embedding engine for the cores and
# double a virtual-agent turn (docs/virtual-agent.md). Must be set before numpy is first imported.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "guichet.settings")
    import django

    django.setup()
    from django.core.management import execute_from_command_line

    # Command groups are management commands named after the group: `kb import X` -> `kb import X`.
    execute_from_command_line(["guichet", *args])
    return 0


if __name__ == "__main__":
    sys.exit(main())
