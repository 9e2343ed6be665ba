"""Gradio web demo (see issue 8). Nothing ships yet."""
