"""Text helpers for Spanish names: search folding without accents or case."""

import unicodedata


def fold(text: str) -> str:
    """Lower-case, accent-free, single-spaced: 'MARÍA  Ñahui' -> 'maria nahui'."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.lower().split())
