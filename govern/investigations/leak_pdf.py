"""A leak report as PDF (`leak_report.leak_report`'s facts, Chinese first with English beside),
set in reportlab's built-in CID font STSong-Light so Chinese renders without a font file.
The inclusion proofs stay in the JSON report: the PDF names the checkpoint and each event's
number, by which an auditor finds its proof."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from govern.investigations.exposure import view_name

FONT = "STSong-Light"
#: A time of the report (RFC 3339, or None) as the PDF writes it: in the company's zone.
Timer = Callable[[str | None], str]


def report_pdf(report: dict[str, Any], zone: tzinfo) -> bytes:
    """The report as a PDF document; its times in `zone` (the company's)."""
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    scope = report["investigation"]
    out = io.BytesIO()
    document = SimpleDocTemplate(out, pagesize=A4, title=f"Leak report {scope['id']}")
    document.build(_story(report, zone))
    return out.getvalue()


def _story(report: dict[str, Any], zone: tzinfo) -> list[Any]:
    at = _timer(zone)
    return [*_header(report, at), *_sections(report, at)]


def _header(report: dict[str, Any], at: Timer) -> list[Any]:
    """The title, the investigation and its reporting clock."""
    scope, clock, graded = report["investigation"], report["clock"], report["graded"]
    return [
        Paragraph(escape(f"泄露事件报告 Leak report · {scope['id']}"), _style(16)),
        Spacer(0, 6),
        _table(
            [
                ["立案 Opened", f"{at(scope['opened_at'])} · {scope['opened_by']}"],
                ["时间范围 Window", f"{at(scope['from'])} - {at(scope['to'])}"],
                ["泄露的债务人 Leaked debtors", str(len(scope["debtor_ids"]))],
                ["可疑账号 Suspect account", scope["suspect"] or "—"],
                ["定级 Grade", f"{graded['label']} {graded['label_en']}"],
                ["报告截止 Deadline (4 h)", at(clock["deadline"])],
                ["状态 State", _clock_words(clock)],
                ["生成时间 Produced", at(report["produced_at"])],
            ]
        ),
    ]


def _sections(report: dict[str, Any], at: Timer) -> list[Any]:
    """What was exposed, to whom, of whom, each event, the timeline, the checkpoint."""
    return [
        *_categories(report),
        *_accounts(report, at),
        *_debtors(report),
        *_exposures(report, at),
        *_timeline(report, at),
        Paragraph(escape(_anchor_words(report["checkpoint"])), _style(9)),
    ]


def _categories(report: dict[str, Any]) -> list[Any]:
    return _section(
        "信息类别 Categories exposed",
        [
            "类别 Category",
            "完整显示的字段 Fields in full",
            "债务人 Debtors",
            "仅遮盖显示的字段 Fields masked only",
            "仅遮盖的债务人 Debtors masked only",
        ],
        [
            [
                f"{c['label']} {c['label_en']}",
                _names(c["fields"]),
                str(c["debtors"]),
                _names(c["masked"]),
                str(c["masked_debtors"]),
            ]
            for c in report["categories"]
        ],
    )


def _accounts(report: dict[str, Any], at: Timer) -> list[Any]:
    return _section(
        "涉及账号 Accounts involved",
        [
            "账号 Account",
            "状态 State",
            "人员 Person",
            "债务人 Debtors",
            "仅遮盖 Masked only",
            "首次 First",
            "最后 Last",
        ],
        [
            [
                a["account"],
                a["state"],
                a["person"] or "",
                str(a["debtors"]),
                str(a["masked_debtors"]),
                at(a["first"]),
                at(a["last"]),
            ]
            for a in report["accounts"]
        ],
    )


def _debtors(report: dict[str, Any]) -> list[Any]:
    return _section(
        "受影响的债务人 Affected debtors",
        [
            "债务人 Debtor",
            "完整显示的类别 Categories in full",
            "账号 Accounts",
            "仅遮盖显示的字段 Fields masked only",
            "仅遮盖的账号 Accounts masked only",
        ],
        [
            [
                d["debtor"],
                _names(d["categories"]),
                _names(d["accounts"]),
                _names(d["masked"]),
                _names(d["masked_accounts"]),
            ]
            for d in report["debtors"]
        ],
    )


def _exposures(report: dict[str, Any], at: Timer) -> list[Any]:
    return _section(
        "查看记录 Exposures",
        [
            "序号 Seq",
            "时间 Time",
            "方式 Seen in",
            "账号 Account",
            "债务人 Debtor",
            "完整 In full",
            "遮盖 Masked",
            "锚定 Anchored",
        ],
        [
            [
                str(e["seq"]),
                at(e["at"]),
                f"{view_name(e['view'], 'zh')} {view_name(e['view'], 'en')}",
                e["account"],
                e["debtor"],
                _names(e["fields"]),
                _names(e["masked"]),
                "是 yes" if e["proof"] else "否 not yet",
            ]
            for e in report["exposures"]
        ],
    )


def _timeline(report: dict[str, Any], at: Timer) -> list[Any]:
    return _section(
        "时间线 Timeline",
        ["时间 Time", "事件 Event", "账号 Account"],
        [[at(t["at"]), t["what"], t["actor"] or ""] for t in report["timeline"]],
    )


def _names(names: list[str]) -> str:
    return ", ".join(names)


def _section(title: str, headings: list[str], rows: list[list[str]]) -> list[Any]:
    body = rows or [["无 none"] + [""] * (len(headings) - 1)]
    return [Spacer(0, 10), Paragraph(title, _style(12)), _table([headings, *body], header=True)]


def _table(rows: list[list[str]], header: bool = False) -> Table:
    cells = [[Paragraph(escape(cell), _style(8)) for cell in row] for row in rows]
    table = Table(cells, repeatRows=1 if header else 0)
    style = [("GRID", (0, 0), (-1, -1), 0.25, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP")]
    if header:
        style.append(("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke))
    table.setStyle(TableStyle(style))
    return table


def _style(size: int) -> ParagraphStyle:
    return ParagraphStyle(f"s{size}", fontName=FONT, fontSize=size, leading=size * 1.4)


def _timer(zone: tzinfo) -> Timer:
    def at(value: str | None) -> str:
        if not value:
            return "—"
        # With its offset (+08:00 for Beijing time): a time without a zone is ambiguous.
        return datetime.fromisoformat(value).astimezone(zone).isoformat(sep=" ", timespec="seconds")

    return at


def _clock_words(clock: dict[str, Any]) -> str:
    minutes = (clock["seconds_left"] or clock["seconds_overdue"]) // 60
    hours = f"{minutes // 60} h {minutes % 60:02d} min"
    if clock["state"] == "overdue":
        return f"已逾期 overdue by {hours}"
    return f"剩余 {hours} left"


def _anchor_words(checkpoint: dict[str, Any] | None) -> str:
    if checkpoint is None:
        return "尚无签名检查点 No signed checkpoint yet: no event is anchored."
    return (
        f"签名检查点 Signed checkpoint: {checkpoint['tree_size']} events, root "
        f"{checkpoint['root_hash']}, key {checkpoint['key_id']}, {checkpoint['time']}. "
        "每条记录的包含证明见 JSON 报告 Each event's inclusion proof is in the JSON report."
    )
