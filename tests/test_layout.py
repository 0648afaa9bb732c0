"""The code's layout is its architecture: imports run one way, down the layers the README names."""
import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORTAL = ROOT / "portal"

# Lowest first: a module may import from its own layer and the ones above it in this list, never below.
LAYERS = (
    {"clock", "config", "limits", "extensions", "models", "csv_cells"},
    {"web"},
    {"mail"},
    {"auth"},
    {"media", "newsletter"},
    {"account"},
    {"admin", "pages"},
    {"ops"},
    {"portal", "cli"},
)
# The `portal` command builds the app only when it runs: its one import upward.
ALLOWED = {("cli", "portal")}


def layer_of(area: str) -> int:
    return next(number for number, areas in enumerate(LAYERS) if area in areas)


def area_of(module: str) -> str:
    """`portal.auth.codes` → "auth"; `portal.clock` → "clock"; `portal` → "portal"."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "portal"


def imports_of(path: Path):
    """Every `portal` module a file imports, at its top or inside a function."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "portal":
            for alias in node.names:
                named = f"{node.module}.{alias.name}"
                is_module = ((ROOT / f"{named.replace('.', '/')}.py").exists()
                             or (ROOT / named.replace(".", "/")).is_dir())
                yield named if is_module else node.module
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name.split(".")[0] == "portal")


def module_of(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_every_area_is_in_a_layer():
    areas = {path.stem for path in PORTAL.glob("*.py") if path.stem != "__init__"}
    areas |= {path.name for path in PORTAL.iterdir() if (path / "__init__.py").exists()}
    assert areas == set().union(*LAYERS) - {"portal"}


def test_no_import_runs_from_a_lower_layer_to_a_higher_one():
    upward = []
    for path in PORTAL.rglob("*.py"):
        importer = area_of(module_of(path))
        for imported in imports_of(path):
            target = area_of(imported)
            if layer_of(target) > layer_of(importer) and (importer, target) not in ALLOWED:
                upward.append(f"{module_of(path)} imports {imported}")
    assert upward == []


def test_the_root_keeps_only_what_every_area_shares():
    assert len(list(PORTAL.glob("*.py"))) <= 8


def test_the_readme_names_every_package_of_the_layout():
    section = re.search(r"## How the code is laid out\n(.*?)\n## ", (ROOT / "README.md").read_text(), re.S).group(1)
    packages = {path.name for path in PORTAL.iterdir() if (path / "__init__.py").exists()}
    assert {name for name in packages if f"`{name}/`" not in section} == set()
