"""Personal data kept out of logs and stored text: phone and ID numbers masked, ID numbers hashed for lookup."""
from __future__ import annotations

import hashlib
import hmac
import logging
import re

# Mainland mobile numbers and resident ID numbers (15 or 18 characters), not inside a longer run of digits.
PHONE = re.compile(r"(?<![0-9])(1[3-9][0-9])[0-9]{4}([0-9]{4})(?![0-9])")
ID_NUMBER = re.compile(r"(?<![0-9])([1-9][0-9]{3})[0-9]{7,10}([0-9]{3}[0-9Xx])(?![0-9A-Za-z])")
# Query values that may hold names or numbers, and Gradio session hashes (a replayable UI login)
SECRET_QUERY = re.compile(r"((?:[?&])(?:q|session_hash|sig|token)=)[^&\s\"]*")
SECRET_PATH = re.compile(r"(/heartbeat/)[^/?\s\"]+")


def mask_text(text: str) -> str:
    """Mask ID numbers first (they contain phone-like runs), then phone numbers."""
    if not text:
        return text
    text = ID_NUMBER.sub(lambda m: m.group(1) + "*" * (len(m.group(0)) - 8) + m.group(2), text)
    return PHONE.sub(r"\1****\2", text)


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
