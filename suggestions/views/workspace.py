"""Workspaces: department handlers' items, and opinions addressed to a deputy."""


def _todo(request, **kwargs):
    raise NotImplementedError


department_list = department_item = deputy_list = deputy_item = _todo
