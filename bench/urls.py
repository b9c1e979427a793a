"""The production URLconf with the two bench-only baseline views in front of it."""

from django.urls import path

from bench import views
from liaison.urls import urlpatterns as liaison_urlpatterns

urlpatterns = [
    path("_bench/insert/", views.bare_insert, name="bench_insert"),
    path("_bench/hello/", views.bare_hello, name="bench_hello"),
    *liaison_urlpatterns,
]
