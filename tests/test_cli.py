"""The ``smartbranch`` command, run as a user runs it (a subprocess on its own var dir)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

SMARTBRANCH = str(Path(sys.executable).parent / "smartbranch")


def _run(var: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SMARTBRANCH_")}
    env.update({"SMARTBRANCH_VAR_DIR": str(var), "COLUMNS": "200"})
    return subprocess.run(
        [SMARTBRANCH, *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture(scope="module")
def var(tmp_path_factory: pytest.TempPathFactory) -> Path:
    var = tmp_path_factory.mktemp("cli-var")
    assert _run(var, "generate", "--customers", "500", "--outlets", "2").returncode == 0
    assert _run(var, "load").returncode == 0
    return var


class TestCommands:
    def test_enroll_prints_the_token_once_and_list_never_shows_it(self, var: Path) -> None:
        enrolled = _run(var, "devices", "enroll", "--kind", "kiosk", "--org", "BJ001")
        assert enrolled.returncode == 0, enrolled.stderr
        token = enrolled.stdout.strip().splitlines()[-1]
        assert token.startswith("sbd_")
        listed = _run(var, "devices", "list")
        assert listed.returncode == 0
        assert token not in listed.stdout
        assert token[:10] in listed.stdout

    def test_user_error_prints_code_and_message_without_traceback(self, var: Path) -> None:
        result = _run(var, "devices", "enroll", "--kind", "kiosk", "--org", "NOPE")
        assert result.returncode == 1
        output = result.stdout + result.stderr
        assert "org_not_found" in output
        assert "NOPE" in output
        assert "Traceback" not in output

    def test_load_is_idempotent_from_the_command_line(self, var: Path) -> None:
        again = _run(var, "load")
        assert again.returncode == 0, again.stderr
        assert "customers" in again.stdout

    def test_missing_lake_is_a_clear_error(self, tmp_path: Path) -> None:
        result = _run(tmp_path, "load")
        assert result.returncode == 1
        assert "lake_missing" in result.stdout + result.stderr
