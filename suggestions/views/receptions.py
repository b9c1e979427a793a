"""The reception ledger for deputies (being written)."""


def _todo(request, **kwargs):
    raise NotImplementedError


reception_list = reception_new = reception_detail = _todo
