"""The Content-Security-Policy check every page test can reuse: ``assert_csp_safe(page)``."""

import re

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style\b", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)
EXTERNAL = re.compile(r"""(href|src)\s*=\s*["'](https?:)?//""", re.IGNORECASE)


def assert_csp_safe(page: str, where: str) -> None:
    for name, pattern in [("inline <script>", INLINE_SCRIPT), ("style= attribute", STYLE_ATTRIBUTE),
                          ("<style> element", STYLE_ELEMENT), ("on…= handler", EVENT_HANDLER),
                          ("javascript: URL", JAVASCRIPT_URL), ("external asset", EXTERNAL)]:
        match = pattern.search(page)
        assert match is None, f"{where}: {name} at {page[match.start():match.start() + 120]!r}"
