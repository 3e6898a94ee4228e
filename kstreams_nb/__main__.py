"""``python -m kstreams_nb ...`` runs the command line."""

from kstreams_nb.cli import main

raise SystemExit(main())
