"""``python -m batik_studio`` runs the ``batik`` command."""

from batik_studio.cli import app

app(prog_name="batik")
