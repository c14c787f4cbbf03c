"""Money is integer fen everywhere; these two functions are the only way it becomes text."""

from __future__ import annotations


def format_fen(fen: int | None, symbol: str = "￥") -> str:
    if fen is None:
        return ""
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{symbol}{yuan:,}.{cents:02d}"


def parse_yuan(text: str) -> int:
    """Parse "12.5" or "12.50" into 1250 fen without floats; raises ValueError."""
    text = text.strip().replace("￥", "").replace("¥", "").replace(",", "")
    if not text:
        raise ValueError("empty amount")
    whole, _, frac = text.partition(".")
    if not whole.lstrip("-").isdigit() or (frac and (not frac.isdigit() or len(frac) > 2)):
        raise ValueError(f"not an amount: {text}")
    sign = -1 if whole.startswith("-") else 1
    return sign * (abs(int(whole)) * 100 + int((frac + "00")[:2]))
