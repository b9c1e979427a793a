from django.contrib import admin

from liaison.admin import ScopedAdmin
from suggestions.models import Suggestion


@admin.register(Suggestion)
class SuggestionAdmin(ScopedAdmin):
    pass
