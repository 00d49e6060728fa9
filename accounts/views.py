"""Manager pages for accounts, members, plan and usage, API credentials."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import quota, selectors, services
from accounts.decorators import account_view
from accounts.forms import (
    AccountCreateForm,
    AccountProfileForm,
    AdditionalCapForm,
    InviteForm,
    PictureForm,
    PlanChangeForm,
    RoleForm,
    SignupForm,
    TokenIssueForm,
)
from accounts.models import Membership
from accounts.permissions import Perm, role_has
from core.exceptions import ApplicationError, NotFound
from core.forms import form_errors_from


def _to(name: str, request, **kwargs):
    return redirect(name, account_slug=request.account.slug, **kwargs)


@login_required
def account_list(request):
    form = AccountCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        account = services.account_create(
            actor=request.user,
            display_name=form.cleaned_data["display_name"],
            time_zone=form.cleaned_data["time_zone"],
        )
        messages.success(
            request,
            _("Created %(name)s with basic ID %(id)s.")
            % {"name": account.display_name, "id": account.basic_id},
        )
        return redirect("analytics:home", account_slug=account.slug)
    accounts = selectors.account_list_for_user(user=request.user)
    return render(
        request, "accounts/account_list.html", {"accounts": accounts, "form": form}
    )


@account_view(Perm.EDIT_PROFILE)
def account_settings(request):
    account = request.account
    profile_form = AccountProfileForm(instance=account)
    picture_form = PictureForm()
    # The image form names its button, so pressing Upload with no file chosen
    # says so instead of submitting the profile form.
    uploading = "upload_picture" in request.POST or "picture" in request.FILES
    if request.method == "POST" and uploading:
        picture_form = PictureForm(request.POST, request.FILES)
        if picture_form.is_valid():
            try:
                services.account_picture_set(
                    account=account,
                    actor=request.user,
                    upload=picture_form.cleaned_data["picture"],
                )
            except ApplicationError as exc:
                form_errors_from(picture_form, exc, "picture")
            else:
                messages.success(request, _("Profile image updated."))
                return _to("accounts:account-settings", request)
    elif request.method == "POST":
        # Bind to a copy so a rejected form never mutates request.account.
        profile_form = AccountProfileForm(
            request.POST, instance=type(account).objects.get(pk=account.pk)
        )
        if profile_form.is_valid():
            services.account_profile_update(
                account=account,
                actor=request.user,
                **{k: profile_form.cleaned_data[k] for k in profile_form.Meta.fields},
            )
            messages.success(request, _("Settings saved."))
            return _to("accounts:account-settings", request)
    return render(
        request,
        "accounts/account_settings.html",
        {"profile_form": profile_form, "picture_form": picture_form},
        status=400 if request.method == "POST" else 200,
    )


@account_view()
def member_list(request):
    account = request.account
    can_manage = role_has(request.membership.role, Perm.MANAGE_MEMBERS)
    form = InviteForm(request.POST or None)
    invite_url = None
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if form.is_valid():
            try:
                invitation, token = services.member_invite(
                    account=account,
                    actor=request.user,
                    role=form.cleaned_data["role"],
                    email=form.cleaned_data["email"],
                )
            except ApplicationError as exc:
                form_errors_from(form, exc)
            else:
                invite_url = request.build_absolute_uri(
                    reverse("accounts:invite-accept", args=[token])
                )
                if services.invitation_email_send(
                    invitation=invitation, url=invite_url
                ):
                    messages.success(
                        request,
                        _("The invitation was e-mailed to %(email)s.")
                        % {"email": invitation.email},
                    )
                form = InviteForm()
    return render(
        request,
        "accounts/member_list.html",
        {
            "members": selectors.member_list(account=account),
            "invitations": selectors.invitation_list_open(account=account)
            if can_manage
            else [],
            "form": form,
            "role_choices": Membership.Role.choices,
            "can_manage": can_manage,
            "invite_url": invite_url,
        },
        status=400 if request.method == "POST" and form.errors else 200,
    )


@require_POST
@account_view(Perm.MANAGE_MEMBERS)
def member_role(request, membership_id: int):
    membership = selectors.member_get(
        account=request.account, membership_id=membership_id
    )
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a valid role."))
        return _to("accounts:member-list", request)
    try:
        services.member_role_change(
            account=request.account,
            actor=request.user,
            membership_id=membership.pk,
            role=form.cleaned_data["role"],
        )
    except NotFound:
        raise
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Role changed."))
    return _to("accounts:member-list", request)


@require_POST
@account_view(Perm.MANAGE_MEMBERS)
def member_remove(request, membership_id: int):
    membership = selectors.member_get(
        account=request.account, membership_id=membership_id
    )
    try:
        services.member_remove(
            account=request.account, actor=request.user, membership_id=membership.pk
        )
    except NotFound:
        raise
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Member removed."))
    return _to("accounts:member-list", request)


@require_POST
@account_view(Perm.MANAGE_MEMBERS)
def invitation_revoke(request, invitation_id: int):
    services.invitation_revoke(
        account=request.account, actor=request.user, invitation_id=invitation_id
    )
    messages.success(request, _("Invitation withdrawn."))
    return _to("accounts:member-list", request)


def invite_accept(request, token: str):
    """Join an account from an invite link, signing up first if needed."""
    try:
        invitation = services.invitation_get(token=token)
    except services.InvitationInvalid as exc:
        return render(
            request, "accounts/invite_invalid.html", {"error": exc.message}, status=410
        )
    signup_form = None
    if request.user.is_authenticated:
        try:
            services.invitation_check_user(invitation=invitation, user=request.user)
        except services.InvitationNotYours as exc:
            return render(
                request,
                "accounts/invite_invalid.html",
                {"error": exc.message},
                status=403,
            )
    else:
        signup_form = SignupForm(
            request.POST or None,
            initial={"email": invitation.email},
            invited_email=invitation.email,
        )
        if request.method == "POST" and signup_form.is_valid():
            user = signup_form.save()
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        else:
            return render(
                request,
                "accounts/invite_accept.html",
                {"invitation": invitation, "signup_form": signup_form},
                status=400 if request.method == "POST" else 200,
            )
    if request.method == "POST":
        try:
            membership = services.invitation_accept(token=token, user=request.user)
        except services.InvitationInvalid as exc:
            return render(
                request,
                "accounts/invite_invalid.html",
                {"error": exc.message},
                status=410,
            )
        except ApplicationError as exc:
            return render(
                request,
                "accounts/invite_invalid.html",
                {"error": exc.message},
                status=409,
            )
        messages.success(
            request,
            _("Welcome to %(name)s.") % {"name": membership.account.display_name},
        )
        return redirect("analytics:home", account_slug=membership.account.slug)
    return render(request, "accounts/invite_accept.html", {"invitation": invitation})


@account_view()
def plan_usage(request):
    account = request.account
    can_manage = role_has(request.membership.role, Perm.MANAGE_PLAN)
    plan_form = PlanChangeForm(initial={"plan": account.next_plan or account.plan})
    cap_form = AdditionalCapForm(initial={"additional_cap": account.additional_cap})
    status = 200
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if "plan" in request.POST:
            plan_form = PlanChangeForm(request.POST)
            if plan_form.is_valid():
                effective = services.account_plan_change(
                    account=account,
                    actor=request.user,
                    plan=plan_form.cleaned_data["plan"],
                )
                if effective:
                    messages.success(
                        request,
                        _("The plan changes on %(date)s.")
                        % {"date": effective.isoformat()},
                    )
                else:
                    messages.success(request, _("Pending plan change cancelled."))
                return _to("accounts:plan-usage", request)
        else:
            cap_form = AdditionalCapForm(request.POST)
            if cap_form.is_valid():
                try:
                    services.account_additional_cap_set(
                        account=account,
                        actor=request.user,
                        cap=cap_form.cleaned_data["additional_cap"],
                    )
                except ApplicationError as exc:
                    form_errors_from(cap_form, exc, "additional_cap")
                else:
                    messages.success(request, _("Cap saved."))
                    return _to("accounts:plan-usage", request)
        status = 400
    return render(
        request,
        "accounts/plan_usage.html",
        {
            "summary": quota.usage_summary(account=account),
            "plan_form": plan_form,
            "cap_form": cap_form,
            "can_manage": can_manage,
        },
        status=status,
    )


@account_view(Perm.MANAGE_MEMBERS)
def audit_log(request):
    page = Paginator(selectors.audit_list(account=request.account), 50).get_page(
        request.GET.get("page")
    )
    return render(request, "accounts/audit_log.html", {"page": page})


@account_view(Perm.MANAGE_API)
def messaging_api(request):
    account = request.account
    form = TokenIssueForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        _record, new_token = services.channel_token_issue(
            account=account, actor=request.user, label=form.cleaned_data["label"]
        )
        form = TokenIssueForm()
    return render(
        request,
        "accounts/messaging_api.html",
        {
            "tokens": selectors.channel_token_list(account=account),
            "form": form,
            "new_token": new_token,
        },
    )


@require_POST
@account_view(Perm.MANAGE_API)
def channel_token_revoke(request, token_id: int):
    services.channel_token_revoke(
        account=request.account, actor=request.user, token_id=token_id
    )
    messages.success(request, _("Token revoked."))
    return _to("accounts:messaging-api", request)


def login_locked_out(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out login: a 429 page saying why.

    Axes calls this (``AXES_LOCKOUT_CALLABLE``) for the Manager's and the
    admin's login forms alike.
    """
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    return render(
        request,
        "accounts/locked_out.html",
        {"cooloff_minutes": minutes},
        status=429,
    )
