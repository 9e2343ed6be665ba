"""The toolkit's own exceptions.

Every error a user can cause maps to one of these, with a message that says what is wrong
and what to do, and an exit code the CLI returns:

| code | class                     | meaning                                              |
|------|---------------------------|------------------------------------------------------|
| 2    | ``InputError`` and kids   | bad input: text, audio, arguments, files             |
| 3    | ``MissingDependencyError``| a system program or package is not installed         |
| 4    | ``ModelNotAvailableError``| no trained model/voice ships for what was asked      |
| 5    | ``OutputError``           | the output could not be written (missing dir, disk)  |

(``tts-moe verify`` additionally uses 1 for "some clips unmarked".)
"""

from __future__ import annotations


class TTSMoeError(Exception):
    """Base class of every error the toolkit raises on purpose."""

    exit_code = 2


class InputError(TTSMoeError):
    """The user's input is unusable."""

    exit_code = 2


class TextError(InputError):
    """Text that cannot be turned into speech (empty, only symbols, too long, bad markup)."""


class AudioError(InputError):
    """An audio file or array that cannot be used (missing, corrupt, empty, silent, NaN)."""


class MissingDependencyError(TTSMoeError):
    """A program or library the command needs is not installed."""

    exit_code = 3


class ModelNotAvailableError(TTSMoeError):
    """No trained model or voice is available for the request."""

    exit_code = 4


class OutputError(TTSMoeError):
    """The output could not be written (missing folder, read-only, disk full)."""

    exit_code = 5
