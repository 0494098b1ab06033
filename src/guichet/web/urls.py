from django.urls import path

from guichet.web import views

app_name = "web"
urlpatterns = [
    path("", views.demo_home, name="demo_home"),
    path("fr/", views.demo_home, {"language": "fr"}, name="demo_home_fr"),
    path("demo/benefits/", views.demo_benefits, name="demo_benefits"),
    path("fr/demo/benefits/", views.demo_benefits, {"language": "fr"}, name="demo_benefits_fr"),
    path("healthz", views.healthz, name="healthz"),
    path("widget.js", views.widget_script, name="widget_script"),
    path("widget-strings.json", views.widget_strings, name="widget_strings"),
]

