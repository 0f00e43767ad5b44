"""Links to other government sites, shown in the footer of every page: ``data/external_links.json``.

Staff edit the file (its ``_about`` says how); the web reads it once when it starts. Each link is
checked as it is read: a title of one short line, an absolute http(s) address (see
:func:`policy_search.links.public_http_url`). A file that breaks these rules is a
ConfigurationError naming the file and the link, so a bad edit stops the server at start instead
of printing a broken or unsafe link on every page.
"""
from __future__ import annotations

import json
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from policy_search.errors import ConfigurationError
from policy_search.links import public_http_url

FILE_NAME = "external_links.json"
MAX_LINKS = 12
MAX_TITLE_CHARS = 30


@dataclass(frozen=True)
class ExternalLink:
    """One link of the footer."""

    title: str
    url: str


def default_path() -> Path:
    """The file shipped in ``policy_search/data/``."""
    return Path(str(resources.files("policy_search").joinpath("data", FILE_NAME)))


def read_external_links(path: str | Path | None = None) -> tuple[ExternalLink, ...]:
    """The links of ``path`` (default: the shipped file), checked.

    >>> [link.title for link in read_external_links()][0]
    '国务院政策文件库'
    """
    path = Path(path) if path is not None else default_path()
    hint = f"edit {path}: {{\"links\": [{{\"title\": \"…\", \"url\": \"https://…\"}}]}} (its _about says more)"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(f"cannot read the external links file {path}: {exc.strerror}",
                                 hint=hint) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigurationError(f"the external links file {path} is not JSON: {exc}", hint=hint) from None
    entries = data.get("links") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ConfigurationError(f"the external links file {path} has no list 'links'", hint=hint)
    if len(entries) > MAX_LINKS:
        raise ConfigurationError(f"the external links file {path} has {len(entries)} links; "
                                 f"the footer shows at most {MAX_LINKS}", hint=hint)
    return tuple(_checked(entry, number, path, hint) for number, entry in enumerate(entries, 1))


def _checked(entry, number: int, path: Path, hint: str) -> ExternalLink:
    where = f"link {number} of {path}"
    if not isinstance(entry, dict):
        raise ConfigurationError(f"{where} is not an object with a title and a url", hint=hint)
    title, url = entry.get("title"), entry.get("url")
    if not isinstance(title, str) or not title.strip():
        raise ConfigurationError(f"{where} has no title", hint=hint)
    title = title.strip()
    if len(title) > MAX_TITLE_CHARS or any(unicodedata.category(c)[0] in "CZ" and c != " " for c in title):
        raise ConfigurationError(f"{where}: the title {title[:40]!r} is not one line of at most "
                                 f"{MAX_TITLE_CHARS} characters", hint=hint)
    checked = public_http_url(url) if isinstance(url, str) else None
    if checked is None:
        raise ConfigurationError(f"{where} ({title}): {str(url)[:80]!r} is not an http(s) address",
                                 hint=hint)
    return ExternalLink(title=title, url=checked)
