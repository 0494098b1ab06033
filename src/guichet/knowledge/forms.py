"""The bilingual editor form: both language versions side by side, lists typed one item per line."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from guichet.knowledge.models import LANGUAGES, Article


class LinesField(forms.CharField):
    """A list of texts edited as one item per line."""

    widget = forms.Textarea(attrs={"rows": 4})

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:
        return [line.strip() for line in (value or "").splitlines() if line.strip()]


class TagsField(forms.CharField):
    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value: Any) -> list[str]:
        return [tag.strip() for tag in (value or "").split(",") if tag.strip()]


class ArticleForm(forms.ModelForm):
    en_phrasings = LinesField(label=_("English alternative phrasings (one per line)"), required=False)
    fr_phrasings = LinesField(label=_("French alternative phrasings (one per line)"), required=False)
    tags = TagsField(label=_("Tags (separated by commas; flow:<slug> starts a guided flow)"), required=False)

    class Meta:
        model = Article
        fields = ["key", "status", "audience", "tags", "valid_from", "valid_until",
                  "en_title", "en_phrasings", "en_answer", "en_source_url",
                  "fr_title", "fr_phrasings", "fr_answer", "fr_source_url"]
        widgets = {
            "valid_from": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "valid_until": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
            "en_answer": forms.Textarea(attrs={"rows": 10}),
            "fr_answer": forms.Textarea(attrs={"rows": 10}),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        has_version = any(data.get(f"{language}_title") or data.get(f"{language}_phrasings")
                          for language in LANGUAGES)
        if not has_version:
            raise forms.ValidationError(_("Write at least an English or a French version (a title or a phrasing)."))
        for language in LANGUAGES:
            if data.get(f"{language}_answer") and not data.get(f"{language}_title"):
                self.add_error(f"{language}_title", _("A version with an answer needs a title."))
        if data.get("valid_from") and data.get("valid_until") and data["valid_until"] <= data["valid_from"]:
            self.add_error("valid_until", _("The end of validity must come after its start."))
        return data

    def version_fields(self, language: str) -> list[forms.BoundField]:
        return [self[f"{language}_{name}"] for name in ("title", "phrasings", "answer", "source_url")]
