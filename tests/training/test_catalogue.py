"""Each track teaches exactly what the policy lists for it (R-TRN-4, R-TRN-3, R-TRN-8).

The expected courses are copied here from the policy (催收员工职业培训制度), not read from
`policies/training/catalogue.toml`: a course dropped from, added to or moved between tracks in
the catalogue fails these tests.

- §9.1 / §9.2 / §9.3: each track's own content, item by item, in the policy's order;
- §10: induction on the hire date, for every new employee whatever their track;
- §11 (business system use), §12 (business skills), §13 (compliance): the policy gives them no
  track, so every track has all of them.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from govern.training.catalogue import Catalogue, load_catalogue
from tests.training.conftest import Desk

POLICIES = Path(__file__).resolve().parents[2] / "policies"

#: §9, as the policy words each item (the catalogue may leave out the word 培训).
SECTION_9 = {
    "intern": (
        "§9.1",
        [
            "认知感情培训、积极心态培训、公司情况培训",
            "内部系统使用及公司基本制度培训",
            "相关法律、法规以及规章制度培训",
            "计算机、办公软件使用培训",
            "岗位职责及基本业务技能培训",
        ],
    ),
    "ordinary": (
        "§9.2",
        [
            "业务知识",
            "积极心态",
            "最新工作方法、业务技能",
            "新增催收相关知识",
            "团队精神、忠诚度、敬业精神",
            "优秀员工、业务能手经验交流",
        ],
    ),
    "management": (
        "§9.3",
        [
            "公司宣传材料培训",
            "业务知识培训",
            "沟通与执行力培训",
            "管理能力培训",
            "团队精神、忠诚度、敬业精神培训",
            "公司发展战略、品牌塑造",
        ],
    ),
}

#: §10-§13 for every track: the section and what its courses' titles must name.
EVERY_TRACK = {
    "§10.1": ["公司文化"],
    "§10.2": ["管理制度", "薪酬绩效"],
    "§11": ["登录", "查看债务人信息", "催收记录"],
    "§12": [
        "法律基本知识",
        "专业催收话术",
        "信贷款知识",
        "催收信函",
        "范例对话演练",
        "外访现场实习",
        "质量方针",
        "保密协议",
    ],
    "§13": ["催收方式", "催收对象", "催收频率", "催收话术", "投诉", "客户信息安全保护"],
}

INDUCTION = ["IND-CULTURE", "IND-RULES"]
SYSTEM_SKILLS_COMPLIANCE = [
    "SYS-USE",
    "SKL-LAW",
    "SKL-SCRIPTS",
    "SKL-CREDIT",
    "SKL-FIELD",
    "SKL-CONFIDENTIALITY",
    "CMP-CONDUCT",
]
#: Each track's courses in teaching order: induction, its §9 list, then §11-§13.
COURSES = {
    "intern": [
        *INDUCTION,
        "INT-ATTITUDE",
        "INT-RULES",
        "INT-LAW",
        "INT-OFFICE",
        "INT-DUTIES",
        *SYSTEM_SKILLS_COMPLIANCE,
    ],
    "ordinary": [
        *INDUCTION,
        "ORD-KNOWLEDGE",
        "ORD-ATTITUDE",
        "ORD-METHODS",
        "ORD-NEW",
        "ORD-TEAM",
        "ORD-SHARING",
        *SYSTEM_SKILLS_COMPLIANCE,
    ],
    "management": [
        *INDUCTION,
        "MGT-PUBLICITY",
        "MGT-KNOWLEDGE",
        "MGT-EXECUTION",
        "MGT-LEADERSHIP",
        "MGT-TEAM",
        "MGT-STRATEGY",
        *SYSTEM_SKILLS_COMPLIANCE,
    ],
}


def catalogue() -> Catalogue:
    return load_catalogue(POLICIES)


def plain(title: str) -> str:
    return title.replace("培训", "")


def test_r_trn_4_each_track_teaches_exactly_its_courses_in_order() -> None:
    tracks = catalogue().tracks
    assert set(tracks) == set(COURSES)
    for name, courses in COURSES.items():
        assert list(tracks[name].courses) == courses, name


def test_r_trn_4_each_tracks_own_courses_are_its_section_9_list_item_by_item() -> None:
    book = catalogue()
    for name, (section, items) in SECTION_9.items():
        assert book.tracks[name].section == section
        own = [
            book.courses[c]
            for c in book.tracks[name].courses
            if c.startswith(("INT", "ORD", "MGT"))
        ]
        assert [(c.section, plain(c.title)) for c in own] == [
            (f"{section}({n})", plain(item)) for n, item in enumerate(items, start=1)
        ], name
        others = {book.courses[c].section for c in book.tracks[name].courses} - {
            c.section for c in own
        }
        assert not any(s.startswith("§9") for s in others), f"{name} teaches another track's §9"


def test_r_trn_4_every_track_has_induction_system_use_skills_and_compliance() -> None:
    """§10 (R-TRN-3), §11, §12 (with the confidentiality agreement, R-TRN-8) and §13."""
    book = catalogue()
    for name, track in book.tracks.items():
        for section, topics in EVERY_TRACK.items():
            titles = " ".join(
                book.courses[c].title for c in track.courses if book.courses[c].section == section
            )
            missing = [topic for topic in topics if topic not in titles]
            assert missing == [], f"{name} lacks {section}: {missing}"


def test_r_trn_4_the_catalogue_everyone_reads_lists_the_same_courses(desk: Desk) -> None:
    status, book = desk.call("GET", "/api/v1/training/catalogue", "col.a1")
    assert status == 200
    assert {name: track["courses"] for name, track in book["tracks"].items()} == COURSES


def test_a_title_without_its_english_stays_chinese_in_english() -> None:
    book = load_catalogue(POLICIES)
    system_use = book.certifications["system-use"]
    assert system_use.title_in("en") == "Business system use (§11)"
    assert system_use.title_in("zh") == "业务系统使用（§11）"
    untranslated = replace(system_use, title_en="")
    assert untranslated.title_in("en") == "业务系统使用（§11）"
