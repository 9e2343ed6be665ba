"""Watermark embed/detect (AudioSeal architecture, trained by us) and the provenance ledger.

Public API: :class:`watermark.watermarker.Watermarker` (``embed``, ``detect``,
``from_pretrained``, ``from_audioseal_checkpoint``) and
:class:`watermark.localise.Detection`. Import them from their modules; this package
imports nothing heavy on its own.
"""
