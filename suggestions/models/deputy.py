"""deputy models"""

__all__: list[str] = []
