"""The web demo driven in headless Chromium as a person would (docs/demo/*.png are its shots)."""

from __future__ import annotations

import re

from tests.demo.conftest import screenshot
from watermark.ledger import Ledger


def test_synthesise_then_verify_the_same_clip(page, demo_server, tmp_path):
    _, ledger_path, _ = demo_server
    page.fill("#txt textarea", "Provenance matters for every clip we make.")
    page.click("#go")
    page.wait_for_selector("#syn-status :text('Done:')")
    source = page.locator("#out audio[src]").first.get_attribute("src")
    assert source and source.startswith(("blob:", "http")), source  # the audio arrived in the player
    record = page.inner_text("#record")
    clip_ids = re.findall(r"clip: ([0-9a-f]{32})", record)
    assert clip_ids, record
    with Ledger(ledger_path) as ledger:  # the clip the page shows is the clip the ledger holds
        row = ledger.clip(clip_ids[0], with_chunks=False)
    assert row is not None and str(row["payload"]) in record
    assert page.locator("#routing table.routing-block").count() >= 1  # the per-phoneme heatmap
    screenshot(page, "synthesise")

    with page.expect_download() as download:  # the page offers the file for download
        page.locator("#out").get_by_label(re.compile("download", re.IGNORECASE)).first.click()
    clip = tmp_path / (download.value.suggested_filename or "clip.wav")
    download.value.save_as(clip)
    assert clip.suffix == ".wav" and clip.stat().st_size > 1000

    page.get_by_role("tab", name="Verify").click()
    page.set_input_files("#ver-in input[type=file]", str(clip))
    page.wait_for_selector("#ver-in audio[src]", state="attached")  # the upload arrived
    page.click("#ver-go")
    page.wait_for_selector("#ver-status :is(h3, strong)")
    screenshot(page, "verify")
    verdict = page.inner_text("#ver-status")
    assert "VERIFIED" in verdict, verdict
    assert clip_ids[0] in page.inner_text("#ver-record")
    assert page.locator("#ver-plot svg polyline").count() == 1


def test_enrollment_without_consent_is_refused(page):
    page.get_by_role("tab", name="Voices").click()
    page.fill("#enroll-name textarea, #enroll-name input", "my-clone")
    page.fill("#enroll-speaker textarea, #enroll-speaker input", "Ada Example")
    page.click("#enroll-go")
    page.wait_for_selector("#voice-status :text('enrollment refused')")
    message = page.inner_text("#voice-status")
    for missing in ("consenting person", "date", "purposes", "expiry", "evidence"):
        assert missing in message, message
    assert page.locator("#voice-table").inner_text().count("flite-slt") >= 1
    screenshot(page, "voices")


def test_bad_input_is_a_message_not_a_traceback(page):
    page.fill("#txt textarea", "x" * 2_500)
    page.click("#go")
    page.wait_for_selector("#syn-status :text('Could not do that')")
    assert "2,000 characters" in page.inner_text("#syn-status")
    assert "Traceback" not in page.content()
