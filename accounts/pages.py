"""The account menu's API token page: see one's token, make a new one, revoke it."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods
from rest_framework.authtoken.models import Token

from accounts import services
from accounts.tokens import token_expired, token_expires_at
from journeys.web.editor import signed_in


@signed_in
@require_http_methods(["GET", "POST"])
def api_token_page(request: HttpRequest) -> HttpResponse:
    new_key = None
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            if services.api_token_revoke(actor=request.user):
                messages.success(request, "Your API token is revoked: it no longer works.")
            return redirect("api-token-page")
        # Shown on this answer only: the key is not shown again (a reload asks to resubmit).
        new_key = services.api_token_create(actor=request.user).key
    token = Token.objects.filter(user=request.user).first()
    return render(
        request,
        "accounts/api_token.html",
        {
            "token": token,
            "new_key": new_key,
            "expires_at": token_expires_at(token.created) if token else None,
            "expired": token_expired(token.created) if token else False,
        },
    )
