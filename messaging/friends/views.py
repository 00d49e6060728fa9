"""Manager pages for friends: list, detail, export, gain friends, fields.

Roles: every member may view friends and export them. Writes on friend
data (tags, custom fields, notes, sources) need ``Perm.EDIT_PROFILE``,
which LINE gives to every operator role.
"""

import io
from collections.abc import Iterator

import qrcode
import qrcode.constants
import qrcode.image.svg
from django.contrib import messages
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from accounts.decorators import account_view
from accounts.permissions import Perm, request_can, request_require
from core.csv_export import csv_cell, csv_response
from core.exceptions import ApplicationError
from core.forms import form_errors_from
from messaging.friends import services
from messaging.friends.filters import AGE_BANDS, age_band_of
from messaging.friends.forms import (
    BulkTagForm,
    CustomFieldForm,
    FriendFieldsForm,
    FriendFilterForm,
    NoteForm,
    SourceCreateForm,
    TagNameForm,
)
from messaging.friends.models import Friend, LineUser
from messaging.friends.regions import PREFECTURES
from messaging.friends.selectors import (
    custom_field_get,
    custom_field_list,
    friend_add_url,
    friend_export_rows,
    friend_field_values,
    friend_get,
    friend_note_get,
    friend_notes,
    friend_page,
    friend_source_get,
    friend_source_list,
    friend_source_names,
    friend_tags,
    tag_get,
    tag_list,
    tag_list_with_counts,
)
from messaging.friends.services import (
    custom_field_create,
    friend_fields_set,
    friend_source_create,
    friends_tag_bulk,
    tag_create,
)

EDIT = Perm.EDIT_PROFILE
# Rows per streamed chunk of the CSV export: one server-side cursor fetch
# plus two prefetch queries (tags, field values) per chunk keeps memory
# flat at ~2,000 model instances whatever the number of friends.
EXPORT_CHUNK_SIZE = 2000
QR_BOX_SIZE = 10
QR_BORDER = 4


def _to(name: str, request, **kwargs):
    return redirect(f"friends:{name}", account_slug=request.account.slug, **kwargs)


def _filter_form(request) -> FriendFilterForm:
    account = request.account
    form = FriendFilterForm(
        request.GET,
        tags=list(tag_list(account=account).values_list("pk", "name")),
        sources=list(friend_source_names(account=account).values_list("pk", "name")),
    )
    form.is_valid()
    return form


def _query(request, drop=("after", "before")) -> str:
    """The list's query string without cursors and empty parameters."""
    params = QueryDict(mutable=True)
    for key, values in request.GET.lists():
        if key not in drop:
            params.setlist(key, [v for v in values if v])
    return params.urlencode()


def _list_page(request, form, *, bulk_form=None, status=None):
    account = request.account
    page = friend_page(
        account=account,
        filters=form.filters(),
        after=form.cursor("after"),
        before=form.cursor("before"),
    )
    if bulk_form is None:
        bulk_form = BulkTagForm(tags=form.fields["tag"].choices, prefix="bulk")
    return render(
        request,
        "messaging/friends/list.html",
        {
            "form": form,
            "page": page,
            "query": _query(request),
            "bulk_form": bulk_form,
            "can_edit": request_can(request, EDIT),
        },
        status=status or (400 if form.errors else 200),
    )


@account_view()
def friend_list(request):
    return _list_page(request, _filter_form(request))


@require_POST
@account_view(EDIT)
def friend_bulk_tag(request):
    """Add or remove a tag on every friend matching the list's filters."""
    form = _filter_form(request)
    bulk_form = BulkTagForm(
        request.POST, tags=form.fields["tag"].choices, prefix="bulk"
    )
    if form.errors:
        # Never act on a wider set than the one shown: refuse, don't ignore.
        bulk_form.is_valid()
        bulk_form.add_error(None, _("Fix the filters before tagging."))
        return _list_page(request, form, bulk_form=bulk_form, status=400)
    if not bulk_form.is_valid():
        return _list_page(request, form, bulk_form=bulk_form, status=400)
    tag = tag_get(account=request.account, tag_id=int(bulk_form.cleaned_data["tag"]))
    remove = bulk_form.cleaned_data["action"] == BulkTagForm.REMOVE
    count = friends_tag_bulk(
        account=request.account,
        actor=request.user,
        filters=form.filters(),
        tag=tag,
        remove=remove,
    )
    if remove:
        msg = ngettext(
            "Removed the tag %(tag)s from %(n)d friend.",
            "Removed the tag %(tag)s from %(n)d friends.",
            count,
        )
    else:
        msg = ngettext(
            "Added the tag %(tag)s to %(n)d friend.",
            "Added the tag %(tag)s to %(n)d friends.",
            count,
        )
    messages.success(request, msg % {"tag": tag.name, "n": count})
    url = reverse("friends:friend-list", args=[request.account.slug])
    query = _query(request)
    return redirect(f"{url}?{query}" if query else url)


def _field_value_text(field, value) -> str:
    if value is None:
        return ""
    if field.kind == field.Kind.NUMBER:
        return format(value.value_number.normalize(), "f")
    if field.kind == field.Kind.DATE:
        return value.value_date.isoformat()
    return csv_cell(value.value_text)


def _labels(choices) -> dict[str, str]:
    # Model.get_FOO_display() re-hashes every (lazy) choice on each call:
    # with 47 prefectures that dominated the export's time.
    return {value: str(label) for value, label in choices}


def _export_table(account, filters) -> tuple[list, Iterator[list]]:
    """Header and lazily built rows of the matching friends."""
    tz = account.tz
    fields = list(custom_field_list(account=account))
    status = _labels(Friend.Status.choices)
    gender = _labels(LineUser.Gender.choices)
    os_name = _labels(LineUser.OS.choices)
    region = _labels(PREFECTURES)
    age_band = {band.code: band.label for band in AGE_BANDS}

    def when(value):
        if value is None:
            return ""
        return timezone.localtime(value, tz).strftime("%Y-%m-%d %H:%M:%S")

    header = [
        _("User ID"),
        _("Display name"),
        _("Status"),
        _("Friend since"),
        _("First added"),
        _("Blocked at"),
        _("Gender"),
        _("Age"),
        _("Age band"),
        _("Region"),
        _("OS"),
        _("Source"),
        _("Tags"),
        *(csv_cell(f.name) for f in fields),
    ]

    def rows():
        friends = friend_export_rows(
            account=account, filters=filters, chunk_size=EXPORT_CHUNK_SIZE
        )
        for friend in friends:
            user = friend.line_user
            values = {v.field_id: v for v in friend.field_value_list}
            yield [
                user.user_id,
                csv_cell(user.display_name),
                status.get(friend.status, friend.status),
                when(friend.friend_since),
                when(friend.followed_at),
                when(friend.blocked_at),
                gender.get(user.gender, user.gender),
                "" if user.age is None else user.age,
                age_band[age_band_of(user.age).code],
                region.get(user.region, user.region),
                os_name.get(user.os, user.os),
                csv_cell(friend.source.name) if friend.source else "",
                csv_cell("; ".join(t.name for t in friend.tag_list)),
                *(_field_value_text(f, values.get(f.pk)) for f in fields),
            ]

    return header, rows()


@account_view()
def friend_export(request):
    form = _filter_form(request)
    if form.errors:
        return _list_page(request, form)
    account = request.account
    header, rows = _export_table(account, form.filters())
    stamp = timezone.localtime(timezone.now(), account.tz).strftime("%Y%m%d")
    return csv_response(
        request,
        header=header,
        rows=rows,
        filename=f"friends-{account.slug}-{stamp}.csv",
    )


def _detail(request, friend, *, status=200, **forms):
    account = request.account
    fields = list(custom_field_list(account=account))
    values = friend_field_values(friend=friend)
    forms.setdefault("tag_form", TagNameForm())
    forms.setdefault("note_form", NoteForm())
    forms.setdefault("fields_form", FriendFieldsForm(fields=fields, values=values))
    can_edit = request_can(request, EDIT)
    if not can_edit:
        for field in forms["fields_form"].fields.values():
            field.disabled = True
    return render(
        request,
        "messaging/friends/detail.html",
        {
            "friend": friend,
            "line_user": friend.line_user,
            "age_band": age_band_of(friend.line_user.age),
            "tags": friend_tags(friend=friend),
            "all_tags": tag_list(account=account),
            "notes": friend_notes(friend=friend),
            "can_edit": can_edit,
            **forms,
        },
        status=status,
    )


@account_view()
def friend_detail(request, friend_id: int):
    friend = friend_get(account=request.account, friend_id=friend_id)
    return _detail(request, friend)


@require_POST
@account_view()
def friend_staff_link(request, friend_id: int):
    """POST ``linked=1|0``: this friend is (no longer) my own LINE, for tests."""
    friend = friend_get(account=request.account, friend_id=friend_id)
    linked = request.POST.get("linked") == "1"
    try:
        services.friend_staff_link_set(
            account=request.account, actor=request.user, friend=friend, linked=linked
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return _detail(request, friend, status=400)
    if linked:
        messages.success(request, _("Test messages will come to this friend."))
    else:
        messages.success(request, _("Test messages no longer come to this friend."))
    return _to("friend-detail", request, friend_id=friend.pk)


@require_POST
@account_view(EDIT)
def friend_tag_add(request, friend_id: int):
    friend = friend_get(account=request.account, friend_id=friend_id)
    form = TagNameForm(request.POST)
    if form.is_valid():
        try:
            tag = services.friend_tag_add(
                account=request.account,
                actor=request.user,
                friend=friend,
                name=form.cleaned_data["name"],
            )
        except ApplicationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Tagged with %(tag)s.") % {"tag": tag.name})
            return _to("friend-detail", request, friend_id=friend.pk)
    return _detail(request, friend, tag_form=form, status=400)


@require_POST
@account_view(EDIT)
def friend_tag_remove(request, friend_id: int, tag_id: int):
    friend = friend_get(account=request.account, friend_id=friend_id)
    tag = tag_get(account=request.account, tag_id=tag_id)
    services.friend_tag_remove(
        account=request.account, actor=request.user, friend=friend, tag=tag
    )
    messages.success(request, _("Removed the tag %(tag)s.") % {"tag": tag.name})
    return _to("friend-detail", request, friend_id=friend.pk)


@require_POST
@account_view(EDIT)
def friend_fields_update(request, friend_id: int):
    account = request.account
    friend = friend_get(account=account, friend_id=friend_id)
    form = FriendFieldsForm(
        request.POST,
        fields=custom_field_list(account=account),
        values={},
    )
    if form.is_valid():
        try:
            friend_fields_set(
                account=account, actor=request.user, friend=friend, values=form.values()
            )
        except ApplicationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Fields saved."))
            return _to("friend-detail", request, friend_id=friend.pk)
    return _detail(request, friend, fields_form=form, status=400)


@require_POST
@account_view(EDIT)
def friend_note_add(request, friend_id: int):
    friend = friend_get(account=request.account, friend_id=friend_id)
    form = NoteForm(request.POST)
    if form.is_valid():
        try:
            services.friend_note_add(
                account=request.account,
                actor=request.user,
                friend=friend,
                body=form.cleaned_data["body"],
            )
        except ApplicationError as exc:
            form_errors_from(form, exc)
        else:
            messages.success(request, _("Note added."))
            return _to("friend-detail", request, friend_id=friend.pk)
    return _detail(request, friend, note_form=form, status=400)


@require_POST
@account_view(EDIT)
def friend_note_delete(request, friend_id: int, note_id: int):
    friend = friend_get(account=request.account, friend_id=friend_id)
    note = friend_note_get(account=request.account, friend=friend, note_id=note_id)
    services.friend_note_delete(account=request.account, actor=request.user, note=note)
    messages.success(request, _("Note deleted."))
    return _to("friend-detail", request, friend_id=friend.pk)


@account_view()
def friend_fields(request):
    account = request.account
    field_form = CustomFieldForm()
    tag_form = TagNameForm()
    status = 200
    if request.method == "POST":
        request_require(request, EDIT)
        if request.POST.get("form") == "tag":
            tag_form = TagNameForm(request.POST)
            if tag_form.is_valid():
                try:
                    tag = tag_create(
                        account=account,
                        actor=request.user,
                        name=tag_form.cleaned_data["name"],
                    )
                except ApplicationError as exc:
                    form_errors_from(tag_form, exc)
                else:
                    messages.success(
                        request, _("Created the tag %(tag)s.") % {"tag": tag.name}
                    )
                    return _to("friend-fields", request)
        else:
            field_form = CustomFieldForm(request.POST)
            if field_form.is_valid():
                data = field_form.cleaned_data
                try:
                    field = custom_field_create(
                        account=account,
                        actor=request.user,
                        name=data["name"],
                        kind=data["kind"],
                        choices=data["choices"],
                    )
                except ApplicationError as exc:
                    form_errors_from(field_form, exc)
                else:
                    messages.success(
                        request,
                        _("Created the field %(name)s.") % {"name": field.name},
                    )
                    return _to("friend-fields", request)
        status = 400
    return render(
        request,
        "messaging/friends/fields.html",
        {
            "fields": custom_field_list(account=account),
            "tags": tag_list_with_counts(account=account),
            "field_form": field_form,
            "tag_form": tag_form,
            "can_edit": request_can(request, EDIT),
        },
        status=status,
    )


@require_POST
@account_view(EDIT)
def custom_field_delete(request, field_id: int):
    field = custom_field_get(account=request.account, field_id=field_id)
    services.custom_field_delete(
        account=request.account, actor=request.user, field=field
    )
    messages.success(request, _("Deleted the field %(name)s.") % {"name": field.name})
    return _to("friend-fields", request)


@require_POST
@account_view(EDIT)
def tag_delete(request, tag_id: int):
    tag = tag_get(account=request.account, tag_id=tag_id)
    services.tag_delete(account=request.account, actor=request.user, tag=tag)
    messages.success(request, _("Deleted the tag %(tag)s.") % {"tag": tag.name})
    return _to("friend-fields", request)


def _button_snippet(url: str) -> str:
    """Self-contained add-friend button HTML for a shop's website."""
    return format_html(
        '<a href="{}" target="_blank" rel="noopener" style="display:inline-block;'
        "padding:8px 20px;border-radius:6px;background:#06c755;color:#fff;"
        'font:bold 15px sans-serif;text-decoration:none">{}</a>',
        url,
        _("Add friend"),
    )


def _qr_response(url: str, fmt: str, filename: str, download: bool) -> HttpResponse:
    if fmt == "svg":
        image = qrcode.make(
            url,
            image_factory=qrcode.image.svg.SvgPathFillImage,
            error_correction=qrcode.constants.ERROR_CORRECT_M,
            box_size=QR_BOX_SIZE,
            border=QR_BORDER,
        )
        response = HttpResponse(image.to_string(), content_type="image/svg+xml")
    else:
        image = qrcode.make(
            url,
            error_correction=qrcode.constants.ERROR_CORRECT_M,
            box_size=QR_BOX_SIZE,
            border=QR_BORDER,
        )
        buffer = io.BytesIO()
        image.save(buffer)
        response = HttpResponse(buffer.getvalue(), content_type="image/png")
    if download:
        response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    response["Cache-Control"] = "private, max-age=3600"
    return response


@account_view()
def gain_friends(request):
    account = request.account
    form = SourceCreateForm()
    status = 200
    if request.method == "POST":
        request_require(request, EDIT)
        form = SourceCreateForm(request.POST)
        if form.is_valid():
            try:
                source = friend_source_create(
                    account=account, actor=request.user, name=form.cleaned_data["name"]
                )
            except ApplicationError as exc:
                form_errors_from(form, exc)
            else:
                messages.success(
                    request, _("Created the source %(name)s.") % {"name": source.name}
                )
                return _to("friend-gain", request)
        status = 400
    url = friend_add_url(account=account)
    sources = [
        (source, friend_add_url(account=account, source=source))
        for source in friend_source_list(account=account)
    ]
    return render(
        request,
        "messaging/friends/gain.html",
        {
            "add_url": url,
            "button_html": _button_snippet(url),
            "sources": sources,
            "form": form,
            "can_edit": request_can(request, EDIT),
        },
        status=status,
    )


@account_view()
def friend_qr(request, fmt: str):
    account = request.account
    return _qr_response(
        friend_add_url(account=account),
        fmt,
        f"friend-qr-{account.slug}",
        download="download" in request.GET,
    )


@account_view()
def source_qr(request, source_id: int, fmt: str):
    account = request.account
    source = friend_source_get(account=account, source_id=source_id)
    return _qr_response(
        friend_add_url(account=account, source=source),
        fmt,
        f"friend-qr-{account.slug}-{source.code}",
        download="download" in request.GET,
    )
