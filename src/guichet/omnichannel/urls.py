from django.urls import path

from guichet.omnichannel import views

app_name = "omnichannel"
urlpatterns = [
    path("sms/<slug:inbox_slug>/", views.sms_inbound, name="sms_inbound"),
    path("sms/<slug:inbox_slug>/status/", views.sms_status, name="sms_status"),
    path("voice/<slug:inbox_slug>/", views.voice_incoming, name="voice_incoming"),
    path("voice/<slug:inbox_slug>/<slug:step>/", views.voice_step, name="voice_step"),
    path("contacts/<int:contact_id>/timeline/", views.contact_timeline_view, name="contact_timeline"),
    path("contacts/<int:contact_id>/merge-suggestions/", views.merge_suggestions_view, name="merge_suggestions"),
    path("contacts/<int:contact_id>/merge/", views.merge_view, name="merge"),
    path("contacts/<int:contact_id>/reply/", views.reply_via_view, name="reply_via"),
    path("attachments/<int:attachment_id>/<str:token>/", views.attachment_view, name="attachment"),
]
