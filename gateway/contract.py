"""The committed schema contract: export, staleness check and breaking-change detection.

``schema/schema.graphql`` is the contract clients build against. It must equal the SDL the
code produces, and a change that breaks existing operations (graphql-core's breaking change
types) is allowed only when ``schema/breaking_changes.ack`` names it by an exact line
``<BreakingChangeType> <description>``. Functions here return data; the CLI prints.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import graphql
from graphql import (
    BreakingChangeType,
    DangerousChangeType,
    GraphQLSchema,
    find_schema_changes,
)

import schema as schema_package
from schema import build_schema

SCHEMA_DIR = Path(schema_package.__file__).resolve().parent
CONTRACT_PATH = SCHEMA_DIR / "schema.graphql"
ACK_PATH = SCHEMA_DIR / "breaking_changes.ack"
RELEASE_TAG_PATTERN = "v*"
_GIT_TIMEOUT_SECONDS = 30.0


@dataclass(frozen=True)
class SchemaChange:
    """A breaking or dangerous change, as graphql-core names and describes it."""

    type: str
    description: str

    @property
    def ack_line(self) -> str:
        """The line of ``breaking_changes.ack`` that acknowledges this change."""
        return f"{self.type} {self.description}"


@dataclass(frozen=True)
class SchemaDiff:
    """Breaking and dangerous changes from an old schema to a new one."""

    breaking: tuple[SchemaChange, ...]
    dangerous: tuple[SchemaChange, ...]


@dataclass(frozen=True)
class ContractReport:
    """The state of the contract.

    ``up_to_date``: the committed file equals the SDL of the code. ``baseline``: what the
    breaking changes were computed against (the committed file or a git ref), and
    ``baseline_found`` whether it could be read at all.
    """

    contract_path: Path
    up_to_date: bool
    baseline: str
    baseline_found: bool
    breaking: tuple[SchemaChange, ...]
    dangerous: tuple[SchemaChange, ...]
    unacknowledged: tuple[SchemaChange, ...]
    unused_acknowledgements: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """The committed file is current and every breaking change is acknowledged."""
        return self.up_to_date and not self.unacknowledged


class BreakingChangesError(Exception):
    """Refused to overwrite the contract: unacknowledged breaking changes."""

    def __init__(self, report: ContractReport) -> None:
        super().__init__(
            f"{len(report.unacknowledged)} unacknowledged breaking change(s) against "
            f"{report.baseline}"
        )
        self.report = report


def export_sdl() -> str:
    """The SDL of the Vitrine schema (with its AppSync directives), newline-terminated."""
    return _sdl_of(build_schema().as_str())


def read_contract(path: Path = CONTRACT_PATH) -> str | None:
    """The committed SDL, or None when the file does not exist."""
    return path.read_text(encoding="utf-8") if path.exists() else None


def parse_acknowledgements(text: str) -> frozenset[str]:
    """The acknowledgement lines of an ack file (blank lines and ``#`` comments dropped)."""
    lines = (line.strip() for line in text.splitlines())
    return frozenset(line for line in lines if line and not line.startswith("#"))


def read_acknowledgements(path: Path = ACK_PATH) -> frozenset[str]:
    """The acknowledgements in ``path`` (none when the file does not exist)."""
    return (
        parse_acknowledgements(path.read_text(encoding="utf-8")) if path.exists() else frozenset()
    )


def diff_schemas(old: GraphQLSchema, new: GraphQLSchema) -> SchemaDiff:
    """Breaking and dangerous changes from ``old`` to ``new`` (graphql-core's detector)."""
    breaking: list[SchemaChange] = []
    dangerous: list[SchemaChange] = []
    for change in find_schema_changes(old, new):
        if isinstance(change.type, BreakingChangeType):
            breaking.append(SchemaChange(change.type.name, change.description))
        elif isinstance(change.type, DangerousChangeType):
            dangerous.append(SchemaChange(change.type.name, change.description))
    return SchemaDiff(breaking=tuple(breaking), dangerous=tuple(dangerous))


def diff_sdl(old_sdl: str, new_sdl: str) -> SchemaDiff:
    """Breaking and dangerous changes between two SDL documents."""
    return diff_schemas(graphql.build_schema(old_sdl), graphql.build_schema(new_sdl))


def unacknowledged(
    changes: Iterable[SchemaChange], acknowledgements: frozenset[str]
) -> tuple[SchemaChange, ...]:
    """The changes that no acknowledgement line names exactly."""
    return tuple(c for c in changes if c.ack_line not in acknowledgements)


def check_contract(
    *,
    contract_path: Path = CONTRACT_PATH,
    ack_path: Path = ACK_PATH,
    current_sdl: str | None = None,
) -> ContractReport:
    """Compare the code's SDL with the committed file: staleness and breaking changes."""
    return _report(
        baseline=_display(contract_path),
        baseline_sdl=read_contract(contract_path),
        contract_path=contract_path,
        ack_path=ack_path,
        current_sdl=current_sdl,
    )


def write_contract(
    *,
    allow_breaking: bool = False,
    contract_path: Path = CONTRACT_PATH,
    ack_path: Path = ACK_PATH,
    current_sdl: str | None = None,
) -> Path:
    """Write the code's SDL to the contract file.

    Raises :class:`BreakingChangesError` (writing nothing) when the new SDL breaks the
    committed one in ways ``ack_path`` does not acknowledge, unless ``allow_breaking``.
    """
    sdl = export_sdl() if current_sdl is None else _sdl_of(current_sdl)
    report = check_contract(contract_path=contract_path, ack_path=ack_path, current_sdl=sdl)
    if report.unacknowledged and not allow_breaking:
        raise BreakingChangesError(report)
    if not report.up_to_date:
        contract_path.parent.mkdir(parents=True, exist_ok=True)
        contract_path.write_text(sdl, encoding="utf-8")
    return contract_path


def released_contract(ref: str, *, contract_path: Path = CONTRACT_PATH) -> str | None:
    """The contract file as committed at git ``ref``; None if git, the repo or ref is missing."""
    if ref.startswith("-"):
        return None
    return _git(contract_path.parent, "show", f"{ref}:./{contract_path.name}")


def last_release_tag(
    pattern: str = RELEASE_TAG_PATTERN, *, contract_path: Path = CONTRACT_PATH
) -> str | None:
    """The newest tag matching ``pattern`` reachable from HEAD, or None."""
    found = _git(contract_path.parent, "describe", "--tags", "--abbrev=0", "--match", pattern)
    return None if found is None else found.strip() or None


def check_against_release(
    ref: str,
    *,
    contract_path: Path = CONTRACT_PATH,
    ack_path: Path = ACK_PATH,
    current_sdl: str | None = None,
) -> ContractReport:
    """Like :func:`check_contract`, but breaking changes are computed against the contract
    as released at git ``ref`` (e.g. the last release tag) instead of the working file."""
    return _report(
        baseline=f"{ref}:{_display(contract_path)}",
        baseline_sdl=released_contract(ref, contract_path=contract_path),
        contract_path=contract_path,
        ack_path=ack_path,
        current_sdl=current_sdl,
    )


def _report(
    *,
    baseline: str,
    baseline_sdl: str | None,
    contract_path: Path,
    ack_path: Path,
    current_sdl: str | None,
) -> ContractReport:
    if current_sdl is None:
        code_schema = build_schema()
        sdl = _sdl_of(code_schema.as_str())
        current: GraphQLSchema = code_schema._schema
    else:
        sdl = _sdl_of(current_sdl)
        current = graphql.build_schema(sdl)
    diff = (
        SchemaDiff((), ())
        if baseline_sdl is None
        else diff_schemas(graphql.build_schema(baseline_sdl), current)
    )
    acknowledgements = read_acknowledgements(ack_path)
    used = {c.ack_line for c in diff.breaking}
    return ContractReport(
        contract_path=contract_path,
        up_to_date=read_contract(contract_path) == sdl,
        baseline=baseline,
        baseline_found=baseline_sdl is not None,
        breaking=diff.breaking,
        dangerous=diff.dangerous,
        unacknowledged=unacknowledged(diff.breaking, acknowledgements),
        unused_acknowledgements=tuple(sorted(acknowledgements - used)),
    )


def _sdl_of(text: str) -> str:
    return text.rstrip("\n") + "\n"


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(SCHEMA_DIR.parent))
    except ValueError:
        return str(path)


def _git(cwd: Path, *args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", "-C", str(cwd), *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=_GIT_TIMEOUT_SECONDS,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout if done.returncode == 0 else None
