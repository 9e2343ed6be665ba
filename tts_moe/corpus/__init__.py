"""Teacher corpus renderer: multi-speaker, multi-style speech from Debian synthesizers.

Public API::

    build_corpus(BuildOptions(out_dir, hours=..., speakers="training", ...)) -> BuildReport
    corpus_stats(corpus_dir) -> dict
    require_training_corpus(corpus_dir) -> manifest dict (raises InputError for reserved/test corpora)
    TRAINING_SPEAKERS, RESERVED_SPEAKERS, STYLES

CLI: ``tts-moe corpus build OUT_DIR ...`` and ``tts-moe corpus stats DIR`` (see cli.py).
"""

from tts_moe.corpus.build import BuildOptions, BuildReport, build_corpus
from tts_moe.corpus.metadata import require_training_corpus
from tts_moe.corpus.speakers import RESERVED_SPEAKERS, TRAINING_SPEAKERS
from tts_moe.corpus.stats import corpus_stats
from tts_moe.corpus.styles import STYLES

__all__ = [
    "BuildOptions", "BuildReport", "build_corpus", "corpus_stats", "require_training_corpus",
    "RESERVED_SPEAKERS", "TRAINING_SPEAKERS", "STYLES",
]
