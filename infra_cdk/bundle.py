"""Builds the gateway function's code directory: ``python -m infra_cdk.bundle [DIR]``
(``make lambda-bundle``), so that synthesis needs no Docker.

The directory holds the runtime packages the handler imports and Linux ``aarch64`` wheels of
the project's dependencies for the function's Python, less those the Lambda path never
imports (the local stack, the CLI, the render pipeline). ``tests/unit/gateway/
test_lambda_http.py`` checks that importing the handler loads none of them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from infra_cdk.config import DEFAULT_BUNDLE_DIR, REPO_ROOT

PACKAGES = ("gateway", "schema", "resolvers", "datasources")
"""The project's packages on the Lambda path (not render_jobs, infra_cdk, tests)."""
EXCLUDED_DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "moto": ("moto",),
    "trimesh": ("trimesh",),
    "numpy": ("numpy",),
    "scipy": ("scipy",),
    "scikit-image": ("skimage",),
    "pillow": ("PIL",),
    "uvicorn": ("uvicorn",),
    "typer": ("typer",),
    "rich": ("rich",),
    "alembic": ("alembic",),
}
"""Distributions left out of the bundle, with the top-level modules they provide."""
SKIPPED_FILES = ("__pycache__", "*.pyc", "node_modules", "local_stack")
"""GraphiQL's npm packages and the local stack stay out (index.html is read at start)."""
PLATFORM = "manylinux2014_aarch64"
PYTHON_VERSION = "3.11"
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def distribution_name(requirement: str) -> str:
    """``pillow`` of ``pillow==13.0.0``, ``uvicorn`` of ``uvicorn[standard]==0.54.0``."""
    match = _NAME.match(requirement)
    if match is None:
        raise ValueError(f"not a requirement: {requirement!r}")
    return match.group(1).lower().replace("_", "-")


def lambda_requirements(pyproject: Path = REPO_ROOT / "pyproject.toml") -> list[str]:
    """The project's pinned dependencies that the Lambda bundle installs."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    return [
        requirement
        for requirement in project["dependencies"]
        if distribution_name(requirement) not in EXCLUDED_DISTRIBUTIONS
    ]


def build(target: Path) -> Path:
    """Write the bundle into ``target`` (replacing it)."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--target",
            str(target),
            "--platform",
            PLATFORM,
            "--implementation",
            "cp",
            "--python-version",
            PYTHON_VERSION,
            "--only-binary=:all:",
            *lambda_requirements(),
        ],
        check=True,
    )
    for package in PACKAGES:
        shutil.copytree(
            REPO_ROOT / package,
            target / package,
            ignore=shutil.ignore_patterns(*SKIPPED_FILES),
        )
    return target


def main() -> None:
    """``python -m infra_cdk.bundle [DIR]``."""
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO_ROOT / DEFAULT_BUNDLE_DIR
    built = build(target)
    size = sum(f.stat().st_size for f in built.rglob("*") if f.is_file())
    sys.stdout.write(f"Lambda bundle in {built}: {size / 1e6:.1f} MB\n")


if __name__ == "__main__":
    main()
