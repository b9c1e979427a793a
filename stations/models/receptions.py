"""receptions models"""

__all__: list[str] = []
