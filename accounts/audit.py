"""What each audit-log action code means, in the viewer's language.

Codes are stored (``AuditLog.action``, stable, searchable); labels are
rendered at display time (issue 14, #11). ``tests/accounts/test_audit_labels``
fails when a service records a code that has no label here.
"""

from django.utils.translation import gettext_lazy as _

AUDIT_ACTION_LABELS = {
    "account.additional_cap_set": _("Additional-message cap set"),
    "account.badge_set": _("Account badge set"),
    "account.create": _("Account created"),
    "account.picture_update": _("Profile picture changed"),
    "account.plan_change": _("Plan changed"),
    "account.profile_update": _("Profile changed"),
    "account.quota_override_set": _("Message limit overridden"),
    "account.resume": _("Account resumed"),
    "account.suspend": _("Account suspended"),
    "auto_response.delete": _("Auto-response deleted"),
    "auto_response.save": _("Auto-response saved"),
    "broadcast.cancel": _("Broadcast cancelled"),
    "broadcast.copy": _("Broadcast copied"),
    "broadcast.create": _("Broadcast draft created"),
    "broadcast.update": _("Broadcast draft changed"),
    "broadcast.delete": _("Broadcast deleted"),
    "broadcast.image_upload": _("Broadcast image uploaded"),
    "broadcast.media_upload": _("Broadcast video or audio uploaded"),
    "broadcast.pause": _("Broadcast paused"),
    "broadcast.resume": _("Broadcast resumed"),
    "broadcast.schedule": _("Broadcast scheduled"),
    "broadcast.send": _("Broadcast sent"),
    "broadcast.test_send": _("Test message sent"),
    "canned_reply.create": _("Canned reply created"),
    "canned_reply.delete": _("Canned reply deleted"),
    "canned_reply.update": _("Canned reply changed"),
    "channel_token.issue": _("Channel access token issued"),
    "channel_token.revoke": _("Channel access token revoked"),
    "chat_settings.update": _("Business hours changed"),
    "conversation.assign": _("Chat assigned"),
    "custom_field.create": _("Custom field created"),
    "custom_field.delete": _("Custom field deleted"),
    "friend.fields_update": _("Friend's fields changed"),
    "friend.note_add": _("Note added"),
    "friend.note_delete": _("Note deleted"),
    "friend.staff_link": _("Own LINE linked for test messages"),
    "friend.staff_unlink": _("Own LINE unlinked from test messages"),
    "friend.tag_add": _("Tag added to a friend"),
    "friend.tag_remove": _("Tag removed from a friend"),
    "friend_source.create": _("Friend source created"),
    "friends.tag_bulk_remove": _("Tag removed from many friends"),
    "greeting.update": _("Greeting message changed"),
    "member.invite": _("Member invited"),
    "member.invite_revoke": _("Invitation revoked"),
    "coupon.close": _("Coupon closed"),
    "coupon.create": _("Coupon created"),
    "member.join": _("Member joined"),
    "member.remove": _("Member removed"),
    "member.role_change": _("Member's role changed"),
    "response_mode.update": _("Response settings changed"),
    "segment.delete": _("Segment deleted"),
    "segment.save": _("Segment saved"),
    "step_sequence.save": _("Step messages saved"),
    "step_sequence.stop_all": _("Step messages stopped for everyone"),
    "step_sequence.stop_friend": _("Step messages stopped for a friend"),
    "richmenu.create": _("Rich menu created"),
    "richmenu.default": _("Rich menu set as default"),
    "richmenu.default_cancel": _("Default rich menu removed"),
    "richmenu.delete": _("Rich menu deleted"),
    "richmenu.tag_rule_create": _("Rich menu tag rule added"),
    "richmenu.tag_rule_delete": _("Rich menu tag rule removed"),
    "tag.create": _("Tag created"),
    "tag.delete": _("Tag deleted"),
    "webhook.redeliver": _("Webhook event redelivered"),
    "webhook.update": _("Webhook settings changed"),
}


def audit_action_label(code: str) -> str:
    """The label of ``code`` in the active language; the code itself when
    unknown (an entry written by a newer version must still show)."""
    return str(AUDIT_ACTION_LABELS.get(code, code))
