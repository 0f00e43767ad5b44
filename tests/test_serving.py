"""Serving under load: several processes on one port, reading ahead, ordinary searches in turn."""
from __future__ import annotations

import json
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

from helpers import serving
from policy_search import open_service
from policy_search.storage.backends import local
from policy_search.search.service import Turns

QUESTIONS = ["复工复产", "稳岗返还 条件", "小微企业 房租减免", "社会保险费 减免", "疫情防控"]


def children_of(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def ended(pid: int) -> bool:
    status = Path(f"/proc/{pid}/status")
    try:
        return any(line.startswith("State:") and "Z" in line for line in status.read_text().splitlines())
    except OSError:
        return True


def test_two_processes_answer_on_one_port_and_end_with_the_server(corpus_data_dir):
    with serving(corpus_data_dir, threads=2, extra=("--processes", "2", "--no-warm")) as server:
        children = children_of(server.process.pid)
        assert len(children) == 1
        for question in QUESTIONS * 4:
            url = server.url + "/api/search?" + urllib.parse.urlencode({"q": question})
            with urllib.request.urlopen(url, timeout=10) as response:
                assert response.status == 200 and "hits" in json.load(response)
    deadline = time.monotonic() + 10
    while not all(ended(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert all(ended(pid) for pid in children)


def test_reading_ahead_changes_no_answer(corpus_data_dir, monkeypatch):
    monkeypatch.setattr(local, "WARM_MIN_FREQUENCY", 2)  # the corpus is small: read most terms
    with open_service(corpus_data_dir) as cold, open_service(corpus_data_dir) as warm:
        read = warm.warm()
        assert read["terms"] > 0 and read["folded_documents"] == cold.stats()["indexed"]
        for question in QUESTIONS:
            assert warm.search(question).to_dict() == cold.search(question).to_dict()


def test_turns_go_first_come_first_served():
    turns = Turns(1)
    turns.acquire()
    served: list[str] = []

    def wait_turn(name: str) -> None:
        turns.acquire()
        served.append(name)
        turns.release()

    waiters = []
    for name in ("first", "second"):
        waiters.append(threading.Thread(target=wait_turn, args=(name,)))
        waiters[-1].start()
        time.sleep(0.05)  # queued in this order
    turns.release()
    turns.acquire()  # the thread letting go asks again at once: it comes after those waiting
    served.append("again")
    turns.release()
    for waiter in waiters:
        waiter.join(5)
    assert served == ["first", "second", "again"]


def test_threads_searching_at_once_get_the_answers_of_one_at_a_time(corpus_service):
    expected = {q: corpus_service.search(q).to_dict() for q in QUESTIONS}
    found: dict[str, list] = {q: [] for q in QUESTIONS}

    def ask() -> None:
        for question in QUESTIONS * 3:
            found[question].append(corpus_service.search(question).to_dict())

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert all(answer == expected[q] for q, answers in found.items() for answer in answers)
    assert all(len(answers) == 12 for answers in found.values())
