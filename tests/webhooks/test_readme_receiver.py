"""The README's webhook receiver runs as written against bodies this product signs."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from standardwebhooks.webhooks import WebhookVerificationError

from webhooks.signing import signature_headers

README = Path(__file__).resolve().parent.parent.parent / "README.md"
SECRET = "whsec_readme-test-secret"


def readme_receiver():
    text = README.read_text()
    match = re.search(r"<!-- webhook-receiver .*?-->\n```python\n(.*?)```", text, re.S)
    assert match, "the README's webhook receiver example is missing"
    code = match.group(1)
    assert len([line for line in code.splitlines() if line.strip()]) <= 9
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102
    return namespace["receive"]


def signed(payload: dict, secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(payload)
    headers = signature_headers(secret=secret, message_id="msg_1", sent_at=time.time(), body=body)
    return body.encode(), headers


def test_it_returns_the_file_object_of_a_success():
    file_object = {"fileId": "f" * 24, "url": "https://media.example.com/f/cat.png"}
    body, headers = signed({"service": "remove-bg", "status": "SUCCESS", "fileObject": file_object})

    assert readme_receiver()(body, headers, SECRET) == file_object


def test_it_raises_on_a_failure_and_on_a_forged_body():
    receive = readme_receiver()
    failure = {
        "service": "google-auto-tagging",
        "status": "FAILURE",
        "fileId": "f" * 24,
        "error": {"code": "unauthenticated", "message": "Bad key"},
    }
    with pytest.raises(RuntimeError, match="google-auto-tagging failed"):
        receive(*signed(failure), SECRET)
    with pytest.raises(WebhookVerificationError):
        receive(*signed(failure, secret="whsec_someone-else"), SECRET)
