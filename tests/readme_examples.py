"""The README's runnable examples, as a user would paste them."""

from __future__ import annotations

from cdk_helpers import REPO

README = REPO / "README.md"


def _block(marker: str) -> str:
    text = README.read_text(encoding="utf-8")
    return text.split(f"<!-- {marker} -->\n```python\n", 1)[1].split("```", 1)[0]


def quickstart_app() -> str:
    """The quick start's app.py."""
    return _block("quickstart-app")


def composition_app() -> str:
    """The composition example, pasted below the quick start's two dicts."""
    return quickstart_app().split("app = App()", 1)[0] + _block("composition-app")
