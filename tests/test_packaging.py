"""The project builds the way `pip install -e .` and `make run` build it: quietly, and whole."""
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def build_wheel(tmp_path: Path) -> tuple[subprocess.CompletedProcess, Path]:
    """Build from a copy of the sources, so the build's own folders never land in the working tree."""
    source = tmp_path / "source"
    source.mkdir()
    shutil.copy(ROOT / "pyproject.toml", source / "pyproject.toml")
    shutil.copytree(ROOT / "portal", source / "portal",
                    ignore=shutil.ignore_patterns("messages.pot"))
    wheels = tmp_path / "wheels"
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check",
                             "-w", str(wheels), str(source)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    [wheel] = wheels.glob("portal-*.whl")
    return result, wheel


def test_the_wheel_builds_without_a_warning_and_holds_every_package_and_the_compiled_translations(tmp_path):
    result, wheel = build_wheel(tmp_path)
    output = result.stdout + result.stderr
    assert "absent from the `packages` configuration" not in output
    assert "Warning" not in output, output
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "portal/translations/fr/LC_MESSAGES/messages.mo" in names
    packages = {path.parent.relative_to(ROOT).as_posix() for path in (ROOT / "portal").rglob("__init__.py")}
    assert {f"{package}/__init__.py" for package in packages} <= names
    assert not [name for name in names if "__pycache__" in name]
