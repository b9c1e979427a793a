"""Re-encrypt constituents' names and phones with the first of ``LIAISON_FIELD_KEYS`` and
recompute the phone index with ``LIAISON_HMAC_KEY`` (liaison/crypto.py).

Key rotation: put the new key first in ``LIAISON_FIELD_KEYS`` (keeping the old one after
it), restart, run this, then remove the old key. After changing ``LIAISON_HMAC_KEY``,
run it too, or searches by phone find nothing written before the change.

Safe to run on a live site and to run again: rows are read and written back a batch at
a time, each batch in its own transaction.
"""

import time

from django.core.management.base import BaseCommand
from django.db import transaction

from suggestions.models import ReceptionMatter, Suggestion


class Command(BaseCommand):
    help = (
        "Re-encrypt constituents' names and phones with the newest key and recompute the "
        "phone index (after a key rotation or a new LIAISON_HMAC_KEY)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=1000)

    def handle(self, *args, batch_size: int, **options):
        for model in (Suggestion, ReceptionMatter):
            started, done, last = time.monotonic(), 0, 0
            while True:
                with transaction.atomic():
                    rows = list(
                        model.objects.select_for_update()
                        .filter(pk__gt=last)
                        .order_by("pk")
                        .only("pk", "name", "phone")[:batch_size]
                    )
                    if not rows:
                        break
                    # bulk_update writes the plain values encrypted with the first key
                    # and the phone index with them (liaison.crypto.PhoneIndexQuerySet).
                    model.objects.bulk_update(rows, ["name", "phone"])
                done += len(rows)
                last = rows[-1].pk
            self.stdout.write(
                f"{model._meta.verbose_name_plural}: {done} rows in "
                f"{time.monotonic() - started:.1f} s."
            )
