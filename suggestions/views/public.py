"""Public pages for constituents: submit an opinion, the receipt, tracking, rating."""


def _todo(request, **kwargs):
    raise NotImplementedError


submit_for_station = submit_for_deputy = receipt = track = rate = _todo
