"""The CI audit step: fails on a vulnerability, says plainly when it could not audit."""

from __future__ import annotations

import json

from scripts.audit import judge


def report(*dependencies: dict) -> str:
    return json.dumps({"dependencies": list(dependencies), "fixes": []})


def test_a_known_vulnerability_fails():
    status, message = judge(
        1,
        report(
            {
                "name": "django",
                "version": "5.2.0",
                "vulns": [{"id": "PYSEC-1", "fix_versions": ["5.2.1"]}],
            },
            {"name": "celery", "version": "5.5.0", "vulns": []},
        ),
    )

    assert status == 1
    assert "django 5.2.0: PYSEC-1 (fixed in 5.2.1)" in message


def test_an_unreachable_database_is_reported_not_passed_off_as_clean():
    skipped = "Dependency not found on PyPI and could not be audited: amqp (5.4.2)"
    status, message = judge(0, report({"name": "amqp", "skip_reason": skipped}))

    assert status == 0
    assert message.startswith("warning:") and "none of 1" in message


def test_pip_audit_failing_without_a_report_degrades_with_a_warning():
    status, message = judge(1, "")

    assert status == 0
    assert "NOT audited" in message


def test_a_clean_report_passes():
    status, message = judge(0, report({"name": "celery", "version": "5.5.0", "vulns": []}))

    assert (status, message) == (0, "pip-audit: no known vulnerabilities in 1 packages")
