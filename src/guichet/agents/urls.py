from django.urls import path

from guichet.agents import views

app_name = "agents"
urlpatterns = [
    path("", views.desk, name="desk"),
    path("lists/<slug:name>/", views.desk_list, name="list"),
    path("presence/", views.presence, name="presence"),
    path("follow-ups/", views.follow_ups, name="follow_ups"),
    path("follow-ups/<int:task_id>/done/", views.follow_up_done, name="follow_up_done"),
    path("c/<str:reference>/", views.conversation_page, name="conversation"),
    path("c/<str:reference>/part/<slug:part>/", views.conversation_part, name="part"),
    path("c/<str:reference>/reply/", views.reply, name="reply"),
    path("c/<str:reference>/note/", views.note, name="note"),
    path("c/<str:reference>/take/", views.take, name="take"),
    path("c/<str:reference>/transfer/", views.transfer, name="transfer"),
    path("c/<str:reference>/resolve/", views.resolve, name="resolve"),
    path("c/<str:reference>/reopen/", views.reopen, name="reopen"),
]
