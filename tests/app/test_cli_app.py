from typer.testing import CliRunner

from batik_studio.cli import app


def test_app_command_offers_port_and_host():
    """`batik app --help` documents --port and --host."""
    result = CliRunner().invoke(app, ["app", "--help"])
    assert result.exit_code == 0
    assert "--port" in result.output and "--host" in result.output


def test_app_command_rejects_a_bad_port():
    """A port outside 1..65535 is refused before anything starts."""
    result = CliRunner().invoke(app, ["app", "--port", "70000"])
    assert result.exit_code != 0
