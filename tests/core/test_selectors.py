"""get_or_not_found: "not yours" and "not there" are the same NotFound."""

import pytest

from core.exceptions import NotFound
from core.selectors import get_or_not_found
from messaging.friends.models import Tag

pytestmark = pytest.mark.django_db


def test_returns_the_accounts_own_row(account):
    tag = Tag.objects.create(account=account, name="vip")
    found = get_or_not_found(Tag.objects.filter(account=account), pk=tag.pk)
    assert (found, found.name) == (tag, "vip")


def test_another_accounts_row_is_not_found(account, other_account):
    # given a tag of Charlie's Bakery
    theirs = Tag.objects.create(account=other_account, name="vip")
    # when Demo Café asks for it by id
    with pytest.raises(NotFound) as excinfo:
        get_or_not_found(Tag.objects.filter(account=account), pk=theirs.pk)
    # then it is as missing as an unknown id, with the same message
    with pytest.raises(NotFound) as missing:
        get_or_not_found(Tag.objects.filter(account=account), pk=theirs.pk + 1000)
    assert excinfo.value.message == missing.value.message == "Not found."
    assert excinfo.value.details == {}


def test_a_model_class_means_its_default_manager(account):
    tag = Tag.objects.create(account=account, name="vip")
    assert get_or_not_found(Tag, account=account, name="vip") == tag
    with pytest.raises(NotFound):
        get_or_not_found(Tag, account=account, name="nope")


def test_the_lookup_keeps_the_querysets_joins(account, django_assert_num_queries):
    tag = Tag.objects.create(account=account, name="vip")
    with django_assert_num_queries(1):
        found = get_or_not_found(
            Tag.objects.filter(account=account).select_related("account"), pk=tag.pk
        )
        assert found.account.display_name == "Demo Café"
