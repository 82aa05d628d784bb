"""Breaking changes are detected, and allowed only when acknowledged line by line."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from graphql import BreakingChangeType

from gateway.contract import (
    ACK_PATH,
    BreakingChangesError,
    SchemaChange,
    check_against_release,
    check_contract,
    diff_sdl,
    last_release_tag,
    parse_acknowledgements,
    read_acknowledgements,
    released_contract,
    unacknowledged,
    write_contract,
)

BEFORE = """\
enum Sort {
  NAME
  PRICE
}

type Product {
  id: ID!
  name: String!
  legacyUrl: String
  price: Int!
}

type Query {
  products(first: Int): [Product!]!
}
"""

FIELD_REMOVED = "FIELD_REMOVED Field Product.legacyUrl was removed."
FIELD_CHANGED = "FIELD_CHANGED_KIND Field Product.price changed type from Int! to String!."


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        [
            "git",
            "-C",
            str(repo),
            "-c",
            "user.name=CI",
            "-c",
            "user.email=ci@example.invalid",
            "-c",
            "commit.gpgsign=false",
            "-c",
            "tag.gpgsign=false",
            *args,
        ],
        check=True,
        capture_output=True,
    )


def test_removed_field_is_breaking() -> None:
    # given a field that disappears
    after = BEFORE.replace("  legacyUrl: String\n", "")
    # when diffing
    diff = diff_sdl(BEFORE, after)
    # then exactly that removal is breaking
    assert [c.ack_line for c in diff.breaking] == [FIELD_REMOVED]
    assert diff.breaking[0].type == BreakingChangeType.FIELD_REMOVED.name


def test_changed_field_type_is_breaking() -> None:
    # given a field whose type changes
    after = BEFORE.replace("price: Int!", "price: String!")
    # when diffing
    diff = diff_sdl(BEFORE, after)
    # then the type change is breaking
    assert [c.ack_line for c in diff.breaking] == [FIELD_CHANGED]


def test_new_required_argument_is_breaking() -> None:
    # given a new required argument on a query field
    after = BEFORE.replace("products(first: Int)", "products(first: Int, channel: String!)")
    # when diffing
    diff = diff_sdl(BEFORE, after)
    # then it is breaking
    assert [c.ack_line for c in diff.breaking] == [
        "REQUIRED_ARG_ADDED A required argument Query.products(channel:) was added."
    ]


def test_removed_enum_value_is_breaking() -> None:
    # given an enum value that disappears
    after = BEFORE.replace("  PRICE\n", "")
    # when diffing
    diff = diff_sdl(BEFORE, after)
    # then the removal is breaking
    assert [c.ack_line for c in diff.breaking] == [
        "VALUE_REMOVED_FROM_ENUM Enum value Sort.PRICE was removed."
    ]


def test_additions_are_not_breaking_but_new_enum_values_are_dangerous() -> None:
    # given an optional field, an optional argument and an enum value added
    after = (
        BEFORE.replace("  price: Int!\n", "  price: Int!\n  slug: String\n")
        .replace("products(first: Int)", "products(first: Int, after: String)")
        .replace("  PRICE\n", "  PRICE\n  NEWEST\n")
    )
    # when diffing
    diff = diff_sdl(BEFORE, after)
    # then nothing is breaking and the enum value is flagged as dangerous
    assert diff.breaking == ()
    assert (
        SchemaChange("VALUE_ADDED_TO_ENUM", "Enum value Sort.NEWEST was added.") in diff.dangerous
    )


def test_acknowledgement_suppresses_exactly_the_named_change() -> None:
    # given two breaking changes and an ack file naming one of them, plus a near miss
    after = BEFORE.replace("  legacyUrl: String\n", "").replace("price: Int!", "price: String!")
    acks = parse_acknowledgements(
        "# header\n\n"
        f"{FIELD_REMOVED}\n"
        "FIELD_CHANGED_KIND Field Product.price changed type from Int! to Float!.\n"
    )
    # when filtering the breaking changes
    breaking = diff_sdl(BEFORE, after).breaking
    left = unacknowledged(breaking, acks)
    # then only the unnamed change remains
    assert sorted(c.ack_line for c in breaking) == sorted([FIELD_REMOVED, FIELD_CHANGED])
    assert [c.ack_line for c in left] == [FIELD_CHANGED]


def test_ack_file_parsing_drops_comments_and_blank_lines() -> None:
    # given an ack text with comments, blanks and padding
    text = f"# comment\n\n   {FIELD_REMOVED}   \n  # indented comment\n"
    # when parsing
    acks = parse_acknowledgements(text)
    # then only the acknowledgement remains, stripped
    assert acks == frozenset({FIELD_REMOVED})


def test_committed_ack_file_holds_only_valid_acknowledgement_lines() -> None:
    # given the committed ack file
    assert ACK_PATH.exists()
    # when reading it
    acks = read_acknowledgements()
    # then each line starts with a graphql-core breaking change type
    known = {t.name for t in BreakingChangeType}
    assert [line for line in acks if line.split(" ", 1)[0] not in known] == []


def test_check_reports_stale_file_and_unacknowledged_breaking_change(tmp_path: Path) -> None:
    # given a committed contract and code that removed a field
    contract = _write(tmp_path / "schema.graphql", BEFORE)
    after = BEFORE.replace("  legacyUrl: String\n", "")
    # when checking
    report = check_contract(
        contract_path=contract, ack_path=tmp_path / "none.ack", current_sdl=after
    )
    # then the file is stale and the removal unacknowledged
    assert report.up_to_date is False
    assert [c.ack_line for c in report.unacknowledged] == [FIELD_REMOVED]
    assert report.ok is False


def test_export_refuses_unacknowledged_breaking_change(tmp_path: Path) -> None:
    # given a committed contract and code that removed a field
    contract = _write(tmp_path / "schema.graphql", BEFORE)
    after = BEFORE.replace("  legacyUrl: String\n", "")
    # when exporting without acknowledgement
    with pytest.raises(BreakingChangesError) as refused:
        write_contract(contract_path=contract, ack_path=tmp_path / "none.ack", current_sdl=after)
    # then nothing is written and the error carries the report
    assert contract.read_text() == BEFORE
    assert [c.ack_line for c in refused.value.report.unacknowledged] == [FIELD_REMOVED]


def test_export_writes_acknowledged_or_allowed_breaking_change(tmp_path: Path) -> None:
    # given a committed contract, code that removed a field and an ack naming it
    contract = _write(tmp_path / "schema.graphql", BEFORE)
    ack = _write(tmp_path / "breaking_changes.ack", f"# acks\n{FIELD_REMOVED}\n")
    after = BEFORE.replace("  legacyUrl: String\n", "")
    # when exporting with the ack, then with --allow-breaking for another change
    written = write_contract(contract_path=contract, ack_path=ack, current_sdl=after)
    first = contract.read_text()
    changed = after.replace("price: Int!", "price: String!")
    write_contract(contract_path=contract, ack_path=ack, current_sdl=changed, allow_breaking=True)
    # then both exports are written
    assert written == contract
    assert first == after
    assert contract.read_text() == changed


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_check_against_release_compares_with_the_tagged_contract(tmp_path: Path) -> None:
    # given a git repo whose contract was released as v1.0.0, then edited in the work tree
    repo = tmp_path / "repo"
    contract = _write(repo / "schema" / "schema.graphql", BEFORE)
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "release")
    _git(repo, "tag", "v1.0.0")
    after = BEFORE.replace("  legacyUrl: String\n", "")
    contract.write_text(after)
    ack = repo / "schema" / "breaking_changes.ack"
    # when checking against the release, before and after acknowledging the change
    report = check_against_release(
        "v1.0.0", contract_path=contract, ack_path=ack, current_sdl=after
    )
    _write(ack, f"{FIELD_REMOVED}\n")
    acknowledged = check_against_release(
        "HEAD", contract_path=contract, ack_path=ack, current_sdl=after
    )
    # then the release is read from git and the removal is breaking until acknowledged
    assert released_contract("v1.0.0", contract_path=contract) == BEFORE
    assert last_release_tag(contract_path=contract) == "v1.0.0"
    assert report.baseline_found is True
    assert report.baseline.startswith("v1.0.0:")
    assert report.up_to_date is True
    assert [c.ack_line for c in report.unacknowledged] == [FIELD_REMOVED]
    assert report.ok is False
    assert acknowledged.unacknowledged == ()
    assert acknowledged.ok is True


def test_released_contract_is_none_without_git_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # given a contract outside any git repository
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    contract = _write(tmp_path / "schema.graphql", BEFORE)
    # when reading a release
    released = released_contract("v1.0.0", contract_path=contract)
    report = check_against_release("v1.0.0", contract_path=contract, current_sdl=BEFORE)
    # then there is no baseline, and no tag
    assert released is None
    assert last_release_tag(contract_path=contract) is None
    assert report.baseline_found is False
    assert report.breaking == ()
