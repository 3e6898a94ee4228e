"""``python -m kstreams_nb.jobs``: the process of a detached job (see kstreams_nb.jobs._runner)."""

from __future__ import annotations

import sys

from kstreams_nb.jobs._runner import main

if __name__ == "__main__":
    sys.exit(main())
