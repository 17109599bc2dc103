from django.urls import include, path

from perfcycle.accounts import views as account_views
from perfcycle.api.urls import api
from perfcycle.dashboards import views as dashboard_views

urlpatterns = [
    path("", dashboard_views.home, name="home"),
    path("login/", account_views.LoginView.as_view(), name="login"),
    path("logout/", account_views.LogoutView.as_view(), name="logout"),
    path("language/", account_views.language_set, name="language"),
    path("account/", include("perfcycle.accounts.urls")),
    path("org/", include("perfcycle.org.urls")),
    path("cycles/", include("perfcycle.cycles.urls")),
    path("plan/", include("perfcycle.planning.urls")),
    path("monitor/", include("perfcycle.monitoring.urls")),
    path("evaluate/", include("perfcycle.evaluation.urls")),
    path("calibrate/", include("perfcycle.calibration.urls")),
    path("reward/proposals/", include("perfcycle.proposals.urls")),
    path("reward/", include("perfcycle.rewards.urls")),
    path("improve/loop/", include("perfcycle.retrospective.urls")),
    path("improve/insights/", include("perfcycle.insights.urls")),
    path("improve/", include("perfcycle.improvement.urls")),
    path("admin/audit/", include("perfcycle.audit.urls")),
    path("notifications/", include("perfcycle.notifications.urls")),
    path("privacy/", include("perfcycle.privacy.urls")),
    path("api/v1/", api.urls),
]
