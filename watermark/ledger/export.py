"""JSON Lines export of a ledger, verifiable on its own (no SQLite needed).

Line 1 is a header ``{"type": "ledger", "format": 1, "ledger_id", "schema_version",
"exported_at", "head_seq", "head_hash", "rows"}``; every following line is
``{"type": "row", "table": TABLE, "row": {...}}`` in ``seq`` order with every stored column
(clips include their ``chunks`` list), exactly as hashed. :func:`verify_export` recomputes
the chain from the lines alone, so an archived export can be checked years later and its
``head_hash`` compared with a value anchored elsewhere.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import IO, Any

from tts_moe.errors import InputError
from watermark.ledger import chain, schema
from watermark.ledger.store import Ledger

EXPORT_FORMAT = 1


def export_jsonl(ledger: Ledger, out: IO[str]) -> dict[str, Any]:
    """Write the header and every chained row to ``out``; returns the header."""
    rows = list(ledger.iter_rows())
    info = ledger.info()
    header = {
        "type": "ledger", "format": EXPORT_FORMAT, "ledger_id": ledger.ledger_id,
        "schema_version": info["schema_version"], "exported_at": schema.utc_now(),
        "head_seq": info["head_seq"], "head_hash": info["head_hash"], "rows": len(rows),
    }
    out.write(json.dumps(header, sort_keys=True, ensure_ascii=False) + "\n")
    for table, row in rows:
        line = {"type": "row", "table": table, "row": row}
        out.write(json.dumps(line, sort_keys=True, ensure_ascii=False) + "\n")
    return header


def read_export(lines: Iterable[str]) -> tuple[dict[str, Any], list[tuple[str, dict[str, Any]]]]:
    """Parse an export: ``(header, [(table, row), ...])``; raises InputError if malformed."""
    header: dict[str, Any] | None = None
    rows: list[tuple[str, dict[str, Any]]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as error:
            raise InputError(f"export line {number} is not JSON: {error}") from None
        if number == 1:
            if item.get("type") != "ledger":
                raise InputError("not a tts-moe ledger export (first line is not its header)")
            header = item
        elif item.get("type") == "row" and item.get("table") in schema.CHAINED_TABLES:
            rows.append((item["table"], item["row"]))
        else:
            raise InputError(f"export line {number} is not a ledger row")
    if header is None:
        raise InputError("the export is empty")
    return header, rows


def verify_export(lines: Iterable[str]) -> chain.ChainReport:
    """Recompute the hash chain of an export, in file order, and compare with its header."""
    header, rows = read_export(lines)
    report = chain.ChainReport(rows=len(rows))
    prev, expected = schema.GENESIS_HASH, 1
    for table, row in rows:
        where = {"seq": row.get("seq"), "table": table, "id": row.get(schema.KEY_COLUMNS[table])}
        if row.get("seq") != expected:
            report.problems.append({**where, "kind": "order",
                                    "detail": f"expected seq {expected}"})
        if row.get("prev_hash") != prev:
            report.problems.append({**where, "kind": "broken-link",
                                    "detail": "prev_hash does not match the previous row"})
        if chain.row_hash(table, row) != row.get("row_hash"):
            report.problems.append({**where, "kind": "edited",
                                    "detail": "contents do not match row_hash"})
        prev, expected = row.get("row_hash"), expected + 1
    report.head_seq, report.head_hash = expected - 1, prev
    if (header.get("head_seq"), header.get("head_hash")) != (report.head_seq, prev):
        report.problems.append({"kind": "head", "detail": "the header's head does not match "
                                "the last row (rows missing at the end?)"})
    return report
