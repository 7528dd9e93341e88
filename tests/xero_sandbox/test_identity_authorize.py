"""The login host: authorize validation (error page, never a redirect), sign-in, consent."""

import datetime
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from xero_sandbox.identity import control, session
from xero_sandbox.identity.registry import register_app, sandbox_app_from_settings
from xero_sandbox.models import AuthorizationCode, Connection, Grant, OAuthApp, Organisation

pytestmark = pytest.mark.django_db(databases=["default", "xero_sandbox"])

PASSWORD = "correct horse battery"
SCOPES = "openid profile email offline_access payroll.employees payroll.timesheets payroll.settings.read"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"  # RFC 7636 appendix B


@pytest.fixture
def app():
    return sandbox_app_from_settings()


@pytest.fixture
def orgs():
    return [Organisation.objects.create(name="Demo Cafe"), Organisation.objects.create(name="Other Bakery")]


@pytest.fixture
def user(orgs):
    return control.create_user(
        email="owner@example.com",
        password=PASSWORD,
        first_name="Olive",
        last_name="Owner",
        organisations=orgs,
    )


def authorize_url(**overrides) -> str:
    params = {
        "response_type": "code",
        "client_id": settings.XERO_CLIENT_ID,
        "redirect_uri": settings.XERO_REDIRECT_URI,
        "scope": SCOPES,
        "state": "st-123",
    }
    params.update(overrides)
    params = {key: value for key, value in params.items() if value is not None}
    return reverse("xero_sandbox:authorize") + "?" + urlencode(params)


def signed_in(client: Client, user) -> Client:
    store = client.session
    session.sign_in(store, user)
    store.save()
    return client


class _Inputs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.inputs, self.labels, self.styled, self.scripts, self.styles = [], set(), [], 0, 0
        self.form_actions = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "style" in attrs or any(name.startswith("on") for name in attrs):
            self.styled.append((tag, attrs))
        if tag == "input" and attrs.get("type") != "hidden":
            self.inputs.append(attrs)
        if tag == "label" and attrs.get("for"):
            self.labels.add(attrs["for"])
        if tag == "script":
            self.scripts += 1
        if tag == "style":
            self.styles += 1
        if tag == "form":
            self.form_actions.append(attrs.get("action"))


def parse(response) -> _Inputs:
    parser = _Inputs()
    parser.feed(response.content.decode())
    return parser


# --- validation: an error page, never a redirect ------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "error", "description"),
    [
        ({"client_id": "no-such-app"}, "unauthorized_client", "Unknown client or client not enabled"),
        ({"client_id": None}, "unauthorized_client", "Unknown client or client not enabled"),
        ({"redirect_uri": "https://evil.example/callback/"}, "unauthorized_client", "Invalid redirect_uri"),
        (
            {"redirect_uri": settings.XERO_REDIRECT_URI.rstrip("/")},
            "unauthorized_client",
            "Invalid redirect_uri",
        ),
        ({"redirect_uri": None}, "unauthorized_client", "Invalid redirect_uri"),
        ({"response_type": "token"}, "unsupported_response_type", "Response type not supported"),
        ({"response_type": None}, "invalid_request", "Missing response_type"),
        ({"scope": "openid accounting.transactions"}, "invalid_scope", "Invalid scope for client"),
        ({"scope": "openid payroll.everything"}, "invalid_scope", "Invalid scope for client"),
        ({"scope": None}, "invalid_request", "Missing scope"),
        ({"scope": "profile email payroll.employees"}, "invalid_scope", "no openid scope"),
        (
            {"code_challenge": CHALLENGE, "code_challenge_method": "plain"},
            "invalid_request",
            "Transform algorithm not supported",
        ),
        ({"code_challenge": CHALLENGE}, "invalid_request", "Transform algorithm not supported"),
        ({"code_challenge": "short", "code_challenge_method": "S256"}, "invalid_request", "code_challenge"),
    ],
)
def test_invalid_requests_show_an_error_page_and_do_not_redirect(
    client, app, user, overrides, error, description
):
    signed_in(client, user)
    for method in (client.get, client.post):
        response = method(authorize_url(**overrides), {"action": "allow"} if method == client.post else None)
        assert response.status_code == 400
        assert "Location" not in response
        body = response.content.decode()
        assert "Sorry, something went wrong" in body
        assert error in body
        assert description in body
    assert not AuthorizationCode.objects.exists()
    assert not Grant.objects.exists()


def test_the_error_page_is_shown_before_sign_in(client, app):
    response = client.get(authorize_url(client_id="no-such-app"))
    assert response.status_code == 400
    assert "Location" not in response


def test_an_app_without_a_secret_must_use_pkce(client, user):
    register_app(client_id="pkce-app", client_secret="", redirect_uris=["https://pkce.example/cb"])
    signed_in(client, user)
    url = authorize_url(client_id="pkce-app", redirect_uri="https://pkce.example/cb")
    response = client.get(url)
    assert response.status_code == 400
    assert "code challenge required" in response.content.decode()
    response = client.get(
        authorize_url(
            client_id="pkce-app",
            redirect_uri="https://pkce.example/cb",
            code_challenge=CHALLENGE,
            code_challenge_method="S256",
        )
    )
    assert response.status_code == 200


# --- sign-in -----------------------------------------------------------------------------------


def test_not_signed_in_goes_to_the_sign_in_page_and_back(client, app, user):
    url = authorize_url()
    response = client.get(url)
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert target.path == reverse("xero_sandbox:login")
    assert parse_qs(target.query)["ReturnUrl"] == [url]

    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "Log in to Xero" in page.content.decode()

    signed = client.post(
        reverse("xero_sandbox:login"), {"email": "OWNER@example.com", "password": PASSWORD, "ReturnUrl": url}
    )
    assert signed.status_code == 302
    assert signed["Location"] == url
    assert client.session[session.USER_KEY] == user.pk
    assert "_auth_user_id" not in client.session  # never a product login

    consent = client.get(url)
    assert consent.status_code == 200
    assert "Allow access" in consent.content.decode()


def test_a_wrong_password_is_an_error_on_the_form(client, app, user):
    url = authorize_url()
    response = client.post(
        reverse("xero_sandbox:login"), {"email": user.email, "password": "wrong", "ReturnUrl": url}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Your email or password is incorrect" in body
    assert 'value="owner@example.com"' in body
    assert session.USER_KEY not in client.session
    unknown = client.post(
        reverse("xero_sandbox:login"), {"email": "nobody@example.com", "password": PASSWORD}
    )
    assert unknown.status_code == 400
    assert "Your email or password is incorrect" in unknown.content.decode()


def test_sign_in_only_returns_to_the_authorize_endpoint(client, app, user):
    response = client.post(
        reverse("xero_sandbox:login"),
        {"email": user.email, "password": PASSWORD, "ReturnUrl": "https://evil.example/steal"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("xero_sandbox:login")
    landing = client.get(response["Location"])
    assert "You are logged in as" in landing.content.decode()


def test_sign_in_renews_the_session_key(client, app, user):
    client.get(reverse("xero_sandbox:login"))
    store = client.session
    store["marker"] = 1
    store.save()
    before = client.session.session_key
    client.post(reverse("xero_sandbox:login"), {"email": user.email, "password": PASSWORD})
    assert client.session.session_key != before
    assert client.session["marker"] == 1


def test_log_out_forgets_the_sandbox_user(client, app, user):
    signed_in(client, user)
    url = authorize_url()
    response = client.post(reverse("xero_sandbox:logout"), {"ReturnUrl": url})
    assert response.status_code == 302
    assert session.USER_KEY not in client.session
    assert client.get(url)["Location"].startswith(reverse("xero_sandbox:login"))


def test_forms_are_protected_by_csrf(app, user):
    client = Client(enforce_csrf_checks=True)
    url = authorize_url()
    assert (
        client.post(reverse("xero_sandbox:login"), {"email": user.email, "password": PASSWORD}).status_code
        == 403
    )
    page = client.get(reverse("xero_sandbox:login") + "?" + urlencode({"ReturnUrl": url}))
    token = page.context["csrf_token"]
    signed = client.post(
        reverse("xero_sandbox:login"),
        {"email": user.email, "password": PASSWORD, "ReturnUrl": url, "csrfmiddlewaretoken": str(token)},
    )
    assert signed.status_code == 302
    assert client.post(url, {"action": "allow"}).status_code == 403
    consent = client.get(url)
    allowed = client.post(
        url,
        {
            "action": "allow",
            "organisation": str(user.organisations.first().tenant_id),
            "csrfmiddlewaretoken": str(consent.context["csrf_token"]),
        },
    )
    assert allowed.status_code == 302


# --- consent -----------------------------------------------------------------------------------


def test_the_consent_page_names_the_app_the_scopes_and_the_users_organisations(client, app, user, orgs):
    Organisation.objects.create(name="Somebody Elses Pty Ltd")
    response = signed_in(client, user).get(authorize_url())
    assert response.status_code == 200
    body = response.content.decode()
    assert f"{app.name} wants access to your Xero data" in body
    for text in (
        "View and manage your payroll employees",
        "View and manage your payroll timesheets",
        "View your payroll settings",
        "See your email address",
        "Keep access to this data when you are not signed in to the app",
    ):
        assert text in body
    assert "Demo Cafe" in body
    assert "Other Bakery" in body
    assert "Somebody Elses" not in body
    assert "Allow access" in body
    assert "Cancel" in body
    assert user.email in body


def test_pages_label_every_input_and_use_no_inline_styles_or_scripts(client, app, user):
    pages = [
        client.get(reverse("xero_sandbox:login") + "?" + urlencode({"ReturnUrl": authorize_url()})),
        client.post(reverse("xero_sandbox:login"), {"email": user.email, "password": "wrong"}),
        signed_in(client, user).get(authorize_url()),
        client.post(authorize_url(), {"action": "allow"}),  # re-rendered with an error
        client.get(authorize_url(client_id="nope")),
    ]
    for response in pages:
        parsed = parse(response)
        for field in parsed.inputs:
            assert field.get("id") in parsed.labels, f"unlabelled input {field}"
        assert parsed.styled == []
        assert parsed.scripts == 0
        assert parsed.styles == 0
        assert "xero_sandbox/identity.css" in response.content.decode()
        policy = response["Content-Security-Policy"]
        assert "style-src 'self'" in policy
    consent = pages[2]
    assert "form-action 'self' https://xero-sandbox.test" in consent["Content-Security-Policy"]


def test_the_stylesheet_exists():
    from django.contrib.staticfiles import finders

    assert finders.find("xero_sandbox/identity.css")


def test_cancel_redirects_back_with_access_denied_and_the_state(client, app, user):
    response = signed_in(client, user).post(authorize_url(state="keep me"), {"action": "cancel"})
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == settings.XERO_REDIRECT_URI
    assert parse_qs(target.query) == {"error": ["access_denied"], "state": ["keep me"]}
    assert not Grant.objects.exists()
    assert not AuthorizationCode.objects.exists()


def test_allow_creates_grant_connections_and_a_code(client, app, user, orgs):
    before = timezone.now()
    response = signed_in(client, user).post(
        authorize_url(nonce="n-1", code_challenge=CHALLENGE, code_challenge_method="S256"),
        {"action": "allow", "organisation": [str(orgs[0].tenant_id), str(orgs[1].tenant_id)]},
    )
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == settings.XERO_REDIRECT_URI
    query = parse_qs(target.query)
    assert query["state"] == ["st-123"]
    assert query["scope"] == [SCOPES]
    assert query["session_state"]
    code = AuthorizationCode.objects.get(code=query["code"][0])
    assert code.used_at is None
    assert code.nonce == "n-1"
    assert (code.code_challenge, code.code_challenge_method) == (CHALLENGE, "S256")
    assert code.redirect_uri == settings.XERO_REDIRECT_URI
    assert (
        before + datetime.timedelta(minutes=5)
        <= code.expires_at
        <= timezone.now() + datetime.timedelta(minutes=5)
    )
    grant = Grant.objects.get()
    assert (grant.app, grant.user, grant.scopes) == (app, user, SCOPES.split())
    connections = Connection.objects.filter(grant=grant)
    assert {c.organisation for c in connections} == set(orgs)
    assert {c.auth_event_id for c in connections} == {code.auth_event_id}


def test_a_single_organisation_is_preselected(client, app, orgs):
    solo = control.create_user(email="solo@example.com", password=PASSWORD, organisations=[orgs[0]])
    body = signed_in(client, solo).get(authorize_url()).content.decode()
    assert f'value="{orgs[0].tenant_id}" checked' in body


@pytest.mark.parametrize("chosen", [[], ["not-mine"]])
def test_allow_needs_one_of_the_users_organisations(client, app, user, chosen):
    stranger = Organisation.objects.create(name="Stranger Ltd")
    picked = [str(stranger.tenant_id)] if chosen == ["not-mine"] else []
    response = signed_in(client, user).post(authorize_url(), {"action": "allow", "organisation": picked})
    assert response.status_code == 400
    assert "Location" not in response
    body = response.content.decode()
    assert "Select an organisation" in body or "organisations you belong to" in body
    assert not AuthorizationCode.objects.exists()
    assert not Connection.objects.exists()


def test_a_user_without_organisations_cannot_allow_data_access(client, app):
    lonely = control.create_user(email="lonely@example.com", password=PASSWORD)
    signed_in(client, lonely)
    assert "You do not belong to any organisation" in client.get(authorize_url()).content.decode()
    assert client.post(authorize_url(), {"action": "allow"}).status_code == 400


def test_sign_in_only_scopes_connect_no_organisation(client, app, user):
    url = authorize_url(scope="openid profile email")
    page = signed_in(client, user).get(url)
    assert "Organisations to connect" not in page.content.decode()
    response = client.post(url, {"action": "allow"})
    assert response.status_code == 302
    assert "code" in parse_qs(urlsplit(response["Location"]).query)
    assert Grant.objects.get().scopes == ["openid", "profile", "email"]
    assert not Connection.objects.exists()


def test_reconsent_adds_scopes_and_reconnects_the_same_connection(client, app, user, orgs):
    signed_in(client, user)
    first = client.post(
        authorize_url(scope="openid offline_access payroll.employees.read"),
        {"action": "allow", "organisation": [str(orgs[0].tenant_id)]},
    )
    first_code = AuthorizationCode.objects.get(code=parse_qs(urlsplit(first["Location"]).query)["code"][0])
    original = Connection.objects.get()
    assert control.remove_connection(tenant_id=orgs[0].tenant_id) == 1

    second = client.post(
        authorize_url(scope="openid payroll.timesheets"),
        {"action": "allow", "organisation": [str(orgs[0].tenant_id), str(orgs[1].tenant_id)]},
    )
    second_code = AuthorizationCode.objects.get(code=parse_qs(urlsplit(second["Location"]).query)["code"][0])
    grant = Grant.objects.get()
    assert grant.scopes == ["openid", "offline_access", "payroll.employees.read", "payroll.timesheets"]
    assert second_code.scopes == grant.scopes
    assert second_code.auth_event_id != first_code.auth_event_id

    again = Connection.objects.get(organisation=orgs[0])
    assert again.id == original.id
    assert again.deleted_at is None
    assert again.created_at == original.created_at
    assert again.updated_at > original.updated_at
    assert again.auth_event_id == second_code.auth_event_id
    assert Connection.objects.get(organisation=orgs[1]).auth_event_id == second_code.auth_event_id
    assert Connection.objects.count() == 2


def test_the_app_from_settings_is_registered_on_first_use(client, user):
    assert not OAuthApp.objects.exists()
    signed_in(client, user).get(authorize_url())
    client.get(authorize_url())
    app = OAuthApp.objects.get()
    assert app.client_id == settings.XERO_CLIENT_ID
    assert app.client_secret == settings.XERO_CLIENT_SECRET
    assert app.redirect_uris == [settings.XERO_REDIRECT_URI]


def test_authorize_for_tests_drives_the_real_flow(app, user, orgs):
    code = control.authorize_for_tests(
        settings.XERO_CLIENT_ID,
        settings.XERO_REDIRECT_URI,
        SCOPES.split(),
        user,
        [orgs[1]],
        "s-1",
        code_challenge=CHALLENGE,
        password=PASSWORD,
    )
    row = AuthorizationCode.objects.get(code=code)
    assert row.code_challenge == CHALLENGE
    assert [c.organisation for c in Connection.objects.all()] == [orgs[1]]
    with pytest.raises(control.FlowError, match="Invalid redirect_uri"):
        control.authorize_for_tests(
            settings.XERO_CLIENT_ID, "https://evil.example/", SCOPES, user, [orgs[1]], "s-2"
        )
