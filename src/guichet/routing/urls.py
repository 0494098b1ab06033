from django.urls import path

from guichet.routing import views

app_name = "routing"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("live/", views.live, name="live"),
    path("agents/<int:agent_id>/teams/", views.agent_teams, name="agent_teams"),
    path("agents/<int:agent_id>/skills/", views.agent_skills, name="agent_skills"),
    path("agents/<int:agent_id>/capacity/", views.agent_capacity, name="agent_capacity"),
    path("callbacks/", views.callbacks, name="callbacks"),
    path("callbacks/<int:callback_id>/finish/", views.callback_finish, name="callback_finish"),
]
