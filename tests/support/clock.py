"""The tests' "now"."""

from datetime import datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
#: A Saturday morning in the company's time zone.
NOW = datetime(2026, 11, 28, 10, 0, tzinfo=SHANGHAI)
