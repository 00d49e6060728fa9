from django import forms
from django.contrib.auth.forms import UserCreationForm
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership, OfficialAccount, Plan, User


class AccountCreateForm(forms.Form):
    display_name = forms.CharField(label=_("Account name"), max_length=20)
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=OfficialAccount._meta.get_field("time_zone").choices,
        initial="Asia/Tokyo",
    )

    def clean_display_name(self):
        name = self.cleaned_data["display_name"].strip()
        if not name:
            raise forms.ValidationError(_("Enter a name."))
        return name


class AccountProfileForm(forms.ModelForm):
    class Meta:
        model = OfficialAccount
        fields = ["display_name", "status_message", "time_zone", "allow_group_join"]
        widgets = {"status_message": forms.Textarea(attrs={"rows": 3})}

    def clean_display_name(self):
        name = self.cleaned_data["display_name"].strip()
        if not name:
            raise forms.ValidationError(_("Enter a name."))
        return name


class PictureForm(forms.Form):
    # A plain FileField: Pillow checks happen once, in the service.
    picture = forms.FileField(label=_("Profile image (JPEG or PNG, up to 3 MB)"))


class InviteForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)
    email = forms.EmailField(label=_("E-mail (optional)"), required=False)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)


class PlanChangeForm(forms.Form):
    plan = forms.ModelChoiceField(
        label=_("Plan from next month"), queryset=Plan.objects.all(), empty_label=None
    )


class AdditionalCapForm(forms.Form):
    additional_cap = forms.IntegerField(
        label=_("Cap on additional messages per month"),
        min_value=0,
        max_value=100_000_000,
    )


class TokenIssueForm(forms.Form):
    label = forms.CharField(label=_("Label"), max_length=100, required=False)


class SignupForm(UserCreationForm):
    """Sign up from an invite link; the invited address cannot be changed."""

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ["username", "email"]

    def __init__(self, *args, invited_email: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        if invited_email:
            # A disabled field takes its initial value whatever is posted.
            self.fields["email"].disabled = True
            self.fields["email"].initial = invited_email
