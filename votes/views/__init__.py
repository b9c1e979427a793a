"""The ballot pages: ``public`` (no account: cycles, results, proposals, progress) and
``deputy`` (the deputy's ballots, the secret ballot form, proposals, inspections)."""
