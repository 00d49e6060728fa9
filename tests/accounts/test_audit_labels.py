"""Every audit-log code a service records has a label (issue 14, #11)."""

import re
from pathlib import Path

from django.conf import settings
from django.utils import translation

from accounts.audit import AUDIT_ACTION_LABELS, audit_action_label

APPS = ("accounts", "analytics", "chat", "messaging", "talk", "richmenu", "shopcard")


def test_every_recorded_action_code_has_a_label():
    recorded = set()
    for app in APPS:
        for path in (Path(settings.BASE_DIR) / app).rglob("*.py"):
            recorded |= set(
                re.findall(r'action\s*=\s*"([a-z_]+\.[a-z_]+)"', path.read_text())
            )
    assert len(recorded) >= 50
    assert recorded - set(AUDIT_ACTION_LABELS) == set()


def test_labels_follow_the_viewer_language_and_unknown_codes_show_as_is():
    with translation.override("ja"):
        assert audit_action_label("broadcast.send") == "配信を開始"
    with translation.override("en"):
        assert audit_action_label("broadcast.send") == "Broadcast sent"
    assert audit_action_label("future.thing") == "future.thing"
