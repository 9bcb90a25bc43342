"""Where a tagged upload's time goes (figure 2): the median time of each step, in process.

Plain and tagged uploads of figure 2's 1024x768 JPEG, interleaved, through Django's test
client against a fresh database (PostgreSQL when DATABASE_URL names one, as `make bench`
makes it), with the offline tagger serving google-auto-tagging. Each step is timed from
the start of the request by wrapping the function that ends it, in this process only:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/test .venv/bin/python \
        benchmarks/timeline_tagged_upload.py [--uploads 40] [--instant-tagger]

It prints one line per kind of upload: {step: median ms}, a step ending in ">" being
the moment that function was entered; then the wall time and thread CPU of the tagger,
its model and its face search. With --instant-tagger the tagger answers at once with
INSTANT_LABELS: what is left is what a tagged upload costs besides the tagger (its run,
units, claim and finish, and its tags in the response).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent

# (module, owner within it or "", function, step name, timed on entry too)
STEPS = (
    ("medialib.services.uploads", "", "content_prepare", "inspected", True),
    ("extensions.services.runs", "ExtensionRuns", "content_ready", "provider started", False),
    ("medialib.services.uploads", "", "content_store", "stored", False),
    ("extensions.services.runs", "ExtensionRuns", "in_transaction", "rows written", False),
    ("extensions.services.runs", "ExtensionRuns", "after_commit", "committed", True),
    ("extensions.services.runs", "", "_run_claim_in_hand", "claimed", False),
    ("extensions.services.runs", "", "_run_finish_success", "finished", False),
)

# Two labels, as many as a tagger that found little would give.
INSTANT_LABELS = (("Cat", 90.0), ("Red", 60.0))


class Timeline:
    def __init__(self) -> None:
        self.started = 0.0
        self.marks: dict[str, float] = {}
        # {function: [(wall ms, CPU ms of the thread that ran it)]}
        self.calls: dict[str, list[tuple[float, float]]] = {}

    def mark(self, step: str) -> None:
        self.marks.setdefault(step, (time.perf_counter() - self.started) * 1000)

    def wrap(self, function: Callable, step: str, on_entry: bool) -> Callable:
        def timed(*args, **kwargs):
            if on_entry:
                self.mark(step + ">")
            result = function(*args, **kwargs)
            self.mark(step)
            return result

        return timed

    def wrap_cost(self, function: Callable, name: str) -> Callable:
        calls = self.calls.setdefault(name, [])

        def timed(*args, **kwargs):
            wall, cpu = time.perf_counter(), time.thread_time()
            result = function(*args, **kwargs)
            calls.append(((time.perf_counter() - wall) * 1000, (time.thread_time() - cpu) * 1000))
            return result

        return timed


def step_owner(module_name: str, owner_name: str) -> object:
    """The module, or the class within it, that holds a step's function."""
    module = importlib.import_module(module_name)
    return getattr(module, owner_name) if owner_name else module


def instrument(timeline: Timeline, *, instant_tagger: bool) -> None:
    from extensions.providers import local_tagging
    from extensions.providers.base import Label, TaggingResult

    for module_name, owner_name, name, step, on_entry in STEPS:
        owner = step_owner(module_name, owner_name)
        setattr(owner, name, timeline.wrap(getattr(owner, name), step, on_entry))
    # The tagger as a step, and its cost with the model's (in its thread) and the face
    # search's (in one of its own): thread CPU, so the request's thread does not count.
    tagger = local_tagging.LocalAutoTagger
    if instant_tagger:
        labels = [Label(name, confidence) for name, confidence in INSTANT_LABELS]
        tagger.run = lambda self, image, mime, params: TaggingResult(labels=labels)
    tagger.run = timeline.wrap_cost(timeline.wrap(tagger.run, "tagger", on_entry=True), "tagger")
    for name in ("_classify", "_face_confidence"):
        setattr(local_tagging, name, timeline.wrap_cost(getattr(local_tagging, name), name))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--uploads", type=int, default=40, help="of each kind, after 5 warm-ups")
    parser.add_argument(
        "--instant-tagger",
        action="store_true",
        help="the tagger answers at once: the cost of a tagged upload besides the tagger",
    )
    args = parser.parse_args()
    sys.path[:0] = [str(HERE), str(HERE.parent)]
    from run import auth_header, bench_database_url, server_env  # a sibling module

    var_dir = Path(tempfile.mkdtemp(prefix="medialib-timeline-"))
    database_url, drop_database = bench_database_url(var_dir)
    os.environ.update(server_env(var_dir, database_url))
    import django

    django.setup()
    from bench_offline_providers import photo_like
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.db import connections
    from django.test import Client

    from medialib.services import api_key_create

    try:
        call_command("migrate", verbosity=0)
        client = Client(headers=auth_header(api_key_create(name="timeline").private_key))
        timeline = Timeline()
        instrument(timeline, instant_tagger=args.instant_tagger)
        content = photo_like()
        extensions = json.dumps(
            [{"name": "google-auto-tagging", "maxTags": 10, "minConfidence": 50}]
        )
        kinds = {"plain": {}, "tagged": {"extensions": extensions}}
        marks: dict[str, list[dict[str, float]]] = {kind: [] for kind in kinds}
        warm_up = 5
        for index in range(warm_up + args.uploads):
            for kind, fields in kinds.items():
                upload = SimpleUploadedFile("timeline.jpg", content, "image/jpeg")
                timeline.marks, timeline.started = {}, time.perf_counter()
                response = client.post(
                    "/api/v1/files/upload", {"fileName": "timeline.jpg", "file": upload, **fields}
                )
                timeline.mark("response")
                assert response.status_code == 200, response.content[:500]
                if index >= warm_up:
                    marks[kind].append(timeline.marks)
        for kind, runs in marks.items():
            # A run the budget sent to a worker has no "finished": a median of those that do.
            medians = {
                step: round(statistics.median(run[step] for run in runs if step in run), 1)
                for step in {step for run in runs for step in run}
            }
            medians = dict(sorted(medians.items(), key=lambda item: item[1]))
            print(f"{kind}: {medians}")
        for name, calls in timeline.calls.items():
            if len(calls) <= warm_up:  # the model and faces of an instant tagger
                continue
            walls, cpus = zip(*calls[warm_up:], strict=True)
            print(
                f"{name}: {statistics.median(walls):.1f} ms wall, "
                f"{statistics.median(cpus):.1f} ms CPU of its thread (medians)"
            )
    finally:
        connections.close_all()
        drop_database()


if __name__ == "__main__":
    main()
