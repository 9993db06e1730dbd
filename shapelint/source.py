"""Reading model source: bytes to text, the way Python itself decodes a file."""

from __future__ import annotations

import io
import tokenize


class SourceError(Exception):
    """The bytes are not text Python could read (bad encoding, unknown codec)."""


def decode_source(data) -> str:
    """Decode like the interpreter: a BOM, a PEP 263 coding line, else UTF-8.

    The result has the BOM removed; line endings are kept as they are (libcst keeps
    CRLF and reproduces it byte for byte).
    """
    if isinstance(data, str):
        return data[1:] if data.startswith("\ufeff") else data
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as e:
        raise SourceError(str(e)) from None
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as e:
        raise SourceError(f"not valid {encoding} text ({e.reason if hasattr(e, 'reason') else e})") from None
    return text[1:] if text.startswith("\ufeff") else text
