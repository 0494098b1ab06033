"""Gettext catalogs of Guichet: extraction, a small PO reader/writer, and the update command.

The project catalog `src/guichet/locale/<lang>/LC_MESSAGES/django.po` holds every translatable string of
`src/guichet` (LOCALE_PATHS wins over app catalogs, so it is the one Django uses). Strings are extracted
with Django's own `makemessages` in a temporary copy of the source without the app `locale` folders, so
that one catalog receives them all.

    python -m tests.i18n.catalogs update [--translations extra.po]   # refresh fr + en, compile .mo

`update` keeps existing translations, reuses those of the app catalogs (analytics, wfm, omnichannel, web)
and of an optional extra PO file, and lists what is still untranslated.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

REPO_DIR = Path(__file__).resolve().parents[2]
SOURCE_DIR = REPO_DIR / "src" / "guichet"
PROJECT_LOCALE = SOURCE_DIR / "locale"
LANGUAGES = ("fr", "en")
PLURAL_FORMS = {"fr": "nplurals=2; plural=(n > 1);", "en": "nplurals=2; plural=(n != 1);"}
SKIPPED_DIRS = {"locale", "static", "__pycache__", "migrations"}


@dataclass
class Entry:
    msgid: str
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: list[str] = field(default_factory=lambda: [""])
    comments: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)

    @property
    def translated(self) -> bool:
        return all(self.msgstr) and "fuzzy" not in self.flags


def _unquote(text: str) -> str:
    body = text.strip()[1:-1]
    out, i = [], 0
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}
    while i < len(body):
        char = body[i]
        if char == "\\" and i + 1 < len(body):
            out.append(escapes.get(body[i + 1], body[i + 1]))
            i += 2
        else:
            out.append(char)
            i += 1
    return "".join(out)


def _quote(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    return f'"{escaped}"'


def read_po(path: Path) -> list[Entry]:
    """Entries of a PO file (header included as the entry with msgid ""); obsolete #~ entries are marked."""
    entries: list[Entry] = []
    current: Entry | None = None
    comments: list[str] = []
    field_name: str | None = None
    index = 0

    def finish() -> None:
        nonlocal current
        if current is not None:
            entries.append(current)
        current = None

    for raw in path.read_text(encoding="utf-8").splitlines():
        obsolete = raw.startswith("#~")
        line = raw[2:].strip() if obsolete else raw.strip()
        if not line:
            finish()
            field_name = None
            continue
        if line.startswith("#") and not obsolete:
            if current is not None and field_name is not None:
                finish()
            comments.append(line)
            continue
        keyword, _, rest = line.partition(" ")
        if line.startswith('"'):
            value = _unquote(line)
            assert current is not None and field_name is not None, f"{path}: stray string {raw!r}"
            if field_name == "msgstr":
                current.msgstr[index] += value
            else:
                setattr(current, field_name, (getattr(current, field_name) or "") + value)
            continue
        if keyword in {"msgctxt", "msgid"} and (current is None or field_name in {"msgstr"}):
            finish()
        if current is None:
            current = Entry(msgid="", comments=[c for c in comments if not c.startswith("#,")], obsolete=obsolete)
            for comment in comments:
                if comment.startswith("#,"):
                    current.flags |= {flag.strip() for flag in comment[2:].split(",") if flag.strip()}
            comments = []
        if keyword == "msgctxt":
            field_name, current.msgctxt = "msgctxt", _unquote(rest)
        elif keyword == "msgid":
            field_name, current.msgid = "msgid", _unquote(rest)
        elif keyword == "msgid_plural":
            field_name, current.msgid_plural = "msgid_plural", _unquote(rest)
        elif keyword.startswith("msgstr"):
            index = int(keyword[7:-1]) if keyword.startswith("msgstr[") else 0
            while len(current.msgstr) <= index:
                current.msgstr.append("")
            current.msgstr[index] = _unquote(rest)
            field_name = "msgstr"
    finish()
    return entries


def write_po(path: Path, entries: list[Entry]) -> None:
    lines: list[str] = []
    for entry in entries:
        if entry.obsolete:
            continue
        lines += entry.comments
        flags = sorted(entry.flags)
        if flags:
            lines.append("#, " + ", ".join(flags))
        if entry.msgctxt is not None:
            lines.append(f"msgctxt {_quote(entry.msgctxt)}")
        lines.append(f"msgid {_quote(entry.msgid)}")
        if entry.msgid_plural is not None:
            lines.append(f"msgid_plural {_quote(entry.msgid_plural)}")
            lines += [f"msgstr[{i}] {_quote(text)}" for i, text in enumerate(entry.msgstr)]
        else:
            lines.append(f"msgstr {_quote(entry.msgstr[0])}")
        lines.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")


def extract(work_dir: Path) -> list[Entry]:
    """Every translatable string of src/guichet (Python, templates, text files) as fresh POT entries."""
    copy = work_dir / "guichet"
    shutil.copytree(SOURCE_DIR, copy, ignore=lambda _dir, names: [n for n in names if n in SKIPPED_DIRS])
    (copy / "locale").mkdir()
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    django_admin = Path(sys.executable).with_name("django-admin")
    command = [str(django_admin) if django_admin.exists() else "django-admin", "makemessages", "-l", "fr",
               "--no-wrap", "--no-location", "--no-obsolete", "-e", "html,txt,py"]
    subprocess.run(command, cwd=copy, env=env, check=True, capture_output=True, text=True)
    return read_po(copy / "locale" / "fr" / "LC_MESSAGES" / "django.po")


def catalog_path(language: str, base: Path = PROJECT_LOCALE) -> Path:
    return base / language / "LC_MESSAGES" / "django.po"


def app_catalogs(language: str = "fr") -> list[Path]:
    """Catalogs that apps keep next to their code (everything under src/guichet but the project one)."""
    return sorted(path for path in SOURCE_DIR.glob(f"*/locale/{language}/LC_MESSAGES/django.po"))


def translation_memory(paths: list[Path]) -> dict[tuple[str | None, str], list[str]]:
    memory: dict[tuple[str | None, str], list[str]] = {}
    for path in paths:
        if path.exists():
            for entry in read_po(path):
                if entry.msgid and entry.translated and not entry.obsolete:
                    memory.setdefault(entry.key, entry.msgstr)
    return memory


def build(language: str, fresh: list[Entry], memory: dict[tuple[str | None, str], list[str]]) -> list[Entry]:
    entries = []
    for source in fresh:
        entry = Entry(source.msgid, source.msgctxt, source.msgid_plural, list(source.msgstr),
                      list(source.comments), set(source.flags) - {"fuzzy"})
        if not entry.msgid:
            entry.msgstr = [_header(entry.msgstr[0], language)]
            entry.comments = ["# Guichet.", "# This file is distributed under the same license as Guichet."]
        elif language == "fr":
            known = memory.get(entry.key)
            plural_count = 2 if entry.msgid_plural is not None else 1
            entry.msgstr = list(known[:plural_count]) if known and len(known) >= plural_count else [""] * plural_count
        else:
            entry.msgstr = [""] * (2 if entry.msgid_plural is not None else 1)
        entries.append(entry)
    return entries


def _header(header: str, language: str) -> str:
    lines = []
    for line in header.split("\n"):
        if line.startswith("Language:"):
            line = f"Language: {language}"
        elif line.startswith("Plural-Forms:"):
            line = f"Plural-Forms: {PLURAL_FORMS[language]}"
        elif line.startswith("Language-Team:"):
            line = "Language-Team: Guichet <i18n@guichet.invalid>"
        elif line.startswith("Last-Translator:"):
            line = "Last-Translator: Guichet <i18n@guichet.invalid>"
        elif line.startswith("Project-Id-Version:"):
            line = "Project-Id-Version: Guichet"
        elif line.startswith("PO-Revision-Date:"):
            line = "PO-Revision-Date: 2026-12-01 00:00+0000"  # fixed: the catalog changes only with its strings
        elif line.startswith("POT-Creation-Date:"):
            continue
        lines.append(line)
    return "\n".join(lines)


def update(extra: list[Path]) -> dict[str, int]:
    with tempfile.TemporaryDirectory() as work:
        fresh = extract(Path(work))
    memory = translation_memory([catalog_path("fr"), *extra, *app_catalogs("fr")])
    missing = {}
    for language in LANGUAGES:
        entries = build(language, fresh, memory)
        write_po(catalog_path(language), entries)
        subprocess.run(["msgfmt", "--check-format", "-o", str(catalog_path(language).with_suffix(".mo")),
                        str(catalog_path(language))], check=True)
        missing[language] = sum(1 for entry in entries if entry.msgid and not entry.translated)
    return missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["update", "untranslated"])
    parser.add_argument("--translations", type=Path, action="append", default=[],
                        help="extra PO file whose translations fill the French catalog")
    args = parser.parse_args(argv)
    if args.command == "update":
        missing = update(args.translations)
        print(f"untranslated French messages: {missing['fr']}")
    for entry in read_po(catalog_path("fr")):
        if entry.msgid and not entry.translated:
            print(repr(entry.msgid) if entry.msgid_plural is None else repr((entry.msgid, entry.msgid_plural)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
