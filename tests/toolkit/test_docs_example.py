"""The toolkit's example in docs/plugins.md runs as it is written."""

from __future__ import annotations

import re
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent.parent / "docs" / "plugins.md"


def test_the_documented_plugin_runs() -> None:
    text = DOCS.read_text(encoding="utf-8")
    section = text[text.index("## The toolkit: what a platform plugin is built from") :]
    block = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert block is not None
    exec(compile(block.group(1), "docs/plugins.md", "exec"), {"__name__": "docs_example"})
