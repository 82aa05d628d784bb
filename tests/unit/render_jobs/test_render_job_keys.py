"""Render job messages and the content-hash keys of render outputs."""

from __future__ import annotations

import pytest

from datasources.job_records import (
    BadJobMessage,
    IngestJobMessage,
    RenderJobMessage,
    RenderKind,
    RenderOutput,
    RenderSpec,
    parse_job_message,
)
from render_jobs.render_job import render_hash


def test_render_and_ingest_messages_parse_to_their_kind():
    # given one message of each kind
    render = RenderJobMessage(job_id="j1", asset_id="a1").to_json()
    ingest = IngestJobMessage(job_id="j2", upload_key="uploads/x.glb", product_id="p").to_json()

    # when parsed
    # then each comes back as written
    assert parse_job_message(render) == RenderJobMessage(job_id="j1", asset_id="a1")
    assert parse_job_message(ingest) == IngestJobMessage("j2", "uploads/x.glb", "p")


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ('{"v":1,"kind":"paint","job_id":"j"}', "not a version 1 ingest or render"),
        ('{"v":2,"kind":"render","job_id":"j","asset_id":"a"}', "not a version 1 ingest or render"),
        ('{"v":1,"kind":"render","job_id":"j"}', "job_id and asset_id must be non-empty"),
        ("[1", "not JSON"),
    ],
)
def test_bad_render_messages_are_refused(body, reason):
    # given a malformed message
    # when parsed
    # then BadJobMessage says why
    with pytest.raises(BadJobMessage, match=reason):
        parse_job_message(body)


def test_render_keys_change_with_every_pixel_changing_parameter():
    # given a poster spec
    spec = RenderSpec(asset_id="a", kind=RenderKind.POSTER, size=256, frames=1)
    base = render_hash("0" * 64, spec, None)

    # when one parameter changes at a time
    changed = {
        render_hash("1" * 64, spec, None),
        render_hash("0" * 64, spec, "Navy"),
        render_hash("0" * 64, RenderSpec("a", RenderKind.POSTER, size=512), None),
        render_hash("0" * 64, RenderSpec("a", RenderKind.TURNTABLE, size=256, frames=8), None),
        render_hash("0" * 64, RenderSpec("a", RenderKind.TURNTABLE, size=256, frames=9), None),
    }

    # then every key differs, while the asset id and a poster's frame count do not matter
    assert len(changed) == 5
    assert base not in changed
    assert (
        render_hash("0" * 64, RenderSpec("b", RenderKind.POSTER, size=256, frames=3), None) == base
    )


def test_specs_and_outputs_round_trip_through_json_dicts():
    # given a turntable spec and one of its outputs
    spec = RenderSpec("a", RenderKind.TURNTABLE, ("Navy", "Gray"), 128, 12)
    output = RenderOutput(
        "Navy", "turntable.png", "renders/x/turntable.png", "image/png", 10, 512, 384, 12, 4, 3
    )

    # when stored and read back
    # then nothing is lost
    assert RenderSpec.from_dict(spec.to_dict()) == spec
    assert RenderOutput.from_dict(output.to_dict()) == output
