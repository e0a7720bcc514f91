"""Personal data kept out of logs and stored text: phone and ID numbers masked, ID numbers hashed for lookup."""
from __future__ import annotations

import hashlib
import hmac
import logging
import re
import unicodedata

# Mainland mobile numbers (optionally +86 / 0086 / 86 first) and resident ID numbers (15 or 18 characters), not
# inside a longer run of digits. Matched on folded text (full-width and other digits as ASCII, one character for
# one; a run of Chinese digits as ASCII digits), with spaces, hyphens, dots and zero-width characters tolerated
# between the digits.
SEP_CHARS = r"\s\-\u2010-\u2015\u2212.\u00b7\u30fb\u200b-\u200d\u2060\ufeff"
SEP = rf"[{SEP_CHARS}]{{0,3}}"
# Between any two digits of a mobile number a separator may stand (1 3 8…, 138 12 34 56 78, 138，1234，5678, 138/1234/5678).
PHONE_SEP = rf"[{SEP_CHARS},，/_]{{0,2}}"
PHONE = re.compile(rf"(?<![0-9])((?:\+|00)?86{SEP})?(1{PHONE_SEP}[3-9](?:{PHONE_SEP}[0-9]){{9}})(?![0-9])")
ID_NUMBER = re.compile(rf"(?<![0-9])[1-9](?:{SEP}[0-9]){{13,16}}{SEP}[0-9Xx](?![0-9A-Za-z])")
# Landlines: an area code as the mainland numbers them (010, 02x, 0xxx from 03), maybe in brackets, and a local number
# of 7-8 digits not starting with 0 or 1 (0515-88888888, (0515)8888 8888, 010-62345678, 051588888888).
LANDLINE = re.compile(rf"(?<![0-9])\(?(0(?:10|2[0-9]|[3-9][0-9]{{2}}))\)?{SEP}"
                      rf"([2-9][0-9]{{2,3}}{SEP}[0-9]{{4}})(?![0-9])")
# Bank cards: 16-19 digits, maybe grouped by spaces or hyphens, passing the Luhn check (an amount almost never does
# and is rarely that long). Contiguous runs of 16-18 digits are already masked as ID numbers.
CARD = re.compile(r"(?<![0-9A-Za-z])[3-6](?:[ \-.]?[0-9]){15,18}(?![ \-.]?[0-9A-Za-z])")
# Passports and travel permits: one letter and 7-8 digits (E12345678, G12345678, C12345678 for Hong Kong and Macau)
# or two letters and 7 digits (EA1234567). Two letters and 8 digits is left alone: contract numbers look like that.
PASSPORT = re.compile(r"(?<![0-9A-Za-z])([A-Za-z](?:[A-Za-z] ?[0-9]{3} ?[0-9]{4}|(?: ?[0-9]){7,8}))(?![0-9A-Za-z])")
CHINESE_DIGIT = "〇零幺一二三四五六七八九壹贰叁肆伍陆柒捌玖"
# A run of seven or more digits, Chinese (小写 or 大写) and Arabic mixed (一三八 1234 5678, 138一二三四5678): read as digits.
CHINESE_RUN = re.compile(rf"[0-9{CHINESE_DIGIT}](?:{SEP}[0-9{CHINESE_DIGIT}]){{6,}}")
CHINESE_TABLE = str.maketrans(CHINESE_DIGIT, "001123456789123456789")
NOT_DIGIT = re.compile(r"[^0-9Xx]")
ANY_DIGIT = re.compile(r"[0-9]")
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


def fold_digits(text: str) -> str:
    """`fold`, and runs of seven or more Chinese digits (a phone number said aloud: 一三八幺二…) as ASCII digits;
    a lone 一 (一直, 第一年) stays, so it never joins the number beside it."""
    return CHINESE_RUN.sub(lambda m: m.group(0).translate(CHINESE_TABLE), fold(text))


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


RUN_BEFORE = re.compile(rf"[0-9][{SEP_CHARS}]{{1,3}}$")


def _in_longer_run(match: re.Match) -> bool:
    """Digits just before the match, past a separator: it is the tail of a longer spaced number, not a number."""
    return bool(RUN_BEFORE.search(match.string[max(0, match.start() - 4):match.start()]))


def _landline_mask(match: re.Match) -> str | None:
    """The area code stays (it says only the city), the local number keeps its last four digits."""
    if _in_longer_run(match):
        return None
    local = NOT_DIGIT.sub("", match.group(2))
    return match.group(1) + "*" * (len(local) - 4) + local[-4:]


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _card_mask(match: re.Match) -> str | None:
    """A card number passes the Luhn check and is not the tail of a longer spaced run of digits."""
    digits = NOT_DIGIT.sub("", match.group(0))
    if not luhn_ok(digits) or _in_longer_run(match):
        return None
    return digits[:4] + "*" * (len(digits) - 8) + digits[-4:]


def _passport_mask(match: re.Match) -> str:
    code = match.group(1)
    letters = 2 if code[1].isalpha() else 1
    return code[:letters] + "*" * (len(code) - letters - 4) + code[-4:]


def _fit(masked: str, length: int) -> str:
    """The masked form stretched with more stars to `length` characters (the text around it keeps its offsets)."""
    if len(masked) >= length or "*" not in masked:
        return masked
    at = masked.index("*")
    return masked[:at] + "*" * (length - len(masked)) + masked[at:]


def _mask_spans(text: str, folded: str, pattern: re.Pattern, masker, keep_length: bool = False) -> tuple[str, str]:
    """Replace each match found on `folded` in both strings (the original keeps its other characters)."""
    out, fout, pos = [], [], 0
    for m in pattern.finditer(folded):
        masked = masker(m)
        if masked is None:
            continue
        if keep_length:
            masked = _fit(masked, m.end() - m.start())
        out += [text[pos:m.start()], masked]
        fout += [folded[pos:m.start()], masked]
        pos = m.end()
    return "".join(out) + text[pos:], "".join(fout) + folded[pos:]


# ID numbers first (they contain phone-like runs), then cards, phones, landlines and passports; each pass sees the
# stars of the last, so no number is masked twice.
MASKS = ((ID_NUMBER, _id_mask), (CARD, _card_mask), (PHONE, _phone_mask), (LANDLINE, _landline_mask),
         (PASSPORT, _passport_mask))


def mask_text(text: str, keep_length: bool = False) -> str:
    """Mask ID, card, phone, landline and passport numbers, in any digits and spacing. With `keep_length` each masked
    number keeps its length (more stars), for stored text whose character offsets are kept too (session state)."""
    if not text:
        return text
    folded = fold_digits(text)
    if not ANY_DIGIT.search(folded):  # every pattern needs a digit: most log lines and answers end here
        return text
    for pattern, masker in MASKS:
        text, folded = _mask_spans(text, folded, pattern, masker, keep_length)
    return text


def mask_data(value, keep_length: bool = False):
    """`mask_text` on every string of a JSON-like value (dict keys and values, lists), the rest as it is: what a
    session's state or a turn's answer holds of the user's words is stored without their numbers."""
    if isinstance(value, str):
        return mask_text(value, keep_length)
    if isinstance(value, dict):
        return {mask_data(k, keep_length): mask_data(v, keep_length) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_data(v, keep_length) for v in value]
    return value


def redact(text: str) -> str:
    """What may be written to a log line: query values dropped, phone and ID numbers masked."""
    return mask_text(SECRET_PATH.sub(r"\1…", SECRET_QUERY.sub(r"\1…", text)))


def mask_address(client: str) -> str:
    """A client address as a log may keep it: an IPv4 address without its last byte (203.0.113.*), an IPv6 network
    by its first three groups; any other key (a name the guard gave) as it is."""
    import ipaddress

    try:
        net = ipaddress.ip_network(client, strict=False)
    except ValueError:
        return client
    if net.version == 4:
        return ".".join(str(net.network_address).split(".")[:3]) + ".*"
    return ":".join(net.network_address.exploded.split(":")[:3]) + ":*"


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
