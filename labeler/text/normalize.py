"""Text normalisation applied once, at import: the stored text is what every offset counts in."""

import hashlib
import unicodedata


class TextError(ValueError):
    """The bytes or text cannot be imported; ``line`` is 1-based when known."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


def holds_nul(value) -> bool:
    """Whether a string anywhere in a JSON-like value (dict keys included) holds NUL (U+0000), which
    PostgreSQL cannot store in text.
    """
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(holds_nul(key) or holds_nul(item) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return any(holds_nul(item) for item in value)
    return False


def decode(data: bytes) -> str:
    """Decode UTF-8 (with or without a byte-order mark), naming the line of the first bad byte.

    :param data: the file's bytes.
    :returns: the decoded text.
    :raises TextError: on bytes that are not UTF-8.
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise TextError(
            f"not UTF-8: byte 0x{data[error.start]:02x} at line {line}; save the file as UTF-8", line=line
        ) from None


def normalize(text: str) -> str:
    """Return ``text`` in NFC with ``\\n`` newlines and no byte-order mark.

    :param text: decoded text.
    :returns: the normalised text.
    :raises TextError: when the text holds a NUL character (a binary file, most likely).
    """
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise TextError("contains a NUL character: is this a binary file?", line=line)
    # Every leading BOM, not only the first: a file saved twice with one keeps a second, and normalising must
    # be idempotent (a gold export's text is checked to be normal when it is imported again).
    text = text.lstrip("\ufeff")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def sha256(text: str) -> str:
    """Return the hex SHA-256 of ``text`` encoded as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
