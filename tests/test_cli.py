"""The command line through click's CliRunner: exit codes, messages, JSON shapes."""
import json

import pytest
from click.testing import CliRunner

from policy_search.cli import main

from helpers import write_policy

NOTICE = "枣庄市人民政府关于稳岗返还的通知（示例）\n枣政发〔2020〕9号\n落实稳岗返还政策。\n枣庄市人民政府\n2020年3月5日"


@pytest.fixture
def run(data_dir):
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(main, ["--data-dir", str(data_dir), *args], catch_exceptions=False)
    return invoke


def test_search_without_index_says_what_to_do(run):
    result = run("search", "稳岗")
    assert result.exit_code == 1
    assert "Error: no index in" in result.output and "policy-search" in result.output and "ingest" in result.output
    assert "Traceback" not in result.output


def test_ingest_search_show_list_stats_remove(run, tmp_path):
    write_policy(tmp_path / "b", "a.txt", NOTICE)
    result = run("ingest", "--json", str(tmp_path / "b"))
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert {k: report[k] for k in ("added", "updated", "unchanged", "failed", "warnings")} == \
        {"added": 1, "updated": 0, "unchanged": 0, "failed": [], "warnings": []}

    hits = json.loads(run("search", "稳岗返还", "--json").output)
    assert hits["total"] == 1
    policy_id = hits["hits"][0]["id"]

    shown = json.loads(run("show", policy_id, "--json").output)
    assert shown["doc_number"] == "枣政发〔2020〕9号" and shown["text"].startswith("枣庄市")
    assert "文号: 枣政发〔2020〕9号" in run("show", policy_id).output

    listed = json.loads(run("list", "--json").output)
    assert [p["id"] for p in listed["policies"]] == [policy_id]

    stats = json.loads(run("stats", "--json").output)
    assert stats["policies"] == 1 and stats["formats"] == {"txt": 1}

    assert run("remove", policy_id).exit_code == 0
    assert json.loads(run("search", "稳岗返还", "--json").output)["total"] == 0
    assert "removed" in run("show", policy_id).output


def test_human_search_output_marks_words(run, tmp_path):
    write_policy(tmp_path / "b", "a.txt", NOTICE)
    run("ingest", str(tmp_path / "b"))
    output = run("search", "稳岗返还").output
    assert "【稳岗返还】" in output and "枣政发〔2020〕9号" in output


def test_ingest_with_a_bad_file_exits_1_and_names_it(run, tmp_path):
    write_policy(tmp_path / "b", "a.txt", NOTICE)
    (tmp_path / "b" / "broken.pdf").write_bytes(b"%PDF-1.4\n garbage")
    result = run("ingest", "--json", str(tmp_path / "b"))
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert report["added"] == 1
    assert [f["path"].endswith("broken.pdf") for f in report["failed"]] == [True]


def test_usage_errors_exit_2(run):
    assert run("ingest").exit_code == 2
    assert run("search", "x", "--level", "galactic").exit_code == 2


def test_unknown_id_is_one_line_with_hint(run, tmp_path):
    write_policy(tmp_path / "b", "a.txt", NOTICE)
    run("ingest", str(tmp_path / "b"))
    result = run("show", "nope")
    assert result.exit_code == 1
    assert "Error: no policy with id 'nope'" in result.output and "Hint:" in result.output


def test_missing_folder_is_a_clear_error(run, tmp_path):
    result = run("ingest", str(tmp_path / "missing"))
    assert result.exit_code == 1 and "no such file or folder" in result.output


def test_data_dir_from_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("POLICY_SEARCH_DATA_DIR", str(tmp_path / "envvar"))
    write_policy(tmp_path / "b", "a.txt", NOTICE)
    result = CliRunner().invoke(main, ["ingest", str(tmp_path / "b")])
    assert result.exit_code == 0
    assert (tmp_path / "envvar" / "catalog.sqlite3").exists()


def test_every_command_has_help():
    runner = CliRunner()
    for command in main.commands:
        result = runner.invoke(main, [command, "--help"])
        assert result.exit_code == 0 and "Usage:" in result.output


def test_corpus_search_from_cli(corpus_data_dir):
    result = CliRunner().invoke(main, ["--data-dir", str(corpus_data_dir), "search", "复工复产", "--json"])
    assert result.exit_code == 0
    assert json.loads(result.output)["total"] >= 3


def test_output_cut_short_by_a_pipe_is_not_an_error(tmp_path):
    """More than a pipe buffer of output, read one line: the rest goes nowhere, quietly."""
    import subprocess
    import sys

    from helpers import index_texts
    title = "峄城区人力资源和社会保障局关于公布第{}批享受稳岗返还和以工代训补贴企业名单的公示（示例）"
    texts = {f"p{i}.txt": title.format(i) + "\n企业名单。" for i in range(1200)}
    data_dir = index_texts(tmp_path / "docs", tmp_path / "var", texts)
    command = f"{sys.executable} -m policy_search.cli --data-dir '{data_dir}' list | head -n 1"
    result = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=120)
    assert result.stdout.count("\n") == 1
    assert "Error" not in result.stderr and "Traceback" not in result.stderr, result.stderr
