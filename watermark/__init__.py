"""Watermark embed/detect and the provenance ledger (see issue 5). Nothing ships yet."""
