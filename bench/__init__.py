"""`make bench`: Liaison measured against the bare cost of its stack, in one run."""
