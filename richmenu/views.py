"""The Manager's rich menu pages at ``/manager/<account>/richmenus/``.

Thin views: a form, one service, a redirect. Every role may build menus;
publishing (the Manager's default, deleting) needs ``Perm.SEND``, as
drafts-only roles may not reach customers. Another account's menu is 404.
"""

import json

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.decorators import account_view
from accounts.permissions import Perm, request_can
from core.exceptions import ApplicationError
from core.forms import form_errors_from
from messaging.friends.selectors import tag_list
from richmenu import selectors, services
from richmenu.forms import RichMenuForm, TagRuleForm, initial_from_menu
from richmenu.layouts import LAYOUTS, layout_bounds
from richmenu.maker import richmenu_image_make
from richmenu.models import MAX_AREAS, RichMenu
from richmenu.rendering import menu_view, menu_view_of


def _layouts_json() -> str:
    """Each layout's size and area bounds, for the editor's live preview."""
    return json.dumps(
        {
            name: {"size": layout_bounds(name)[0], "bounds": layout_bounds(name)[1]}
            for name in LAYOUTS
        }
    )


@account_view()
def richmenu_list(request):
    account = request.account
    default = selectors.richmenu_default_get(
        account=account, origin=RichMenu.Origin.MANAGER
    )
    menus = selectors.richmenu_list(account=account, origin=RichMenu.Origin.MANAGER)
    return render(
        request,
        "richmenu/list.html",
        {
            "menus": [(m, menu_view_of(m)) for m in menus],
            "default_id": default.pk if default else None,
            "can_publish": request_can(request, Perm.SEND),
            "rules": selectors.tag_rule_list(account=account),
            "rule_form": _tag_rule_form(account),
        },
    )


def _tag_rule_form(account, data=None) -> TagRuleForm:
    return TagRuleForm(
        data,
        tags=tag_list(account=account),
        menus=selectors.richmenu_list(
            account=account, origin=RichMenu.Origin.MANAGER
        ).exclude(image=""),
    )


@account_view(Perm.SEND)
@require_POST
def richmenu_tag_rule_create(request):
    """ "Friends with tag X see menu Y"; errors come back as a message."""
    form = _tag_rule_form(request.account, request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a tag and a menu with an image."))
    else:
        try:
            services.richmenu_tag_rule_create(
                account=request.account,
                actor=request.user,
                tag=form.cleaned_data["tag"],
                menu=form.cleaned_data["menu"],
            )
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Friends with this tag now see the menu."))
    return redirect("richmenu:richmenu-list", request.account.slug)


@account_view(Perm.SEND)
@require_POST
def richmenu_tag_rule_delete(request, rule_id: int):
    rule = selectors.tag_rule_get(account=request.account, rule_id=rule_id)
    services.richmenu_tag_rule_delete(rule=rule, actor=request.user)
    messages.success(request, _("Tag rule removed."))
    return redirect("richmenu:richmenu-list", request.account.slug)


@account_view()
def richmenu_create(request):
    return _editor(request, None)


@account_view()
def richmenu_update(request, menu_id: int):
    """The editor filled in from a saved menu; saving makes a new version
    (a new LINE ID, the same Manager ID and URL)."""
    menu = selectors.richmenu_get_by_pk(account=request.account, pk=menu_id)
    if menu.origin != RichMenu.Origin.MANAGER:
        raise Http404  # the API's menus are the bot's, as on LINE
    return _editor(request, menu)


def _editor(request, menu: RichMenu | None):
    account = request.account
    can_publish = request_can(request, Perm.SEND)
    initial = None
    if menu is not None:
        tab = menu.aliases.order_by("id").first()
        default = selectors.richmenu_default_get(
            account=account, origin=RichMenu.Origin.MANAGER
        )
        initial = initial_from_menu(
            menu,
            alias_id=tab.alias_id if tab else "",
            is_default=default is not None and default.pk == menu.pk,
        )
    form = RichMenuForm(
        request.POST or None,
        request.FILES or None,
        initial=initial,
        account=request.account,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["image"]
        image, content_type, made = None, "", False
        if upload:
            image, content_type = upload.read(), upload.content_type or ""
        elif (
            menu is None
            or menu.image_made
            or (menu.width, menu.height) != tuple(data["size"])
        ):
            image = richmenu_image_make(
                size=data["size"], bounds=data["bounds"], tiles=data["tiles"]
            )
            content_type, made = "image/jpeg", True
        else:
            made = False  # the uploaded picture is kept
        fields = {
            "actor": request.user,
            "data": data["menu"],
            "image": image,
            "content_type": content_type,
            "display_from": data["display_from"],
            "display_until": data["display_until"],
            "make_default": data["make_default"],
            "alias_id": data["alias_id"] or "",
            "layout": data["layout"],
            "tiles": data["tiles"],
            "image_made": made,
        }
        try:
            if not can_publish and (
                data["make_default"]
                or (menu is not None and services.richmenu_is_published(menu=menu))
            ):
                raise ApplicationError(
                    _("Your role may prepare menus but not publish them.")
                )
            if menu is None:
                services.richmenu_manager_create(account=account, **fields)
            else:
                services.richmenu_manager_update(menu=menu, **fields)
        except services.RichMenuInvalid as error:
            for detail in error.errors:
                if detail["property"] == "alias_id":
                    form.add_error("alias_id", _("This tab ID is already used."))
                elif detail["message"] == "richmenu alias not found":
                    # "areas[k].action.richMenuAliasId" → the k-th area with
                    # an action in the form
                    index = int(detail["property"][6:].split("]")[0])
                    field = data["area_fields"][index]
                    form.add_error(field, _("No menu has this tab ID."))
                else:
                    form.add_error(None, f"{detail['property']}: {detail['message']}")
        except ApplicationError as error:
            form_errors_from(form, error, field="image")
        else:
            if menu is None:
                messages.success(request, _("Rich menu created."))
            else:
                messages.success(request, _("Rich menu saved as a new version."))
            return redirect("richmenu:richmenu-list", account.slug)
    layout = form["layout"].value() or "large-6"
    size, bounds = layout_bounds(layout if layout in LAYOUTS else "large-6")
    preview = menu_view(
        width=size[0],
        height=size[1],
        areas=[{"bounds": b, "action": {}} for b in bounds],
        chat_bar_text=form["chat_bar_text"].value() or _("Menu"),
        selected=True,
        image_url=menu.image.url if menu and not menu.image_made else "",
    )
    return render(
        request,
        "richmenu/edit.html",
        {
            "form": form,
            "menu": menu,
            "preview": preview,
            "layouts_json": _layouts_json(),
            "can_publish": can_publish,
            "max_areas": MAX_AREAS,
        },
    )


@account_view(Perm.SEND)
@require_POST
def richmenu_default(request, menu_id: int):
    menu = selectors.richmenu_get_by_pk(account=request.account, pk=menu_id)
    if request.POST.get("cancel"):
        services.richmenu_manager_default_cancel(
            account=request.account, actor=request.user
        )
        messages.success(request, _("Friends no longer see a default rich menu."))
    else:
        services.richmenu_manager_default_set(menu=menu, actor=request.user)
        messages.success(request, _("Friends now see this rich menu."))
    return redirect("richmenu:richmenu-list", request.account.slug)


@account_view(Perm.SEND)
@require_POST
def richmenu_delete(request, menu_id: int):
    menu = selectors.richmenu_get_by_pk(account=request.account, pk=menu_id)
    services.richmenu_manager_delete(menu=menu, actor=request.user)
    messages.success(request, _("Rich menu deleted."))
    return redirect("richmenu:richmenu-list", request.account.slug)
