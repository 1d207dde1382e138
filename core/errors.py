"""Errors a person reads: one message in Spanish and one in English."""

from __future__ import annotations


class BilingualError(Exception):
    """``message(lang)`` is what the page shows; ``str()`` is the English text, for logs."""

    def __init__(self, message_es: str, message_en: str):
        super().__init__(message_en)
        self.message_es = message_es
        self.message_en = message_en

    def message(self, lang: str = "es") -> str:
        return self.message_en if lang == "en" else self.message_es
