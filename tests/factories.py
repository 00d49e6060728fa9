"""factory_boy factories. Domain rows that services create are created
through the services (``account_create``) so tests see real invariants."""

import factory
from factory.django import DjangoModelFactory

from accounts.models import Membership, Plan, User
from accounts.services import account_create
from messaging.friends.models import Friend, LineUser

PASSWORD = "correct horse battery staple"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or PASSWORD)
        if create:
            self.save(update_fields=["password"])


def make_account(*, admin: User, name: str = "Demo Café", plan_code: str = "light"):
    return account_create(
        actor=admin, display_name=name, plan=Plan.objects.get(code=plan_code)
    )


def add_member(account, user: User, role: str) -> Membership:
    return Membership.objects.create(account=account, user=user, role=role)


class LineUserFactory(DjangoModelFactory):
    class Meta:
        model = LineUser

    user_id = factory.Sequence(lambda n: f"U{n:032x}")
    display_name = factory.Faker("first_name")
    gender = LineUser.Gender.FEMALE
    age = 30
    region = "jp_13"
    os = LineUser.OS.IOS


class FriendFactory(DjangoModelFactory):
    class Meta:
        model = Friend

    line_user = factory.SubFactory(LineUserFactory)
    status = Friend.Status.FOLLOWING
