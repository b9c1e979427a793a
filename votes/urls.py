from django.urls import path

from votes import views

app_name = "votes"

urlpatterns: list = []
