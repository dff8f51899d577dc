"""The house style's linter runs with the suite, so a clean checkout stays clean."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_finds_nothing():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "."], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_changes_nothing():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_import_contracts_hold():
    """The layers and independence contracts in pyproject.toml ([tool.importlinter])."""
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_no_import_hides_inside_a_function():
    """Imports of our own code sit at the top of a module, where the contracts see them and no
    cycle can hide (AppConfig.ready() is the one place Django wants them inside a function)."""
    hidden = []
    for path in [*ROOT.glob("helpdesk/**/*.py"), *ROOT.glob("sla/**/*.py"), *ROOT.glob("billing/**/*.py")]:
        if "migrations" in path.parts or path.name == "apps.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            stripped = line.lstrip()
            if line != stripped and stripped.startswith(("from helpdesk", "from sla", "from billing")):
                hidden.append(f"{path.relative_to(ROOT)}:{number}: {stripped}")
    assert hidden == []


def test_no_module_outgrows_a_reading():
    """Six hundred lines at most outside migrations and tests: past that a module is two."""
    long = [
        f"{path.relative_to(ROOT)}: {count}"
        for path in [*ROOT.glob("helpdesk/**/*.py"), *ROOT.glob("sla/**/*.py"), *ROOT.glob("billing/**/*.py")]
        if "migrations" not in path.parts and (count := len(path.read_text().splitlines())) > 600
    ]
    assert long == []


def test_migrations_match_the_models():
    result = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
