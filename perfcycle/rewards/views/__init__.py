"""The rewards stage's pages; each module has its own ``urlpatterns``."""
