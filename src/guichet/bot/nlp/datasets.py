"""Loaders for the knowledge import format and for the evaluation data sets.

Knowledge import format (also documented in docs/virtual-agent.md): a JSON list of
    {"id": str, "en": {"title", "phrasings": [], "answer", "source_url"} | null, "fr": {...} | null,
     "tags": [], "status": "published", "audience": "public"}
"""

from __future__ import annotations

import csv
import json
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from guichet.bot.nlp.retrieval import IndexedArticle
from guichet.bot.nlp.text import normalise_question

LANGUAGES = ("en", "fr")
BANKING77_SHOTS = 10
BANKING77_SEED = 0


class DatasetError(ValueError):
    """A knowledge or query file that cannot be used, with a message meant for the operator."""


@dataclass(frozen=True)
class LabelledQuery:
    text: str
    expected_article_id: str  # empty: out of scope, the bot should hand off


def validate_kb_records(records: object) -> list[dict]:
    if not isinstance(records, list):
        raise DatasetError("knowledge file must contain a JSON list of articles")
    seen: set[str] = set()
    for position, record in enumerate(records):
        if not isinstance(record, dict) or not isinstance(record.get("id"), str) or not record["id"]:
            raise DatasetError(f"article #{position}: needs a non-empty string 'id'")
        if record["id"] in seen:
            raise DatasetError(f"article {record['id']!r}: duplicate id")
        seen.add(record["id"])
        versions = [record.get(language) for language in LANGUAGES]
        if not any(versions):
            raise DatasetError(f"article {record['id']!r}: needs an 'en' or 'fr' version")
        for language, version in zip(LANGUAGES, versions, strict=True):
            if version is None:
                continue
            if not isinstance(version, dict) or not isinstance(version.get("phrasings", []), list):
                raise DatasetError(f"article {record['id']!r}: '{language}' must be an object with a phrasings list")
            if not (version.get("title") or version.get("phrasings")):
                raise DatasetError(f"article {record['id']!r}: '{language}' needs a title or a phrasing")
    return records


def load_kb_file(path: str | Path) -> list[dict]:
    try:
        records = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise DatasetError(f"knowledge file not found: {path}") from error
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise DatasetError(f"knowledge file is not valid UTF-8 JSON: {path}: {error}") from error
    return validate_kb_records(records)


def published_articles(records: list[dict]) -> list[IndexedArticle]:
    """Articles the public bot may answer from (published, public audience)."""
    return [
        IndexedArticle.from_kb_record(record)
        for record in records
        if record.get("status", "published") == "published" and record.get("audience", "public") == "public"
    ]


def load_queries_file(path: str | Path) -> list[LabelledQuery]:
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            if not reader.fieldnames or not {"query", "expected_article_id"} <= set(reader.fieldnames):
                raise DatasetError(f"queries file needs the header 'query,expected_article_id': {path}")
            queries = [
                LabelledQuery(row["query"].strip(), (row["expected_article_id"] or "").strip())
                for row in reader
                if (row["query"] or "").strip()
            ]
    except FileNotFoundError as error:
        raise DatasetError(f"queries file not found: {path}") from error
    except UnicodeDecodeError as error:
        raise DatasetError(f"queries file is not UTF-8: {path}") from error
    if not queries:
        raise DatasetError(f"queries file has no queries: {path}")
    return queries


def _read_banking77(path: Path) -> list[tuple[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return [(row["text"], row["category"]) for row in csv.DictReader(handle)]


def banking77_kb(train_csv: str | Path, with_titles: bool = True) -> list[dict]:
    """Few-shot knowledge base: at most 10 training rows per intent, drawn with seed 0.

    With `with_titles` the intent name ("card_arrival" -> "card arrival") becomes the article title, as a
    real article has one; the benchmark reports both variants.
    """
    by_intent: dict[str, list[str]] = defaultdict(list)
    for text, intent in _read_banking77(Path(train_csv)):
        by_intent[intent].append(text)
    generator = random.Random(BANKING77_SEED)
    records = []
    for intent in sorted(by_intent):
        texts = list(by_intent[intent])
        generator.shuffle(texts)
        shots = texts[:BANKING77_SHOTS]
        title = intent.replace("_", " ") if with_titles else ""
        records.append({
            "id": intent,
            "en": {"title": title, "phrasings": shots, "answer": "", "source_url": ""},
            "fr": None, "tags": ["banking77"], "status": "published", "audience": "public",
        })
    return records


def banking77_queries(test_csv: str | Path) -> list[LabelledQuery]:
    return [LabelledQuery(text, intent) for text, intent in _read_banking77(Path(test_csv))]


def faq_article_id(position: int) -> str:
    return f"faq-{position:03d}"


def load_phrasings_file(path: str | Path) -> dict[str, list[str]]:
    """Editors' alternative phrasings, CSV `article_id,phrasing` (several rows per article), in file order."""
    phrasings: dict[str, list[str]] = defaultdict(list)
    try:
        with open(path, encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            if not reader.fieldnames or not {"article_id", "phrasing"} <= set(reader.fieldnames):
                raise DatasetError(f"phrasings file needs the header 'article_id,phrasing': {path}")
            for line, row in enumerate(reader, start=2):
                article_id, text = (row["article_id"] or "").strip(), (row["phrasing"] or "").strip()
                if not article_id or not text:
                    raise DatasetError(f"{path}, line {line}: an article id and a phrasing are both required")
                phrasings[article_id].append(text)
    except FileNotFoundError as error:
        raise DatasetError(f"phrasings file not found: {path}") from error
    except UnicodeDecodeError as error:
        raise DatasetError(f"phrasings file is not UTF-8: {path}") from error
    return dict(phrasings)


def french_faq_kb(faq_json: str | Path, phrasings: dict[str, list[str]] | None = None) -> list[dict]:
    """French-only articles; identical normalised questions from different sources are one article.

    `phrasings` (article id -> alternative wordings, `load_phrasings_file`) adds editors' phrasings; an id
    that names no article is an error, so a stale file cannot silently drop its rows.
    """
    entries = json.loads(Path(faq_json).read_text(encoding="utf-8"))
    records: list[dict] = []
    by_question: dict[str, dict] = {}
    for entry in entries:
        key = normalise_question(entry["q"])
        if key in by_question:
            continue
        record = {
            "id": faq_article_id(len(records)),
            "en": None,
            "fr": {"title": entry["q"].strip(), "phrasings": [], "answer": entry["r"].strip(),
                   "source_url": entry.get("u", "")},
            "tags": [entry.get("c", "")], "status": "published", "audience": "public",
        }
        by_question[key] = record
        records.append(record)
    if phrasings:
        by_id = {record["id"]: record for record in records}
        unknown = sorted(set(phrasings) - set(by_id))
        if unknown:
            raise DatasetError(f"phrasings name articles the FAQ does not have: {', '.join(unknown[:5])}")
        for article_id, texts in phrasings.items():
            by_id[article_id]["fr"]["phrasings"] = list(dict.fromkeys(texts))
    return records


BANKING77_VALIDATION_SEED = 1
BANKING77_VALIDATION_PER_INTENT = 10


def banking77_validation(
    train_csv: str | Path, per_intent: int = BANKING77_VALIDATION_PER_INTENT,
) -> list[LabelledQuery]:
    """Tuning queries drawn from train.csv only: rows NOT used as the 10-shot knowledge base.

    The knowledge base takes the first 10 rows of each intent after a seed-0 shuffle (`banking77_kb`); the
    validation split takes `per_intent` of the remaining rows with its own fixed seed, so any weight or
    threshold choice can be made without ever looking at test.csv.
    """
    by_intent: dict[str, list[str]] = defaultdict(list)
    for text, intent in _read_banking77(Path(train_csv)):
        by_intent[intent].append(text)
    kb_generator = random.Random(BANKING77_SEED)
    validation_generator = random.Random(BANKING77_VALIDATION_SEED)
    queries: list[LabelledQuery] = []
    for intent in sorted(by_intent):
        texts = list(by_intent[intent])
        kb_generator.shuffle(texts)  # the same draw as banking77_kb, so the shots are excluded exactly
        remaining = texts[BANKING77_SHOTS:]
        queries.extend(LabelledQuery(text, intent) for text in validation_generator.sample(remaining, per_intent))
    return queries
