from django.urls import path, re_path

from stations import views

app_name = "stations"

CODE = r"(?P<code>[A-Za-z0-9]{1,12})"

urlpatterns = [
    path("", views.home, name="home"),
    path("stations/<str:code>/", views.station_detail, name="station"),
    re_path(rf"^stations/{CODE}/qr\.(?P<fmt>svg|png)$", views.station_qr, name="station_qr"),
    path("stations/<str:code>/poster.svg", views.station_poster, name="station_poster"),
    path("deputies/<str:code>/", views.deputy_detail, name="deputy"),
    re_path(rf"^deputies/{CODE}/qr\.(?P<fmt>svg|png)$", views.deputy_qr, name="deputy_qr"),
]
