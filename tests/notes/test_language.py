"""The language check of notes and scripts (R-NTE-3), tested directly: the policy's terms in
every disguise the issue names, allowed contexts, whole English words, and where each hit
stands in the text as typed. The agent statement's openings (R-CON-6) at the end."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govern.errors import ConfigError
from govern.notes.agent_statement import agent_statement
from govern.notes.language import (
    Hit,
    LanguageCheck,
    TermGroup,
    language_check,
    refusal,
    term_groups,
)

POLICIES = Path(__file__).resolve().parents[2] / "policies"
FULL_WIDTH = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


@pytest.fixture(scope="module")
def check() -> LanguageCheck:
    return language_check(POLICIES)


def found(check: LanguageCheck, text: str) -> list[tuple[str, str]]:
    """Each hit as (the policy's term, the characters typed)."""
    return [(hit.term, text[hit.start : hit.end]) for hit in check.hits(text)]


@pytest.mark.parametrize(
    "term",
    ["公安", "检察院", "法院", "执法", "律师", "律师函", "征信", "减免", "分期"],
)
def test_r_nte_3_every_named_term_is_caught(check: LanguageCheck, term: str) -> None:
    assert found(check, f"客户表示{term}的事情") == [(term, term)]


@pytest.mark.parametrize(
    "typed",
    [
        "律 师",
        "律-师",
        "律\u200b师",  # zero-width space
        "律\u3000师",  # ideographic space
        "律，。师",
        "律\n师",
        "律\u200d\u00ad师",  # zero-width joiner, soft hyphen
        "律师".translate(FULL_WIDTH),
        "\uff0c律师",
        "律師",  # traditional
        "律 師",
    ],
)
def test_r_nte_3_lawyer_is_caught_however_it_is_written(check: LanguageCheck, typed: str) -> None:
    text = f"他说要找{typed}。"
    assert found(check, text) == [("律师", typed.lstrip("\uff0c"))]


def test_r_nte_3_full_width_and_capital_english_is_caught(check: LanguageCheck) -> None:
    for typed in ("lawyer".translate(FULL_WIDTH), "LAWYER", "Lawyer", "l a w y e r", "l-a-w-y-e-r"):
        assert found(check, f"we will send a {typed} today") == [("lawyer", typed)]


@pytest.mark.parametrize(
    ("typed", "term"),
    [
        ("檢察院", "检察院"),
        ("徵信", "征信"),
        ("減免", "减免"),
        ("執法", "执法"),
        ("律師函", "律师函"),
    ],
)
def test_r_nte_3_traditional_characters_are_read_as_simplified(
    check: LanguageCheck, typed: str, term: str
) -> None:
    assert found(check, f"告知{typed}") == [(term, typed)]


def test_r_nte_3_positions_are_those_of_the_text_as_typed(check: LanguageCheck) -> None:
    court = "Court".translate(FULL_WIDTH)
    text = f"ﬁ ß 电话里提到 律 - 師 和 {court}，还有分期"
    hits = check.hits(text)
    assert [(hit.term, hit.start, hit.end) for hit in hits] == [
        ("律师", 10, 15),
        ("court", 18, 23),
        ("分期", 26, 28),
    ]
    assert [text[hit.start : hit.end] for hit in hits] == ["律 - 師", court, "分期"]


CHINESE_TERMS = sorted(
    {term for group in term_groups(POLICIES) for term in group.terms if not term.isascii()}
)
#: What a writer may slip between characters; and harmless words around the term.
SEPARATORS = st.text(alphabet=" \u3000\u200b\u200d\u00ad\ufeff-_.,，。、·*/\\|~\n\t", max_size=3)
FILLER = st.text(alphabet="我们今天已经电话提醒客户本人核实地址工作单位", max_size=12)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(CHINESE_TERMS),
    st.lists(SEPARATORS, min_size=8, max_size=8),
    FILLER,
    FILLER,
    st.booleans(),
)
def test_r_nte_3_any_term_with_anything_slipped_between_is_found_where_it_was_typed(
    term: str, gaps: list[str], before: str, after: str, wide: bool
) -> None:
    typed = term[0] + "".join(gap + char for gap, char in zip(gaps, term[1:], strict=False))
    typed = typed.translate(FULL_WIDTH) if wide else typed
    text = before + typed + after
    spans = {(text[hit.start : hit.end], hit.term) for hit in language_check(POLICIES).hits(text)}
    assert (typed, term) in spans or any(typed in shown for shown, _ in spans), spans


def test_r_nte_3_a_hit_names_its_rule_and_category(check: LanguageCheck) -> None:
    assert check.hits("发律师函") == [Hit("律师函", "R-NTE-3", "lawyers_letter", 1, 4)]
    assert [hit.category for hit in check.hits("上征信，要坐牢，可以减免")] == [
        "credit_report",
        "threat",
        "reduction_or_instalment",
    ]


def test_r_nte_3_a_term_inside_a_longer_one_is_reported_once(check: LanguageCheck) -> None:
    assert found(check, "律师函") == [("律师函", "律师函")]
    assert found(check, "律师和律师函") == [("律师", "律师"), ("律师函", "律师函")]


def test_r_nte_3_court_inside_a_creditors_registered_name_is_allowed(check: LanguageCheck) -> None:
    assert found(check, "本案委托方为工商银行法院街支行") == []
    assert found(check, "本案委托方为工商银行法院 街 支 行") == []
    assert found(check, "法院街支行说会去法院") == [("法院", "法院")]
    assert [h.start for h in check.hits("法院街支行说会去法院")] == [8]


def test_r_nte_3_a_context_allows_only_its_own_groups_terms(check: LanguageCheck) -> None:
    assert found(check, "分期乐的账单") == []
    assert found(check, "分期乐的账单可以分期") == [("分期", "分期")]


def test_r_nte_3_english_terms_are_whole_words(check: LanguageCheck) -> None:
    assert found(check, "Please be courteous; the courtyard is closed.") == []
    assert found(check, "He will go to court.") == [("court", "court")]
    assert found(check, "Court, then jail") == [("court", "Court"), ("jail", "jail")]
    assert found(check, "the police's report") == [("police", "police")]


def test_r_nte_3_clean_text_has_no_hit(check: LanguageCheck) -> None:
    text = "客户表示本周五前还款，已核实工作单位地址。Customer will pay on Friday."
    assert check.hits(text) == []
    assert check.hits("") == []


def test_r_nte_3_terms_and_contexts_are_data() -> None:
    check = LanguageCheck([TermGroup("R-X", "fruit", ("苹果", "pear"), ("苹果派",))])
    assert found(check, "苹果派和蘋 果，PEAR") == [("苹果", "蘋 果"), ("pear", "PEAR")]
    assert LanguageCheck([]).hits("律师") == []


def test_r_nte_3_refusal_names_each_term_and_its_rule_in_chinese_and_english(
    check: LanguageCheck,
) -> None:
    error = refusal(check.hits("律 师说律師会去法院"), "note.forbidden_language")
    assert (error.status, error.code) == (400, "note.forbidden_language")
    assert "“律师”（R-NTE-3）" in error.message
    assert '"法院" (R-NTE-3)' in error.message
    assert error.message.count("律师") == 2  # once in Chinese, once in English
    assert "律 师" not in error.message and "说" not in error.message  # never the text itself


def write_terms(tmp_path: Path, text: str) -> Path:
    (tmp_path / "contact").mkdir()
    (tmp_path / "contact" / "forbidden_terms.toml").write_text(text, encoding="utf-8")
    return tmp_path


@pytest.mark.parametrize(
    "text",
    [
        "",
        "[[groups]]\nrule = 'R-NTE-3'\ncategory = 'x'\nterms = []\n",
        "[[groups]]\nrule = 'R-NTE-3'\ncategory = 'x'\nterms = [' ， ']\n",
        "[[groups]]\nrule = 'R-NTE-3'\nterms = ['律师']\n",
        "[[groups]]\nrule = 'R-NTE-3'\ncategory = 'x'\nterms = [7]\n",
        "[[groups]]\nrule = 'R-NTE-3'\ncategory = 'x'\nterms = ['法院']\n"
        "allowed_contexts = ['法官室']\n",
        "groups = 'none'\n",
    ],
)
def test_r_nte_3_a_malformed_terms_file_stops_the_service(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError) as refused:
        language_check(write_terms(tmp_path, text))
    assert refused.value.code in {"config.forbidden_terms", "config.policies"}


@pytest.mark.parametrize(
    "opening",
    [
        "您好，我是受工商银行委托的催收专员，",
        "您好,我是受 XX银行 委託的工作人员",
        "  我受甲方委托，来电提醒您",
        "Hello, I am calling on behalf of Example Bank.",
        "HELLO - this call is made on behalf of Example Bank",
    ],
)
def test_r_con_6_a_script_may_open_with_the_agent_statement(opening: str) -> None:
    assert agent_statement(POLICIES).opens(opening + "今天是还款日。")


@pytest.mark.parametrize(
    "opening",
    [
        "您好，请您尽快还款。",
        "您好，我是受委托的",  # no client named
        "请注意：您好，我是受工商银行委托的",  # not at the start
        "Hello, I am calling on behalf of",
        "",
    ],
)
def test_r_con_6_a_script_without_the_agent_statement_first_does_not_open_with_it(
    opening: str,
) -> None:
    assert not agent_statement(POLICIES).opens(opening)


@pytest.mark.parametrize(
    "filler",
    [
        "\u3164",  # Hangul filler
        "\u115f",  # Hangul choseong filler
        "\u1160",  # Hangul jungseong filler
        "\uffa0",  # half-width Hangul filler
        "\u034f",  # combining grapheme joiner
        "\u180e",  # Mongolian vowel separator
        "\u2064",  # invisible plus
        "\ufe0f",  # variation selector
        "\U000e0041",  # tag letter A
        "\U000e0fff",  # unassigned, default-ignorable
        "\u3164\ufeff\u2060",
    ],
)
def test_r_nte_3_invisible_fillers_between_characters_are_separators(
    check: LanguageCheck, filler: str
) -> None:
    typed = f"律{filler}师"
    assert found(check, f"他说要找{typed}。") == [("律师", typed)]


@pytest.mark.parametrize(
    "word",
    ["jailed", "jailing", "arrests", "arresting", "lawsuits", "sue", "sues", "sued", "suing"],
)
def test_r_nte_3_english_inflections_are_caught(check: LanguageCheck, word: str) -> None:
    assert found(check, f"told him we would have him {word.upper()} soon") == [(word, word.upper())]


def test_r_nte_3_english_inflections_stay_whole_words(check: LanguageCheck) -> None:
    assert found(check, "the issue: a suede jacket, suet, pursued, jailbreak, arrestor") == []
