"""Expert-routing statistics for the acoustic benchmark: shares, contingency tables, mutual
information, and the phoneme classes they are measured against.

Inputs are flat per-phoneme arrays pooled over many utterances: ``experts`` ``(phonemes, k)``
(the gate's choices, highest weight first, as in :class:`tts_moe.model.moe.Routing`) and one
integer label per phoneme ``(phonemes,)`` (a style index, a phoneme-class index, ...).

Phoneme classes are defined on the symbol table's single code points (IPA from espeak-ng):

=============  ==================================================================
vowel          vowel letters, r-coloured vowels, and the length marks ``ː ˑ`` (they
               only ever lengthen the vowel they follow)
plosive        stops, clicks and the flap ``ɾ`` (American English /t d/ between vowels)
fricative      fricatives, including ``h`` and ``ʍ``
nasal          nasal consonants
approximant    ``ɹ l w j`` and the other liquids/glides, trills and taps except ``ɾ``
marks          stress marks, word boundary (space), punctuation, diacritics, anything else
=============  ==================================================================

Affricates (``tʃ``, ``dʒ``) are two symbols, so they count as a plosive and a fricative.
"""

from __future__ import annotations

import numpy as np

PHONEME_CLASSES = ("vowel", "plosive", "fricative", "nasal", "approximant", "marks")
_CLASS_SYMBOLS = {
    "vowel": "aeiouyæɐɑɒɔəɘɚɛɜɝɞɤɨɪʉʊʌʏøœɶɵᵻᵿɯ" + "ːˑ",
    "plosive": "pbtdkgqcɟɡʔʈɖɢɓɗɠʛʄʡɾ" + "ǀǁǂǃ",
    "fricative": "fvθðszʃʒhçxɣχʁħʕɦɸβʂʐɕʑʝɬɮʍʜʢ",
    "nasal": "mnŋɲɳɴɱ",
    "approximant": "ɹlwjɻɭʎʟɰʋɥrɺɽʀ",
}
_CLASS_OF = {ch: PHONEME_CLASSES.index(name) for name, chars in _CLASS_SYMBOLS.items() for ch in chars}
MARKS = PHONEME_CLASSES.index("marks")
STARVING_FRACTION = 0.25  # an expert under a quarter of its fair share is flagged


def phoneme_class(symbol: str) -> int:
    """Index into :data:`PHONEME_CLASSES` of one symbol (unknown symbols are ``marks``)."""
    return _CLASS_OF.get(symbol, MARKS)


def class_lookup(symbols: tuple[str, ...]) -> np.ndarray:
    """Class index per symbol id of a symbol table: ``(n_symbols,)`` int."""
    return np.array([phoneme_class(s) for s in symbols], dtype=np.int64)


def expert_shares(experts: np.ndarray, num_experts: int) -> dict:
    """Share of phonemes per expert: over all k slots (``share``) and as first choice
    (``top1_share``), each ``(num_experts,)``; ``starving`` lists experts whose share of
    all k slots (the load each expert carries) is under :data:`STARVING_FRACTION` of the
    fair share 1/N."""
    experts = np.asarray(experts).reshape(len(experts), -1)
    kept = experts[experts >= 0]
    share = np.bincount(kept, minlength=num_experts) / max(kept.size, 1)
    top1 = experts[:, 0][experts[:, 0] >= 0]
    top1_share = np.bincount(top1, minlength=num_experts) / max(top1.size, 1)
    floor = STARVING_FRACTION / num_experts
    starving = [int(e) for e in np.flatnonzero(share < floor)]
    return {"share": share, "top1_share": top1_share, "fair_share": 1.0 / num_experts,
            "starving": starving, "min_share_vs_fair": float(share.min() * num_experts)}


def contingency(rows: np.ndarray, columns: np.ndarray, n_rows: int, n_columns: int) -> np.ndarray:
    """Counts ``(n_rows, n_columns)`` of label pairs from two ``(n,)`` integer arrays."""
    rows, columns = np.asarray(rows, dtype=np.int64), np.asarray(columns, dtype=np.int64)
    flat = np.bincount(rows * n_columns + columns, minlength=n_rows * n_columns)
    return flat.reshape(n_rows, n_columns)


def entropy_bits(counts: np.ndarray) -> float:
    """Shannon entropy (bits) of a count vector."""
    p = np.asarray(counts, dtype=np.float64).ravel()
    p = p[p > 0] / p.sum() if p.sum() > 0 else p[:0]
    return float(-(p * np.log2(p)).sum())


def mutual_information_bits(table: np.ndarray) -> float:
    """Mutual information (bits) between the row and column variables of a count table."""
    table = np.asarray(table, dtype=np.float64)
    total = table.sum()
    if total <= 0:
        return 0.0
    joint = table / total
    outer = joint.sum(1, keepdims=True) * joint.sum(0, keepdims=True)
    nonzero = joint > 0
    return float((joint[nonzero] * np.log2(joint[nonzero] / outer[nonzero])).sum())


def dependence(experts_top1: np.ndarray, labels: np.ndarray, num_experts: int, n_labels: int, *,
               permutations: int = 20, seed: int = 0) -> dict:
    """How much the first-choice expert depends on a label (style, phoneme class, ...).

    Returns the contingency ``table`` ``(num_experts, n_labels)``, ``mi_bits``, the mean MI
    of ``permutations`` label shuffles (``chance_mi_bits``: what a finite sample shows
    with no dependence at all), the expert and label entropies and ``mi_share`` = MI /
    H(expert) (0 = the label says nothing about the expert, 1 = it decides it)."""
    experts_top1 = np.asarray(experts_top1, dtype=np.int64)
    labels = np.asarray(labels, dtype=np.int64)
    valid = experts_top1 >= 0
    experts_top1, labels = experts_top1[valid], labels[valid]
    table = contingency(experts_top1, labels, num_experts, n_labels)
    mi = mutual_information_bits(table)
    rng = np.random.default_rng(seed)
    chance = [mutual_information_bits(contingency(experts_top1, rng.permutation(labels), num_experts, n_labels))
              for _ in range(permutations)] if labels.size else [0.0]
    h_expert = entropy_bits(table.sum(1))
    return {"table": table, "mi_bits": mi, "chance_mi_bits": float(np.mean(chance)),
            "expert_entropy_bits": h_expert, "label_entropy_bits": entropy_bits(table.sum(0)),
            "mi_share": mi / h_expert if h_expert > 0 else 0.0}


def column_profiles(table: np.ndarray) -> np.ndarray:
    """P(row | column): each column of a count table divided by its total (0 for empty)."""
    table = np.asarray(table, dtype=np.float64)
    totals = table.sum(0, keepdims=True)
    return np.divide(table, totals, out=np.zeros_like(table), where=totals > 0)


def format_table(table: np.ndarray, row_names: list[str], column_names: list[str], *,
                 percent_of_column: bool = True) -> str:
    """A contingency table as aligned text (percent of each column, or raw counts)."""
    values = column_profiles(table) * 100 if percent_of_column else np.asarray(table)
    width = max(6, *(len(c) for c in column_names))
    lines = [" " * 8 + "".join(c[:width].rjust(width + 1) for c in column_names)]
    for name, row in zip(row_names, values):
        cells = "".join((f"{v:.1f}" if percent_of_column else f"{int(v)}").rjust(width + 1) for v in row)
        lines.append(name.ljust(8) + cells)
    return "\n".join(lines)
