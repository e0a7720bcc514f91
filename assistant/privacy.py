"""Personal data kept out of logs and stored text: phone and ID numbers masked, ID numbers hashed for lookup."""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
import unicodedata

# Mainland mobile numbers (optionally +86 / 0086 / 86 first) and resident ID numbers (15 or 18 characters), not
# inside a longer run of digits. Matched on folded text (full-width and other digits as ASCII, one character for
# one), with spaces, hyphens and zero-width characters tolerated between the digits.
SEP = r"[\s\-\u2010-\u2015\u2212\u200b-\u200d\u2060\ufeff]{0,3}"
PHONE = re.compile(rf"(?<![0-9])((?:\+|00)?86{SEP})?(1[3-9][0-9]{SEP}[0-9]{{4}}{SEP}[0-9]{{4}})(?![0-9])")
ID_NUMBER = re.compile(rf"(?<![0-9])[1-9](?:{SEP}[0-9]){{13,16}}{SEP}[0-9Xx](?![0-9A-Za-z])")
NOT_DIGIT = re.compile(r"[^0-9Xx]")
BIRTH_DATE = re.compile(r"(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])")
# Query values that may hold names or numbers, and Gradio session hashes (a replayable UI login)
SECRET_QUERY = re.compile(r"((?:[?&])(?:q|session_hash|sig|token)=)[^&\s\"]*")
SECRET_PATH = re.compile(r"(/heartbeat/)[^/?\s\"]+")


def fold(text: str) -> str:
    """Each character by its NFKC form when that is one character (１ → 1, － → -, \u3000 → space), other decimal
    digits (Arabic-Indic…) by the ASCII digit: the same length, so a match on the fold is a span of the original."""
    if text.isascii():
        return text
    out = []
    for ch in text:
        n = unicodedata.normalize("NFKC", ch)
        ch = n if len(n) == 1 else ch
        if not ch.isascii() and unicodedata.decimal(ch, None) is not None:
            ch = str(unicodedata.decimal(ch))
        out.append(ch)
    return "".join(out)


def _id_mask(match: re.Match) -> str | None:
    """The masked form of a plausible ID number; a run with separators must also hold a birth date where an ID
    does (so "2024 2025 2026" stays as written)."""
    digits = NOT_DIGIT.sub("", match.group(0))
    if len(digits) != len(match.group(0)):
        date = digits[6:14] if len(digits) == 18 else "19" + digits[6:12] if len(digits) == 15 else ""
        if not BIRTH_DATE.fullmatch(date):
            return None
    return digits[:4] + "*" * (len(digits) - 8) + digits[-4:]


def _phone_mask(match: re.Match) -> str:
    digits = NOT_DIGIT.sub("", match.group(2))
    return (match.group(1) or "") + digits[:3] + "****" + digits[-4:]


def _mask_spans(text: str, folded: str, pattern: re.Pattern, masker) -> tuple[str, str]:
    """Replace each match found on `folded` in both strings (the original keeps its other characters)."""
    out, fout, pos = [], [], 0
    for m in pattern.finditer(folded):
        masked = masker(m)
        if masked is None:
            continue
        out += [text[pos:m.start()], masked]
        fout += [folded[pos:m.start()], masked]
        pos = m.end()
    return "".join(out) + text[pos:], "".join(fout) + folded[pos:]


def mask_text(text: str) -> str:
    """Mask ID numbers first (they contain phone-like runs), then phone numbers, in any digits and spacing."""
    if not text:
        return text
    text, folded = _mask_spans(text, fold(text), ID_NUMBER, _id_mask)
    return _mask_spans(text, folded, PHONE, _phone_mask)[0]


def redact(text: str) -> str:
    """What may be written to a log line: query values dropped, phone and ID numbers masked."""
    return mask_text(SECRET_PATH.sub(r"\1…", SECRET_QUERY.sub(r"\1…", text)))


def id_hash(number: str, key: str) -> str:
    """Keyed hash of an ID number, for lookup without keeping the number (a plain hash is guessable)."""
    return hmac.new(key.encode(), number.strip().upper().encode(), hashlib.sha256).hexdigest()


def _redact_record(record: logging.LogRecord) -> logging.LogRecord:
    # uvicorn's access formatter unpacks record.args, so arguments are redacted one by one, in place
    if isinstance(record.args, tuple):
        record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
    elif isinstance(record.args, dict):
        record.args = {k: redact(v) if isinstance(v, str) else v for k, v in record.args.items()}
    if isinstance(record.msg, str):
        record.msg = redact(record.msg)
    if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
        record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
    return record


def install_log_redaction() -> None:
    """Every log record of the process (access log, SQL errors, warnings) is redacted when it is created."""
    factory = logging.getLogRecordFactory()
    if getattr(factory, "opc_redacting", False):
        return

    def redacting(*args, **kwargs):
        return _redact_record(factory(*args, **kwargs))

    redacting.opc_redacting = True
    logging.setLogRecordFactory(redacting)
