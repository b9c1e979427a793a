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
    # The deputy's own pages.
    path("deputy/duties/", views.my_duties, name="my_duties"),
    path(
        "deputy/duties/<int:duty_id>/attendance/",
        views.duty_attendance,
        name="duty_attendance",
    ),
    path("deputy/duties/<int:duty_id>/swap/", views.duty_swap, name="duty_swap"),
    path("deputy/swaps/<int:swap_id>/", views.swap_decide, name="swap_decide"),
    path("deputy/points/", views.my_points, name="my_points"),
    path("deputy/report/<int:year>/", views.my_report, name="my_report"),
    # Evidence files and annual reports: the deputy's own, or those of the office's region.
    path(
        "points/entries/<int:entry_id>/evidence/",
        views.points_evidence,
        name="points_evidence",
    ),
    path(
        "reports/deputies/<int:deputy_id>/<int:year>/",
        views.deputy_report,
        name="deputy_report",
    ),
]
