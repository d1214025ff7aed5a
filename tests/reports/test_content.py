from reports.content import content_problems, empty_content, schema_problems
from tests.factories import make_content


def test_it_accepts_complete_content_citing_given_sources() -> None:
    assert content_problems(make_content([1, 2]), allowed_source_ids={1, 2}) == []


def test_it_names_each_broken_field_once_without_validator_internals() -> None:
    content = make_content([1])
    content["assessment"]["threat_level"] = "apocalyptic"
    content["assessment"]["hotspots"][0]["lat"] = 123

    problems = [str(p) for p in schema_problems(content)]

    assert len(problems) == 2
    assert problems[0].startswith("assessment.threat_level: ")
    assert problems[1].startswith("assessment.hotspots.0.lat: ")
    assert not any("literal" in p for p in problems)


def test_it_refuses_unknown_keys_so_nothing_leaks_into_the_document() -> None:
    content = empty_content()
    content["raw_json"] = "```json {...}```"

    assert [p.path for p in schema_problems(content)] == ["raw_json"]


def test_it_reports_uncited_items_and_citations_of_articles_not_given() -> None:
    content = make_content([7])
    content["key_developments"][0]["source_ids"] = []
    content["assessment"]["hotspots"][0]["source_ids"] = [7, 99]

    problems = [str(p) for p in content_problems(content, allowed_source_ids={7})]

    assert problems == [
        "key_developments.0: cites no source",
        "assessment.hotspots.0: cites articles not given for this report: 99",
    ]
