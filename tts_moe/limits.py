"""Input limits shared by the CLI, the script parser and the demo (no heavy imports here)."""

#: Largest script accepted (bytes of UTF-8). A 4 MiB script is ~70 hours of speech; split
#: longer works into parts (each part is one file and one ledger row).
MAX_SCRIPT_BYTES = 4 * 1024 * 1024
