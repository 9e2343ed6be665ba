"""The gradio page: Synthesise, Verify and Voices tabs over :class:`demo.service.DemoService`.

Every event handler catches the toolkit's errors and shows their message in the tab's status
box (``#syn-status``, ``#ver-status``, ``#voice-status``): no traceback ever reaches the page.
Element ids used by the browser tests: ``#txt textarea``, ``#go``, ``#out audio``,
``#record``, ``#routing``, ``#ver-in``, ``#ver-go``, ``#ver-plot``, ``#enroll-go``.
"""

from __future__ import annotations

from typing import Any

import gradio as gr

from demo import render
from demo.limits import MAX_QUEUE, MAX_UPLOAD_BYTES, QUEUE_CONCURRENCY, LimitError
from demo.service import DemoService
from tts_moe.errors import TTSMoeError

FRIENDLY = (LimitError, TTSMoeError)
NO_EXPERT = "none"


def _error(message: str) -> str:
    return f"**Could not do that:** {message}"


def build_app(service: DemoService) -> gr.Blocks:
    """The Blocks app (not launched)."""
    voices, styles, experts = service.voices(), service.styles(), service.num_experts()
    with gr.Blocks(title="tts-moe demo") as app:
        gr.Markdown("# tts-moe\nMixture-of-experts speech; every clip is watermarked and logged in the "
                    "provenance ledger.")
        with gr.Tab("Synthesise", id="tab-synth"):
            with gr.Row():
                with gr.Column(scale=3):
                    text = gr.Textbox(label="Text", lines=4, elem_id="txt",
                                      value="Every clip we make carries a watermark and a ledger record.")
                    with gr.Row():
                        voice = gr.Dropdown(voices, value=service.synth.default_voice, label="Voice", elem_id="voice")
                        style = gr.Dropdown(styles, value="neutral", label="Style preset", elem_id="style")
                    with gr.Row():
                        rate = gr.Slider(0.5, 2.0, value=1.0, step=0.05, label="Rate (x)")
                        pitch = gr.Slider(-12, 12, value=0, step=0.5, label="Pitch shift (semitones)")
                    with gr.Row():
                        pitch_range = gr.Slider(0.0, 2.5, value=1.0, step=0.05, label="Pitch range (x)")
                        volume = gr.Slider(-20, 6, value=0, step=1, label="Energy / volume (dB)")
                    with gr.Row():
                        mix_style = gr.Dropdown([NO_EXPERT, *styles], value=NO_EXPERT, label="Mix in a second style")
                        mix_weight = gr.Slider(0.0, 1.0, value=0.0, step=0.05, label="Second style weight")
                    with gr.Row():
                        expert = gr.Dropdown([NO_EXPERT, *[str(e) for e in range(experts)]], value=NO_EXPERT,
                                             label="Bias an expert", interactive=experts > 0)
                        bias = gr.Slider(-5.0, 5.0, value=0.0, step=0.5, label="Expert bias (gate logit)")
                    go = gr.Button("Synthesise", variant="primary", elem_id="go")
                with gr.Column(scale=2):
                    status = gr.Markdown(elem_id="syn-status")
                    audio = gr.Audio(label="Watermarked result (download from the player)", type="filepath",
                                     interactive=False, elem_id="out")
                    record = gr.Markdown(elem_id="record")
            spectrogram = gr.Image(label="Spectrogram (log-mel)", type="numpy", interactive=False, elem_id="spec")
            routing = gr.HTML(label="Routing", elem_id="routing")

            def on_synth(*args: Any):
                (text_, voice_, style_, rate_, pitch_, range_, volume_, mix_, weight_, expert_, bias_) = args
                try:
                    view = service.synthesize(
                        text_, voice_, style_, rate=rate_, pitch=pitch_, pitch_range=range_, volume=volume_,
                        mix_style=None if mix_ == NO_EXPERT else mix_, mix_weight=weight_,
                        expert=None if expert_ in (None, NO_EXPERT) else int(expert_), expert_bias=bias_)
                except FRIENDLY as error:
                    return _error(str(error)), None, "", None, ""
                notes = "".join(f"\n\n> {w}" for w in view.warnings)
                header = "<b>Per-phoneme routing</b>: which experts each phoneme went to, shaded by gate weight."
                return (f"Done: {view.summary}{notes}", view.audio_path, view.record_markdown, view.spectrogram,
                        f"<div>{header}</div>" + view.routing_html)

            go.click(on_synth, [text, voice, style, rate, pitch, pitch_range, volume, mix_style, mix_weight,
                                expert, bias], [status, audio, record, spectrogram, routing])

        with gr.Tab("Verify", id="tab-verify"):
            gr.Markdown("Upload or record a clip to check it for the tts-moe watermark and look it up in the "
                        "provenance ledger.")
            clip = gr.Audio(sources=["upload", "microphone"], type="filepath", label="Clip", elem_id="ver-in")
            check = gr.Button("Verify", variant="primary", elem_id="ver-go")
            verdict = gr.Markdown(elem_id="ver-status")
            plot = gr.HTML(elem_id="ver-plot")
            ledger_record = gr.Markdown(elem_id="ver-record")

            def on_verify(path):
                try:
                    view = service.verify(path)
                except FRIENDLY as error:
                    return _error(str(error)), "", ""
                caption = ("<p>Detection probability over time (blue), threshold (red dashes), "
                           "marked segments shaded.</p>")
                return view.verdict, caption + view.plot_svg, view.record_markdown

            check.click(on_verify, [clip], [verdict, plot, ledger_record])

        with gr.Tab("Voices", id="tab-voices"):
            table = gr.Dataframe(service.voice_rows(), headers=["voice", "kind", "language", "styles", "consent",
                                                               "about"], interactive=False, elem_id="voice-table")
            with gr.Row():
                sample_voice = gr.Dropdown(voices, value=voices[0] if voices else None, label="Hear a voice")
                sample_go = gr.Button("Play a sample", elem_id="sample-go")
            sample_audio = gr.Audio(type="filepath", interactive=False, label="Sample (watermarked)",
                                    elem_id="sample-out")
            gr.Markdown("### Enroll a cloned voice\nCloning needs the speaker's documented consent: every field "
                        "below is required, plus 30 s to 5 min of the speaker's own speech.")
            with gr.Row():
                name = gr.Textbox(label="New voice name", elem_id="enroll-name")
                speaker = gr.Textbox(label="Speaker's name", elem_id="enroll-speaker")
                person = gr.Textbox(label="Consenting person", elem_id="enroll-person")
            with gr.Row():
                given = gr.Textbox(label="Consent date (YYYY-MM-DD)", elem_id="enroll-date")
                expiry = gr.Textbox(label="Consent expiry (YYYY-MM-DD)", elem_id="enroll-expiry")
                purposes = gr.Textbox(label="Allowed purposes (comma-separated)", elem_id="enroll-purposes")
            with gr.Row():
                evidence = gr.File(label="Consent evidence (e.g. a recorded statement)", type="filepath",
                                   elem_id="enroll-evidence")
                references = gr.File(label="Reference audio", file_count="multiple", type="filepath",
                                     elem_id="enroll-audio")
            enroll_go = gr.Button("Enroll", variant="primary", elem_id="enroll-go")
            with gr.Row():
                revoke_name = gr.Textbox(label="Cloned voice to revoke", elem_id="revoke-name")
                revoke_reason = gr.Textbox(label="Reason", elem_id="revoke-reason")
                revoke_go = gr.Button("Revoke", variant="stop", elem_id="revoke-go")
            voice_status = gr.Markdown(elem_id="voice-status")

            def on_sample(voice_name):
                try:
                    return service.sample(voice_name), ""
                except FRIENDLY as error:
                    return None, _error(str(error))

            def on_enroll(name_, speaker_, person_, date_, expiry_, purposes_, evidence_, references_):
                form = {"speaker_name": speaker_, "consenting_person": person_, "date": date_, "expiry": expiry_,
                        "purposes": purposes_, "evidence": evidence_}
                try:
                    message = service.enroll(name_, form, list(references_ or []))
                except FRIENDLY as error:
                    return _error(str(error)), gr.update(), gr.update(), gr.update()
                return (message, service.voice_rows(), gr.update(choices=service.voices()),
                        gr.update(choices=service.voices()))

            def on_revoke(name_, reason_):
                try:
                    return service.revoke(name_, reason_), service.voice_rows()
                except FRIENDLY as error:
                    return _error(str(error)), gr.update()

            sample_go.click(on_sample, [sample_voice], [sample_audio, voice_status])
            enroll_go.click(on_enroll, [name, speaker, person, given, expiry, purposes, evidence, references],
                            [voice_status, table, voice, sample_voice])
            revoke_go.click(on_revoke, [revoke_name, revoke_reason], [voice_status, table])
    app.queue(default_concurrency_limit=QUEUE_CONCURRENCY, max_size=MAX_QUEUE)
    return app


def launch(service: DemoService, *, host: str = "127.0.0.1", port: int | None = None) -> None:
    """Build and serve the app until interrupted."""
    app = build_app(service)
    app.launch(server_name=host, server_port=port, share=False, show_error=False, quiet=True,
               max_file_size=MAX_UPLOAD_BYTES, allowed_paths=[str(service.output_dir)], css=render.ROUTING_CSS)
