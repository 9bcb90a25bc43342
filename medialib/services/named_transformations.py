"""Named transformations: aliases for transformation strings, used in URLs as `n-<name>`."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from core.exceptions import BadRequest, Conflict
from medialib import transformations
from medialib.models import NamedTransformation


def clean_named_transformation_name(name: object) -> str:
    if not isinstance(name, str) or not transformations.NAME_PATTERN.match(name):
        raise BadRequest(
            "name must be 1 to 100 letters, digits or underscores.", reason="INVALID_NAME"
        )
    if name in transformations.BUILT_IN_NAMED:
        raise Conflict(f"'{name}' is a built-in named transformation.")
    return name


def clean_transformation_text(text: object, *, own_name: str | None = None) -> str:
    """A transformation string that parses (named ones it uses must exist)."""
    if not isinstance(text, str) or not text.strip():
        raise BadRequest("transformation must be a non-empty transformation string.")
    text = text.strip()
    if text.startswith("tr:"):
        text = text[3:]

    def lookup(name: str) -> str | None:
        if name == own_name:
            raise BadRequest("A named transformation cannot use itself.")
        return named_transformation_text(name)

    transformations.parse(text, named=lookup)
    return text


def named_transformation_text(name: str) -> str | None:
    """The transformation string of an enabled named transformation, or None."""
    return (
        NamedTransformation.objects.filter(name=name, enabled=True)
        .values_list("transformation", flat=True)
        .first()
    )


def named_transformation_create(
    *, name: object, transformation: object, enabled: bool = True
) -> NamedTransformation:
    clean_name = clean_named_transformation_name(name)
    text = clean_transformation_text(transformation, own_name=clean_name)
    try:
        with transaction.atomic():
            return NamedTransformation.objects.create(
                name=clean_name, transformation=text, enabled=enabled
            )
    except IntegrityError:
        raise Conflict(f"A named transformation called '{clean_name}' already exists.") from None


def named_transformation_update(
    *,
    named: NamedTransformation,
    name: object = None,
    transformation: object = None,
    enabled: bool | None = None,
) -> NamedTransformation:
    if name is not None:
        named.name = clean_named_transformation_name(name)
    if transformation is not None:
        named.transformation = clean_transformation_text(transformation, own_name=named.name)
    if enabled is not None:
        named.enabled = enabled
    try:
        with transaction.atomic():
            named.save()
    except IntegrityError:
        raise Conflict(f"A named transformation called '{named.name}' already exists.") from None
    return named


def named_transformation_delete(*, named: NamedTransformation) -> None:
    named.delete()
