"""Mark Chinese UI strings for the translation catalog without translating them.

Domain modules keep their labels and messages as plain Chinese (they never import Flask-Babel);
`N_` only lets `make messages` find them. The web layer translates them when it renders.
"""

from __future__ import annotations


def N_(message: str) -> str:
    return message


def NP_(context: str, message: str) -> str:
    """Like N_, for a word whose English depends on where it stands (a button, not a heading)."""
    return message
