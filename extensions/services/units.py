"""Extension units: the account's balance, reservations, refunds and top-ups, all in the ledger."""

from __future__ import annotations

import functools
import logging

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from core.db import column_sql
from core.exceptions import BadRequest
from extensions.models import ExtensionRun, UnitAccount, UnitLedgerEntry

logger = logging.getLogger(__name__)


INSUFFICIENT_UNITS = "insufficient_units"


def unit_account_get() -> UnitAccount:
    """The unit account, created with its initial grant on first use."""
    account = UnitAccount.objects.filter(name=UnitAccount.DEFAULT_NAME).first()
    if account is not None:
        return account
    with transaction.atomic():
        account, created = UnitAccount.objects.get_or_create(
            name=UnitAccount.DEFAULT_NAME, defaults={"balance": settings.EXTENSIONS_INITIAL_UNITS}
        )
        if created:
            UnitLedgerEntry.objects.create(
                account=account,
                delta=account.balance,
                reason=UnitLedgerEntry.Reason.GRANT,
                note="Initial grant",
                balance_after=account.balance,
            )
    return account


def units_change(
    *,
    account: UnitAccount,
    delta: int,
    reason: str,
    run: ExtensionRun | None = None,
    note: str = "",
    created_by=None,
    savepoint: bool = True,
) -> int | None:
    """Apply `delta` and append its ledger entry atomically; None if it would go negative.

    The conditional UPDATE is the reservation: two requests cannot both spend the last units.
    `savepoint=False` inside a transaction that an error here must fail anyway saves the
    savepoint's two statements (a caller that goes on after an error needs it).
    """
    updated_at = connection.ops.adapt_datetimefield_value(timezone.now())
    with transaction.atomic(savepoint=savepoint):
        with connection.cursor() as cursor:
            cursor.execute(
                _balance_change_sql(connection.vendor), [delta, updated_at, account.pk, delta]
            )
            changed = cursor.fetchone()
        if changed is None:
            return None
        # The balance our UPDATE produced: its row lock is held until commit.
        (balance,) = changed
        UnitLedgerEntry.objects.create(
            account=account,
            run=run,
            delta=delta,
            reason=reason,
            note=note,
            balance_after=balance,
            created_by=created_by,
        )
    return balance


@functools.cache
def _balance_change_sql(vendor: str) -> str:
    """UPDATE ... RETURNING the new balance (PostgreSQL, SQLite 3.35+): one statement
    where the ORM's update() and a read of the balance back took two on every
    reservation of a tagged upload. It matches no row when the balance would go below
    zero (the `unit_balance_not_negative` constraint, so a top-up always matches)."""
    quote = connection.ops.quote_name
    balance = column_sql(UnitAccount, "balance")
    # Only the model's own table and column names, quoted; every value is a parameter.
    return (
        f"UPDATE {quote(UnitAccount._meta.db_table)} "  # noqa: S608
        f"SET {balance} = {balance} + %s, {column_sql(UnitAccount, 'updated_at')} = %s "
        f"WHERE {quote(UnitAccount._meta.pk.column)} = %s AND {balance} + %s >= 0 "
        f"RETURNING {balance}"
    )


def units_refund(*, run: ExtensionRun) -> None:
    if not run.units_reserved:
        return
    try:
        units_change(
            account=unit_account_get(),
            delta=run.units_reserved,
            reason=UnitLedgerEntry.Reason.REFUND,
            run=run,
        )
    except IntegrityError:
        # The ledger allows one refund per run; this one was refunded already.
        logger.warning("Run %s was already refunded", run.pk)


def unit_account_topup(*, amount: int, note: str, created_by=None) -> int:
    """Add `amount` (> 0) units to the account; return the new balance."""
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise BadRequest("A top-up must be a positive whole number of units.")
    balance = units_change(
        account=unit_account_get(),
        delta=amount,
        reason=UnitLedgerEntry.Reason.TOPUP,
        note=note[:255],
        created_by=created_by,
    )
    assert balance is not None  # an increase cannot fail the balance check
    return balance
