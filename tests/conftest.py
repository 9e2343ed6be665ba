"""Suite-wide settings."""

import os
import tempfile

# librosa compiles some helpers with numba and caches them beside the installed package;
# a cache written by concurrent processes can crash a later run. Tests use a private cache.
os.environ.setdefault("NUMBA_CACHE_DIR", tempfile.mkdtemp(prefix="tts-moe-numba-"))
