"""The work lists of the admin home's to-do panel, mounted under /admin/todo/ by income.wagtail_hooks."""

from django.urls import path

from . import todo_views

app_name = "todo"

urlpatterns = [path("<slug:key>/", todo_views.work_list, name="list")]
