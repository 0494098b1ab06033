"""Knowledge import/export: the documented JSON list format and a one-row-per-article CSV.

JSON (docs/virtual-agent.md): a list of
    {"id", "en": {"title", "phrasings": [...], "answer", "source_url"} | null, "fr": {...} | null,
     "tags": [...], "status": "draft"|"published", "audience": "public"|"internal"}
with optional "valid_from"/"valid_until" (ISO 8601). CSV (docs/knowledge.md): UTF-8, a header row with
CSV_COLUMNS (valid_from/valid_until optional); list cells (phrasings, tags) are separated by " | ".

Parsing never stops at the first problem: every bad row is reported with its place (CSV line number or
JSON item index), the field and the reason, so an editor can fix a file in one pass.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from guichet.knowledge.models import LANGUAGES, VERSION_FIELDS, Article

LIST_SEPARATOR = " | "
CSV_COLUMNS = ("id", "status", "audience", "tags", "valid_from", "valid_until",
               *(f"{language}_{name}" for language in LANGUAGES for name in VERSION_FIELDS))
REQUIRED_CSV_COLUMNS = ("id", *(f"{language}_{name}" for language in LANGUAGES for name in ("title", "answer")))
_KEY = re.compile(r"^[^\s/\\]{1,100}$")
_URL = re.compile(r"^https?://[^\s<>\"]+$")
MAX_TEXT = {"title": 500, "answer": 20_000, "source_url": 500}


class FormatError(ValueError):
    """The whole file is unusable (encoding, not JSON, wrong columns): one clear message."""


@dataclass(frozen=True)
class RowError:
    location: str  # "line 7" (CSV) or "item 3" (JSON, counted from 0)
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.location}: {self.field}: {self.reason}"


@dataclass
class ParsedRecord:
    location: str
    record: dict[str, Any]


def decode(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FormatError(
            f"{name} is not UTF-8 text (undecodable byte at position {error.start}); "
            "save it as UTF-8 and try again."
        ) from error


def parse_json(text: str) -> list[ParsedRecord]:
    try:
        items = json.loads(text)
    except json.JSONDecodeError as error:
        raise FormatError(f"not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}") from error
    if not isinstance(items, list):
        raise FormatError("a knowledge JSON file must contain a list of articles")
    return [ParsedRecord(f"item {position}", item) for position, item in enumerate(items)]


def _split_list(cell: str) -> list[str]:
    return [part.strip() for part in (cell or "").split(LIST_SEPARATOR.strip()) if part.strip()]


def parse_csv(text: str) -> Iterator[ParsedRecord]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration as error:
        raise FormatError("the CSV file is empty; the first row must name the columns") from error
    header = [column.strip() for column in header]
    unknown = [column for column in header if column not in CSV_COLUMNS]
    missing = [column for column in REQUIRED_CSV_COLUMNS if column not in header]
    if unknown or missing:
        parts = []
        if missing:
            parts.append("missing columns: " + ", ".join(missing))
        if unknown:
            parts.append("unknown columns: " + ", ".join(unknown))
        raise FormatError("wrong CSV columns (" + "; ".join(parts) + "). Expected: " + ",".join(CSV_COLUMNS))
    line = reader.line_num
    for row in reader:
        start, line = line + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            yield ParsedRecord(f"line {start}", {"__error__": f"has {len(row)} cells, the header has {len(header)}"})
            continue
        cells = dict(zip(header, row, strict=True))
        record: dict[str, Any] = {
            "id": cells.get("id", "").strip(), "status": cells.get("status", "").strip() or "published",
            "audience": cells.get("audience", "").strip() or "public", "tags": _split_list(cells.get("tags", "")),
            "valid_from": cells.get("valid_from", "").strip() or None,
            "valid_until": cells.get("valid_until", "").strip() or None,
        }
        for language in LANGUAGES:
            version = {name: cells.get(f"{language}_{name}", "").strip() for name in VERSION_FIELDS}
            version["phrasings"] = _split_list(cells.get(f"{language}_phrasings", ""))
            record[language] = version if any(version.values()) else None
        yield ParsedRecord(f"line {start}", record)


def _clean_date(value: Any, field: str, errors: list[tuple[str, str]]) -> datetime | None:
    if value in (None, ""):
        return None
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None and isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        parsed = parse_datetime(value + "T00:00:00")
    if parsed is None:
        errors.append((field, "not an ISO 8601 date or date-time"))
        return None
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed)


def _clean_version(language: str, version: Any, errors: list[tuple[str, str]]) -> dict[str, Any] | None:
    if version is None:
        return None
    if not isinstance(version, dict):
        errors.append((language, "must be an object or null"))
        return None
    cleaned: dict[str, Any] = {}
    for name in ("title", "answer", "source_url"):
        value = version.get(name, "") or ""
        if not isinstance(value, str):
            errors.append((f"{language}.{name}", "must be text"))
            value = ""
        if len(value) > MAX_TEXT[name]:
            errors.append((f"{language}.{name}", f"is longer than {MAX_TEXT[name]} characters"))
        cleaned[name] = value.strip()
    phrasings = version.get("phrasings") or []
    if not isinstance(phrasings, list) or not all(isinstance(item, str) for item in phrasings):
        errors.append((f"{language}.phrasings", "must be a list of texts"))
        phrasings = []
    cleaned["phrasings"] = [item.strip() for item in phrasings if item.strip()]
    if cleaned["source_url"] and not _URL.match(cleaned["source_url"]):
        errors.append((f"{language}.source_url", "must be an http:// or https:// address"))
    if not (cleaned["title"] or cleaned["phrasings"]):
        errors.append((f"{language}.title", "a version needs a title or at least one phrasing"))
    return cleaned


def clean_record(record: Any) -> tuple[dict[str, Any] | None, list[tuple[str, str]]]:
    """(article fields ready for the model, [(field, reason)])."""
    errors: list[tuple[str, str]] = []
    if not isinstance(record, dict):
        return None, [("item", "must be an object")]
    if "__error__" in record:
        return None, [("row", record["__error__"])]
    key = record.get("id")
    if not isinstance(key, str) or not _KEY.match(key):
        errors.append(("id", "required; at most 100 characters, no spaces or slashes"))
    status = record.get("status", "published")
    if status not in Article.Status.values:
        errors.append(("status", f"must be one of {', '.join(Article.Status.values)}"))
    audience = record.get("audience", "public")
    if audience not in Article.Audience.values:
        errors.append(("audience", f"must be one of {', '.join(Article.Audience.values)}"))
    tags = record.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        errors.append(("tags", "must be a list of texts"))
        tags = []
    fields: dict[str, Any] = {"key": key, "status": status, "audience": audience,
                              "tags": [tag.strip() for tag in tags if tag.strip()],
                              "valid_from": _clean_date(record.get("valid_from"), "valid_from", errors),
                              "valid_until": _clean_date(record.get("valid_until"), "valid_until", errors)}
    if fields["valid_from"] and fields["valid_until"] and fields["valid_until"] <= fields["valid_from"]:
        errors.append(("valid_until", "must be after valid_from"))
    versions = {language: _clean_version(language, record.get(language), errors) for language in LANGUAGES}
    if not any(record.get(language) for language in LANGUAGES):
        errors.append(("en/fr", "an article needs an English or a French version"))
    for language in LANGUAGES:
        version = versions[language] or {"title": "", "phrasings": [], "answer": "", "source_url": ""}
        for name in VERSION_FIELDS:
            fields[f"{language}_{name}"] = version[name]
    return (None if errors else fields), errors


def validate(parsed: list[ParsedRecord]) -> tuple[list[dict[str, Any]], list[RowError]]:
    cleaned: list[dict[str, Any]] = []
    errors: list[RowError] = []
    seen: dict[str, str] = {}
    for item in parsed:
        fields, problems = clean_record(item.record)
        errors += [RowError(item.location, field, reason) for field, reason in problems]
        if fields is None:
            continue
        if fields["key"] in seen:
            errors.append(RowError(item.location, "id", f"duplicate of {seen[fields['key']]}"))
            continue
        seen[fields["key"]] = item.location
        cleaned.append(fields)
    return cleaned, errors


def to_record(article: Article) -> dict[str, Any]:
    """The documented JSON shape of one article (also the revision snapshot)."""
    return {
        "id": article.key, "en": article.version("en"), "fr": article.version("fr"),
        "tags": list(article.tags or []), "status": article.status, "audience": article.audience,
        "valid_from": article.valid_from.isoformat() if article.valid_from else None,
        "valid_until": article.valid_until.isoformat() if article.valid_until else None,
    }


def dump_json(records: list[dict[str, Any]]) -> str:
    return json.dumps(records, ensure_ascii=False, indent=2) + "\n"


def dump_csv(records: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for record in records:
        row = [record["id"], record["status"], record["audience"], LIST_SEPARATOR.join(record["tags"]),
               record.get("valid_from") or "", record.get("valid_until") or ""]
        for language in LANGUAGES:
            version = record.get(language) or {}
            for name in VERSION_FIELDS:
                value = version.get(name, "")
                row.append(LIST_SEPARATOR.join(value) if name == "phrasings" else value or "")
        writer.writerow(row)
    return buffer.getvalue()
