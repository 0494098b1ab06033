"""`python -m guichet kb <import|export|load-banking77|load-covid-faq|load-demo> ...`

Imports are all or nothing: any bad row prints a numbered report (CSV line / JSON item, field, reason) on
stderr and exits with code 2 without writing anything.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from guichet.core.paths import shared_data_dir
from guichet.knowledge import formats
from guichet.knowledge.actions import export_records, import_articles

EXIT_BAD_ROWS = 2
DEFAULT_BANKING77 = str(shared_data_dir() / "banking77" / "train.csv")
DEFAULT_COVID_FAQ = str(shared_data_dir() / "fr_gov_covid_faq" / "faq.json")


class Progress:
    """A one-line progress bar on stderr, only when it is a terminal or --progress was given."""

    def __init__(self, stream: Any, total: int, enabled: bool, label: str):
        self.stream, self.total, self.enabled, self.label = stream, max(total, 1), enabled, label
        self.last = -1

    def __call__(self, done: int) -> None:
        if not self.enabled:
            return
        percent = done * 100 // self.total
        if percent != self.last or done == self.total:
            self.last = percent
            bar = "#" * (percent // 4)
            self.stream.write(f"\r{self.label} [{bar:<25}] {done}/{self.total}")
            if done == self.total:
                self.stream.write("\n")
            self.stream.flush()


class Command(BaseCommand):
    help = "Knowledge base: import, export and load the shared data sets."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        do_import = sub.add_parser("import", help="Import articles from a JSON or CSV file (all or nothing).")
        do_import.add_argument("file")
        do_import.add_argument("--format", choices=["json", "csv"], help="Default: from the file extension.")
        do_import.add_argument("--progress", action="store_true", help="Show a progress bar even without a TTY.")
        do_export = sub.add_parser("export", help="Export every article to a JSON or CSV file.")
        do_export.add_argument("file")
        do_export.add_argument("--format", choices=["json", "csv"])
        banking = sub.add_parser("load-banking77", help="10 phrasings per BANKING77 intent (seed 0).")
        banking.add_argument("--path", default=DEFAULT_BANKING77)
        banking.add_argument("--progress", action="store_true")
        covid = sub.add_parser("load-covid-faq", help="The French government COVID-19 FAQ (French only).")
        covid.add_argument("--path", default=DEFAULT_COVID_FAQ)
        covid.add_argument("--progress", action="store_true")
        covid.add_argument("--phrasings", help="CSV article_id,phrasing of editors' alternative phrasings to add.")
        sub.add_parser("load-demo", help="The demonstration articles (idempotent).")

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "import":
            self.import_file(Path(options["file"]), options.get("format"), options["progress"])
        elif action == "export":
            self.export_file(Path(options["file"]), options.get("format"))
        elif action == "load-banking77":
            self.load_dataset("banking77", options["path"], options["progress"])
        elif action == "load-covid-faq":
            self.load_dataset("covid", options["path"], options["progress"], options.get("phrasings"))
        elif action == "load-demo":
            from guichet.knowledge.demo import load_demo_knowledge

            self.stdout.write(f"demo articles created or updated: {load_demo_knowledge()}")

    @staticmethod
    def _format(path: Path, requested: str | None) -> str:
        fmt = requested or path.suffix.lower().lstrip(".")
        if fmt not in {"json", "csv"}:
            raise CommandError(f"cannot tell the format of {path.name}: use --format json or --format csv")
        return fmt

    def import_file(self, path: Path, requested: str | None, progress: bool) -> None:
        fmt = self._format(path, requested)
        try:
            text = formats.decode(path.read_bytes(), path.name)
            parsed = list(formats.parse_json(text) if fmt == "json" else formats.parse_csv(text))
        except FileNotFoundError as error:
            raise CommandError(f"file not found: {path}") from error
        except formats.FormatError as error:
            raise CommandError(f"{path.name}: {error}") from error
        self.import_parsed(parsed, progress, path.name)

    def import_parsed(self, parsed: list[formats.ParsedRecord], progress: bool, label: str) -> None:
        cleaned, errors = formats.validate(parsed)
        if errors:
            self.stderr.write(f"{label}: {len(errors)} problem(s); nothing was imported:")
            for error in errors:
                self.stderr.write(f"  {error}")
            sys.exit(EXIT_BAD_ROWS)
        show = progress or sys.stderr.isatty()
        result = import_articles(cleaned, progress=Progress(sys.stderr, len(cleaned), show, "importing"))
        self.stdout.write(f"{label}: {result.created} created, {result.updated} updated, "
                          f"{result.unchanged} unchanged")

    def export_file(self, path: Path, requested: str | None) -> None:
        fmt = self._format(path, requested)
        records = export_records()
        text = formats.dump_json(records) if fmt == "json" else formats.dump_csv(records)
        path.write_text(text, encoding="utf-8")
        self.stdout.write(f"{len(records)} articles written to {path}")

    def load_dataset(self, name: str, path: str, progress: bool, phrasings_path: str | None = None) -> None:
        from guichet.bot.nlp.datasets import DatasetError, banking77_kb, french_faq_kb, load_phrasings_file

        if not Path(path).exists():
            raise CommandError(f"data set not found: {path} (use --path)")
        try:
            if name == "banking77":
                records = banking77_kb(path)
            else:
                phrasings = load_phrasings_file(phrasings_path) if phrasings_path else None
                records = french_faq_kb(path, phrasings)
        except DatasetError as error:
            raise CommandError(str(error)) from error
        except (KeyError, ValueError, UnicodeDecodeError) as error:
            raise CommandError(f"{path}: not in the expected {name} format ({error})") from error
        for record in records:  # the FAQ writes addresses without a scheme ("www.gouvernement.fr/...")
            for language in ("en", "fr"):
                version = record.get(language)
                if version and version.get("source_url") and "://" not in version["source_url"]:
                    version["source_url"] = "https://" + version["source_url"].lstrip("/")
        parsed = [formats.ParsedRecord(f"item {position}", record) for position, record in enumerate(records)]
        self.import_parsed(parsed, progress, Path(path).name)
