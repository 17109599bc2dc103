"""Sign in and out (audited), language choice, API tokens."""

from __future__ import annotations

import pytest
from django.conf import settings

from perfcycle.accounts.models import ApiToken, hash_token
from perfcycle.accounts.services import token_authenticate
from perfcycle.audit.models import AuditAction, AuditEvent
from tests.factories import PASSWORD, UserFactory
from tests.pages import assert_phone_ready

COOKIE = settings.LANGUAGE_COOKIE_NAME


def text(response) -> str:
    return response.content.decode()


# Sign in and out -----------------------------------------------------------------------


def test_sign_in_page_is_phone_ready(client, db):
    response = client.get("/login/")
    assert response.status_code == 200
    assert_phone_ready(text(response))


def test_sign_in_is_audited(company, client):
    response = client.post("/login/", {"username": "manager", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    [event] = AuditEvent.objects.filter(action=AuditAction.LOGIN)
    assert event.actor == company.user("manager")
    assert event.object_id == str(company.user("manager").pk)
    assert event.source == "web"
    assert client.get("/").status_code == 200


def test_failed_sign_in_is_audited_with_the_name_tried(company, client):
    response = client.post("/login/", {"username": "manager", "password": "wrong"})
    assert response.status_code == 200
    assert "Your login name and password didn" in text(response)
    [event] = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED)
    assert event.actor is None
    assert event.object_repr == "manager"
    assert "wrong" not in str(event.after) + str(event.before) + event.object_repr
    assert not AuditEvent.objects.filter(action=AuditAction.LOGIN).exists()


def test_a_person_who_left_cannot_sign_in(company, client):
    user = company.user("stranger")
    user.is_active = False
    user.save()
    response = client.post("/login/", {"username": "stranger", "password": PASSWORD})
    assert response.status_code == 200
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED).count() == 1


def test_sign_in_follows_a_safe_next_only(company, client):
    response = client.post("/login/?next=/org/people/", {"username": "hr", "password": PASSWORD})
    assert response["Location"] == "/org/people/"
    client.logout()
    response = client.post(
        "/login/", {"username": "hr", "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_signed_in_user_visiting_sign_in_goes_home(company, as_user):
    response = as_user(company.hr).get("/login/")
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_sign_in_applies_the_language_kept_on_the_account(company, client):
    user = company.user("direct")
    user.language = "zh-hans"
    user.save()
    response = client.post("/login/", {"username": "direct", "password": PASSWORD})
    assert response.cookies[COOKIE].value == "zh-hans"


def test_sign_out_is_audited_and_ends_the_session(company, as_user):
    client = as_user(company.user("manager"))
    response = client.post("/logout/")
    assert response.status_code == 302
    [event] = AuditEvent.objects.filter(action=AuditAction.LOGOUT)
    assert event.actor == company.user("manager")
    assert client.get("/").status_code == 302


def test_sign_out_needs_a_post(company, as_user):
    client = as_user(company.user("manager"))
    assert client.get("/logout/").status_code == 405
    assert not AuditEvent.objects.filter(action=AuditAction.LOGOUT).exists()
    assert client.get("/").status_code == 200


def test_anonymous_sign_out_records_nothing(client, db):
    client.post("/logout/")
    assert not AuditEvent.objects.exists()


# Language ---------------------------------------------------------------------------------


def test_signed_in_choice_is_kept_on_the_account_and_audited(company, as_user):
    client = as_user(company.user("manager"))
    response = client.post("/language/", {"language": "zh-hans", "next": "/org/"})
    assert response.status_code == 302
    assert response["Location"] == "/org/"
    assert response.cookies[COOKIE].value == "zh-hans"
    user = company.user("manager")
    user.refresh_from_db()
    assert user.language == "zh-hans"
    [event] = AuditEvent.objects.filter(action=AuditAction.UPDATE, object_type="accounts.user")
    assert event.after == {"language": "zh-hans"}
    # A fresh browser (no cookie, English headers) still gets the kept choice.
    fresh = as_user(user)
    assert fresh.get("/", HTTP_ACCEPT_LANGUAGE="en")["Content-Language"] == "zh-hans"


def test_following_the_browser_again_clears_the_choice(company, as_user):
    user = company.user("manager")
    user.language = "zh-hans"
    user.save()
    client = as_user(user)
    response = client.post("/language/", {"language": "", "next": "/"})
    user.refresh_from_db()
    assert user.language == ""
    assert response.cookies[COOKIE].value == ""  # deleted
    assert client.get("/", HTTP_ACCEPT_LANGUAGE="en")["Content-Language"] == "en"


def test_anonymous_choice_is_a_cookie_only(client, db):
    response = client.post("/language/", {"language": "zh-hans", "next": "/login/"})
    assert response["Location"] == "/login/"
    assert response.cookies[COOKIE].value == "zh-hans"
    assert not AuditEvent.objects.exists()
    page = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert page["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans">' in text(page)


def test_language_switch_refuses_unknown_languages_and_foreign_next(company, as_user):
    client = as_user(company.user("manager"))
    response = client.post("/language/", {"language": "xx", "next": "https://evil.example/"})
    assert response["Location"] == "/"
    user = company.user("manager")
    user.refresh_from_db()
    assert user.language == ""
    assert client.get("/language/").status_code == 405


def test_preferences_show_the_current_choice(company, as_user):
    user = company.user("manager")
    user.language = "zh-hans"
    user.save()
    response = as_user(user).get("/account/preferences/")
    assert response.status_code == 200
    assert 'value="zh-hans" checked' in text(response)
    assert_phone_ready(text(response))


# API tokens -------------------------------------------------------------------------------


def test_creating_a_token_shows_it_once(company, as_user):
    client = as_user(company.user("manager"))
    response = client.post("/account/tokens/", {"name": "CRM sync", "expires_in_days": 30})
    assert response.status_code == 200
    raw = response.context["new_token"]
    assert raw.startswith("pc_")
    assert raw in text(response)
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get()
    assert token.digest == hash_token(raw)
    assert token.user == company.user("manager")
    assert token.expires_at is not None
    assert token_authenticate(raw) == company.user("manager")
    [event] = AuditEvent.objects.filter(object_type="accounts.apitoken")
    assert event.action == AuditAction.CREATE
    assert raw not in str(event.after)
    # The list shows its start only; the token is never shown again.
    page = client.get("/account/tokens/")
    assert raw not in text(page)
    assert token.prefix in text(page)
    assert_phone_ready(text(page))


def test_token_needs_a_name(company, as_user):
    response = as_user(company.hr).post("/account/tokens/", {"name": "   "})
    assert response.status_code == 200
    assert response.context["new_token"] is None
    assert response.context["form"].errors["name"]
    assert not ApiToken.objects.exists()


def test_tokens_page_lists_only_my_tokens(company, as_user):
    as_user(company.hr).post("/account/tokens/", {"name": "HR script"})
    page = text(as_user(company.user("manager")).get("/account/tokens/"))
    assert "HR script" not in page
    assert "No tokens yet." in page


def test_revoking_a_token(company, as_user):
    client = as_user(company.user("manager"))
    raw = client.post("/account/tokens/", {"name": "CRM"}).context["new_token"]
    token = ApiToken.objects.get()
    response = client.post(f"/account/tokens/{token.pk}/revoke/", follow=True)
    assert "Token revoked." in text(response)
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token_authenticate(raw) is None
    assert (
        AuditEvent.objects.filter(
            object_type="accounts.apitoken", action=AuditAction.UPDATE
        ).count()
        == 1
    )
    assert f"/account/tokens/{token.pk}/revoke/" not in text(response)


def test_nobody_revokes_another_persons_token(company, as_user):
    as_user(company.user("manager")).post("/account/tokens/", {"name": "CRM"})
    token = ApiToken.objects.get()
    for user in (company.hr, company.user("stranger")):
        assert as_user(user).post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    assert (
        as_user(company.user("manager")).get(f"/account/tokens/{token.pk}/revoke/").status_code
        == 405
    )
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.parametrize("url", ["/account/tokens/", "/account/preferences/"])
def test_account_pages_need_a_sign_in(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_a_user_without_an_employee_record_can_use_the_account_pages(as_user, db):
    admin = UserFactory(username="root", is_superuser=True)
    assert as_user(admin).get("/account/preferences/").status_code == 200
    assert as_user(admin).get("/account/tokens/").status_code == 200
