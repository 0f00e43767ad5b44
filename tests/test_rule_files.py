"""Rule files: a folder of edited copies (``POLICY_SEARCH_RULES_DIR``), read again when they change,
and a running server that follows edited rules and catalog changes without a restart."""
from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.parse

import pytest
from click.testing import CliRunner

from helpers import serving, write_policy
from policy_search import rules
from policy_search.cli import main
from policy_search.settings import setting_env
from policy_search.text.analysis import synonyms
from policy_search.vocabulary import industry_names, topic_names

RULES_ENV = setting_env("rules_dir")
NEW_TOPIC = "专精特新"
CLI = [sys.executable, "-m", "policy_search.cli"]


@pytest.fixture
def rules_copy(tmp_path, monkeypatch):
    """A folder with a copy of the shipped topics.json, named by the setting, and nothing kept
    from earlier reads (before and after)."""
    folder = tmp_path / "rules"
    folder.mkdir()
    shutil.copy(rules.PACKAGED_DIR / "topics.json", folder / "topics.json")
    monkeypatch.setenv(RULES_ENV, str(folder))
    rules.forget()
    yield folder
    rules.forget()


def add_topic(folder, name: str = NEW_TOPIC) -> None:
    path = folder / "topics.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["topics"][name] = {"keywords": {name: 3}, "strong": [name]}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def test_the_rules_folder_replaces_the_files_it_has_and_the_package_gives_the_rest(rules_copy):
    assert rules.rule_path("topics.json") == rules_copy / "topics.json"
    assert rules.rule_path("industries.json") == rules.PACKAGED_DIR / "industries.json"
    add_topic(rules_copy)
    rules.forget()
    assert topic_names()[-1] == NEW_TOPIC
    assert industry_names()[0] == "不限行业"  # from the package


def test_an_edited_rule_file_is_read_again_after_the_check_interval(rules_copy, monkeypatch):
    monkeypatch.setattr(rules, "CHECK_SECONDS", 0.3)
    before = topic_names()
    assert NEW_TOPIC not in before
    add_topic(rules_copy)
    assert topic_names() == before  # within the interval the file is not looked at
    time.sleep(0.35)
    assert topic_names() == (*before, NEW_TOPIC)


def test_a_broken_edit_keeps_the_rules_read_before(rules_copy, monkeypatch):
    monkeypatch.setattr(rules, "CHECK_SECONDS", 0.0)
    add_topic(rules_copy)
    good = topic_names()
    (rules_copy / "topics.json").write_text('{"topics": {"半截', encoding="utf-8")  # saved half-way
    assert topic_names() == good
    (rules_copy / "topics.json").write_text('{"topics": {"只剩一个": {"keywords": {}}}}', encoding="utf-8")
    assert topic_names() == ("只剩一个",)


def test_synonyms_follow_an_edited_list(rules_copy, monkeypatch):
    monkeypatch.setattr(rules, "CHECK_SECONDS", 0.0)
    shutil.copy(rules.PACKAGED_DIR / "synonyms.txt", rules_copy / "synonyms.txt")
    assert "纾困" not in synonyms("专精特新")
    with open(rules_copy / "synonyms.txt", "a", encoding="utf-8") as handle:
        handle.write("\n专精特新 纾困\n")
    assert "纾困" in synonyms("专精特新")


def test_a_rules_folder_that_is_not_one_is_an_error_with_a_hint(tmp_path, monkeypatch):
    monkeypatch.setenv(RULES_ENV, str(tmp_path / "missing"))
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path / "var"), "stats"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "missing is not a folder" in result.output and "Hint:" in result.output


# --- a running server --------------------------------------------------------------------------


class Client:
    """Plain HTTP requests to a running server, redirects not followed."""

    def __init__(self, port: int):
        self.port = port

    def get(self, path: str) -> tuple[int, dict, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("GET", path)
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()

    def search(self, **params) -> tuple[int, dict]:
        status, _, body = self.get("/api/search?" + urllib.parse.urlencode(params))
        return status, json.loads(body)

    def until(self, check, seconds: float = 10.0):
        """Ask until ``check()`` gives something true; returns it (fails after ``seconds``)."""
        deadline = time.monotonic() + seconds
        while True:
            found = check()
            if found or time.monotonic() > deadline:
                assert found, f"not seen within {seconds} s"
                return found
            time.sleep(0.1)


def cli(data_dir, env, *args) -> subprocess.CompletedProcess:
    result = subprocess.run([*CLI, "--data-dir", str(data_dir), *map(str, args)], capture_output=True,
                            text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_a_running_server_follows_edited_rules_and_catalog_changes(corpus_copy, tmp_path):
    folder = tmp_path / "rules"
    folder.mkdir()
    shutil.copy(rules.PACKAGED_DIR / "topics.json", folder / "topics.json")
    env = {**os.environ, RULES_ENV: str(folder)}
    with serving(corpus_copy, threads=2, extra=("--no-warm",), env={RULES_ENV: str(folder)}) as server:
        client = Client(server.port)
        status, answer = client.search(topic=NEW_TOPIC)
        assert status == 400 and answer["error"]["parameter"] == "topic"

        # a topic added to the rules: taken within seconds, no restart
        add_topic(folder)
        client.until(lambda: client.search(topic=NEW_TOPIC)[0] == 200)
        assert client.search(topic=NEW_TOPIC)[1]["total"] == 0  # nothing is tagged with it yet
        openapi = json.loads(client.get("/api/openapi.json")[2])
        match = next(p for p in openapi["paths"]["/api/match"]["get"]["parameters"] if p["name"] == "topic")
        assert NEW_TOPIC in match["schema"]["enum"]
        assert client.get("/search?" + urllib.parse.urlencode({"topic": NEW_TOPIC}))[0] == 200

        retagged = cli(corpus_copy, env, "retag", "--all")  # with the same rules folder
        assert re.search(r"[1-9]\d* changed", retagged.stdout), retagged.stdout
        tagged = client.until(lambda: client.search(topic=NEW_TOPIC)[1]["hits"])
        assert all(NEW_TOPIC in hit["topics"] for hit in tagged)

        # a removal while it runs: the link answers 410 at once
        gone = tagged[0]["id"]
        assert client.get(f"/p/{gone}")[0] == 200
        cli(corpus_copy, env, "remove", gone)
        assert client.get(f"/p/{gone}")[0] == 410
        assert gone not in [hit["id"] for hit in client.search(topic=NEW_TOPIC)[1]["hits"]]

        # an ingest while it runs, then a corrected 文号: the old id redirects to the new one
        batch = tmp_path / "batch"
        write_policy(batch, "n.txt", "峄城区关于专精特新企业奖励的通知（示例）\n峄政发〔2020〕41号\n对专精特新企业给予奖励。")
        added = json.loads(cli(corpus_copy, env, "ingest", "--json", batch).stdout)["added_ids"]
        assert client.search(q="专精特新企业奖励")[1]["hits"][0]["id"] == added[0]
        write_policy(batch, "n.txt", "峄城区关于专精特新企业奖励的通知（示例）\n峄政发〔2020〕42号\n对专精特新企业给予奖励。")
        renamed = json.loads(cli(corpus_copy, env, "ingest", "--json", batch).stdout)["added_ids"]
        assert renamed and renamed != added
        status, headers, _ = client.get(f"/p/{added[0]}")
        assert status == 301 and headers["Location"].endswith(f"/p/{renamed[0]}")

        # a search saved for a poster while it runs: its short link opens at once
        made = cli(corpus_copy, env, "qr", "--search", "稳岗", "-o", tmp_path / "poster.svg",
                   "--base-url", "https://zc.example.cn").stdout
        saved = re.search(r"/s/([A-Za-z0-9_-]+)", made).group(1)
        status, headers, _ = client.get(f"/s/{saved}")
        assert status == 302 and "q=" in headers["Location"]

        # a broken edit of the rules: the server keeps the rules it had, and answers
        (folder / "topics.json").write_text('{"topics": ', encoding="utf-8")
        time.sleep(rules.CHECK_SECONDS + 0.3)
        assert client.search(topic=NEW_TOPIC)[0] == 200
