"""Usage figures of the media library: bytes served by `/f/` per day, bytes stored."""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from medialib.models import AssetVersion, BandwidthDay


def bandwidth_record(*, nbytes: int) -> None:
    """Add `nbytes` to today's served bytes (one conditional UPDATE; a row per day)."""
    if nbytes <= 0:
        return
    today = timezone.now().date()
    if BandwidthDay.objects.filter(day=today).update(bytes=F("bytes") + nbytes):
        return
    try:
        with transaction.atomic():
            BandwidthDay.objects.create(day=today, bytes=nbytes)
    except IntegrityError:
        # Another request made today's row first.
        BandwidthDay.objects.filter(day=today).update(bytes=F("bytes") + nbytes)


def bandwidth_bytes(*, start: date, end: date) -> int:
    """Bytes served from `start` to `end`, both days included."""
    total = BandwidthDay.objects.filter(day__gte=start, day__lte=end).aggregate(n=Sum("bytes"))
    return total["n"] or 0


def storage_bytes() -> int:
    """Bytes stored by every version of every file (current and older)."""
    return AssetVersion.objects.aggregate(n=Sum("size"))["n"] or 0
