"""Gradio web demo (`tts-moe demo`, issue 8): app layout in app.py, actions in service.py, pictures in render.py, limits in limits.py."""
