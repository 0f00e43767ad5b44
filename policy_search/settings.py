"""Settings, declared once as data: name, environment variable, default, help."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Setting:
    """One setting of the service."""

    name: str
    env: str
    default: str
    help: str


SETTINGS = (
    Setting("data_dir", "POLICY_SEARCH_DATA_DIR", "./var",
            "Directory holding everything the program writes: the index, the catalog, the lock."),
    Setting("base_url", "POLICY_SEARCH_BASE_URL", "",
            "Public address of the web service, used in permanent links and QR codes."),
    Setting("allowed_hosts", "POLICY_SEARCH_ALLOWED_HOSTS", "",
            "Host names (or host:port) the web service answers when no base URL is set, "
            "comma-separated; default: the address it listens on and localhost."),
    Setting("rules_dir", "POLICY_SEARCH_RULES_DIR", "",
            "A folder of edited rule files (topics.json, synonyms.txt ...) read instead of the ones shipped "
            "in policy_search/data/; a file it lacks comes from the package."),
    Setting("backend", "POLICY_SEARCH_BACKEND", "local",
            "Where the index lives: local (Whoosh in the data directory) or opensearch (a cluster)."),
    Setting("opensearch_url", "POLICY_SEARCH_OPENSEARCH_URL", "",
            "The OpenSearch nodes of the opensearch backend, comma-separated URLs."),
    Setting("opensearch_index", "POLICY_SEARCH_OPENSEARCH_INDEX", "policy-search",
            "The name (an alias) of the opensearch backend's index; its builds and meta index start with it."),
    Setting("home_region", "POLICY_SEARCH_HOME_REGION", "",
            "The district the service is run for, a name or 6-digit code (e.g. 370404 or 峄城区): the "
            "web's /match starts there and its home page lists 本地政策 first; booklet's default "
            "--applies-to. Empty: no home district."),
)


def setting_of(name: str) -> Setting:
    """The setting of a name."""
    for setting in SETTINGS:
        if setting.name == name:
            return setting
    raise KeyError(name)


def setting_default(name: str) -> str:
    """The value of a setting from the environment, else its default."""
    setting = setting_of(name)
    return os.environ.get(setting.env) or setting.default


def setting_env(name: str) -> str:
    """The environment variable of a setting."""
    return setting_of(name).env


def home_region(value: str | None = None):
    """The home district (a :class:`~policy_search.text.divisions.Division`): ``value``, else the
    ``POLICY_SEARCH_HOME_REGION`` setting; None when neither names one.

    A name or code that is no single division is a ConfigurationError naming the setting, so a
    typo stops ``serve`` and ``booklet`` at start rather than narrowing every page to nothing.

    >>> home_region("370404").name, home_region(" ")
    ('峄城区', None)
    >>> home_region("不存在区")
    Traceback (most recent call last):
    ...
    policy_search.errors.ConfigurationError: POLICY_SEARCH_HOME_REGION: unknown region '不存在区'
    """
    from policy_search.errors import ConfigurationError, QueryError
    from policy_search.text import divisions

    raw = (setting_default("home_region") if value is None else value).strip()
    if not raw:
        return None
    try:
        return divisions.resolve(raw)
    except QueryError as exc:
        raise ConfigurationError(f"{setting_env('home_region')}: {exc.message}",
                                 hint=f"{exc.hint}; or leave {setting_env('home_region')} empty "
                                      "for no home district") from None


def resolve_data_dir(value: str | os.PathLike | None = None) -> Path:
    """The data directory: the explicit value, else $POLICY_SEARCH_DATA_DIR, else ./var."""
    return Path(value if value else setting_default("data_dir")).expanduser()


@dataclass(frozen=True)
class DataPaths:
    """Where each thing lives inside the data directory."""

    root: Path

    @property
    def index_dir(self) -> Path:
        return self.root / "index"

    @property
    def catalog_file(self) -> Path:
        return self.root / "catalog.sqlite3"

    @property
    def lock_file(self) -> Path:
        return self.root / "ingest.lock"

    @property
    def published_dir(self) -> Path:
        """The download centre's booklets (``booklet --publish``), read by the web."""
        return self.root / "published"
