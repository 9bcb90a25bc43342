"""The benchmark harness: figures judged as same-run ratios, and the results file's shape."""

from __future__ import annotations

import json
import os
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from rest_framework.test import APIClient

from benchmarks.harness import absolute_figure, percentile, ratio_figure, write_results


def test_it_judges_a_ratio_against_its_target():
    fast = ratio_figure("tagged_upload_p95_vs_plain", 140.0, 100.0, "ms", "<= 1.5")
    slow = ratio_figure("tagged_upload_p95_vs_plain", 160.0, 100.0, "ms", "<= 1.5")
    assert (fast.ratio, fast.passed) == (1.4, True)
    assert (slow.ratio, slow.passed) == (1.6, False)
    assert fast.line().startswith("PASS ") and slow.line().startswith("MISS ")
    assert ratio_figure("upload_vs_bare_view", 50, 100, "req/s", ">= 0.6").passed is False


def test_it_marks_figures_without_a_target_informational():
    info = absolute_figure("mobilenet_ms_per_image", 7.0, "ms", None)
    assert info.passed is None and info.line().startswith("INFO ")
    assert absolute_figure("upload_500mb_rss_mb", 64.0, "MB", "< 64").passed is False


@pytest.mark.parametrize(("fraction", "expected"), [(0.5, 50), (0.95, 95), (1.0, 100)])
def test_it_takes_nearest_rank_percentiles(fraction, expected):
    assert percentile(list(range(100, 0, -1)), fraction) == expected


def test_it_writes_one_object_per_figure_with_the_issue_keys(tmp_path):
    path = tmp_path / "bench" / "results.json"
    write_results([ratio_figure("search_p95_vs_pk_lookup", 30, 10, "ms", "<= 3")], path)
    (written,) = json.loads(path.read_text())
    assert {"name", "value", "unit", "baseline", "ratio", "target", "passed"} <= written.keys()
    assert written["passed"] is True


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="benchmarks.bench_urls")
def test_the_bare_upload_baseline_stores_the_bytes_as_sent():
    response = Client().post(
        "/bench/bare-upload", {"file": SimpleUploadedFile("a.jpg", b"\xff\xd8 bytes")}
    )
    assert response.status_code == 200
    with storages["default"].open(response.json()["name"]) as stored:
        assert stored.read() == b"\xff\xd8 bytes"


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="benchmarks.bench_urls")
def test_the_framework_upload_stores_the_bytes_behind_the_api_s_key_check(api_client):
    def post(client):
        return client.post(
            "/bench/framework-upload",
            {"file": SimpleUploadedFile("a.jpg", b"\xff\xd8 bytes")},
            format="multipart",
        )

    assert post(APIClient()).status_code == 401
    response = post(api_client)
    assert response.status_code == 200
    with storages["default"].open(response.json()["name"]) as stored:
        assert stored.read() == b"\xff\xd8 bytes"


def test_every_step_the_tagged_upload_timeline_times_exists():
    from benchmarks.timeline_tagged_upload import STEPS, step_owner

    for module_name, owner_name, name, _, _ in STEPS:
        owner = step_owner(module_name, owner_name)
        assert callable(getattr(owner, name, None)), f"{module_name}.{owner_name}.{name}"


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="the benchmarks' own database is made on PostgreSQL only",
)
def test_a_second_benchmark_run_on_the_server_is_refused_rather_than_dropping_the_first(
    tmp_path, monkeypatch
):
    import psycopg

    from benchmarks.run import bench_database_url

    configured = urlsplit(os.environ["DATABASE_URL"])
    monkeypatch.setenv("DATABASE_URL", urlunsplit(configured._replace(path="/guard_check")))
    url, drop = bench_database_url(tmp_path)
    try:
        with pytest.raises(SystemExit, match="Another benchmark run is using"):
            bench_database_url(tmp_path)
        psycopg.connect(url).close()  # the first run's database is still there
    finally:
        drop()
    url, drop = bench_database_url(tmp_path)  # free again once the first run has ended
    drop()
    with pytest.raises(psycopg.OperationalError, match="does not exist"):
        psycopg.connect(url)
