"""The `bregmalib` command dispatcher."""

import importlib
import importlib.metadata

import pytest

from bregmalib import cli


def test_help_lists_every_command(capsys):
    assert cli.main(["--help"]) == 0
    out = capsys.readouterr().out
    for name in cli.COMMANDS:
        assert name in out


def test_unknown_command_is_refused(capsys):
    assert cli.main(["lipschitzz"]) == 2
    assert "unknown command 'lipschitzz'" in capsys.readouterr().err


@pytest.mark.parametrize("name", sorted(cli.COMMANDS))
def test_every_command_module_has_main(name):
    path = cli.COMMANDS[name][0]
    assert path.startswith("bregmalib.cli._"), path
    module = importlib.import_module(path)
    assert callable(module.main)


def test_version_comes_from_the_installed_package(capsys):
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out == f"bregmalib {importlib.metadata.version('bregmalib')}\n"


def test_command_help_exits_0(capsys):
    assert cli.main(["invert", "--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: bregmalib invert")
