from django.urls import path

from guichet.analytics import views

app_name = "analytics"
urlpatterns = [
    path("", views.report, name="report"),
    path("export.csv", views.export_csv, name="export"),
    path("survey/<str:token>/", views.survey, name="survey"),
]
