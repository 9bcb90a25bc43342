"""The security tests reuse the files API's fixtures (`upload`)."""

from tests.medialib.conftest import upload  # noqa: F401
