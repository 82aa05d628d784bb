"""The committed contract schema/schema.graphql is exactly the SDL the code produces."""

from __future__ import annotations

import graphql

from gateway.contract import CONTRACT_PATH, check_contract, export_sdl, read_contract

STALE = (
    "schema/schema.graphql differs from the schema in code: run `make schema` "
    "(vitrine schema export) and commit the result"
)


def test_committed_contract_equals_the_generated_sdl() -> None:
    # given the committed contract
    committed = read_contract()
    # when the SDL is exported from the code
    generated = export_sdl()
    # then they are identical
    assert committed is not None, f"{CONTRACT_PATH} is missing: run `make schema`"
    assert committed == generated, STALE


def test_contract_check_passes_for_the_committed_file() -> None:
    # given the committed contract and acknowledgements
    # when checking the contract
    report = check_contract()
    # then it is current and breaks nothing unacknowledged
    assert report.up_to_date, STALE
    assert report.baseline_found is True
    assert report.unacknowledged == ()
    assert report.ok is True


def test_contract_builds_with_graphql_core_and_declares_the_appsync_directives() -> None:
    # given the exported SDL
    sdl = export_sdl()
    # when graphql-core builds a schema from it
    built = graphql.build_schema(sdl)
    # then it is a valid schema with the AppSync auth directives and AWS scalars
    assert graphql.validate_schema(built) == []
    directive_names = {d.name for d in built.directives}
    assert {"aws_api_key", "aws_cognito_user_pools"} <= directive_names
    assert {"AWSDateTime", "AWSURL"} <= set(built.type_map)
    assert sdl.endswith("}\n")
    assert not sdl.endswith("\n\n")
