"""``python -m batik_studio`` runs the ``batik`` command."""

from batik_studio.cli import run

run()
