"""Issue 7, class 5 (words staff understand) on the people pages: the search says what it
searched and why nothing was found; a surname alone searches the user's own records; match
confidence in words with its reasons; an empty field of one's own record shows empty; no
English blank choice."""

from __future__ import annotations

from conftest import client_for
from tsunagu.accounts.models import User
from tsunagu.consultations.tests.test_pages import register_person
from tsunagu.people.matching import Match
from tsunagu.people.templatetags.matching import match_words


def results(client: object, query: str) -> str:
    page: str = client.get("/people/", {"q": query}).content.decode()  # type: ignore[attr-defined]
    return page.split('id="results"', 1)[1]


def test_a_surname_alone_searches_the_users_own_records(counselor: User, third: User) -> None:
    client = client_for(counselor)
    kazuko = register_person(client)  # 髙橋 和子 たかはし かずこ
    ichiro = register_person(
        client, family_name="高橋", given_name="一郎", given_name_kana="いちろう"
    )
    register_person(client_for(third), given_name="三郎", given_name_kana="さぶろう")
    for query in ("高橋", "たかはし", "タカハシ", "ﾀｶﾊｼ"):
        page = results(client, query)
        assert f"/people/{kazuko.pk}/" in page and f"/people/{ichiro.pk}/" in page, query
        assert "を姓として、北地域包括支援センターの記録から探しました" in page
        assert "三郎" not in page  # another organization's 髙橋 is not searched by surname
    assert "姓が「佐藤」の方はいません" in results(client, "佐藤")


def test_the_search_says_what_it_searched_and_why_nothing_was_found(counselor: User) -> None:
    client = client_for(counselor)
    page = results(client, "田中 一郎")
    assert "「田中 一郎」を氏名・ふりがなとして、市内のすべての機関の記録から探しました" in page
    assert "この氏名の記録は、見られる範囲にはありません" in page
    page = results(client, "0766-99-9999")
    assert "電話番号として" in page and "この電話番号の記録は" in page
    page = results(client, "南町9丁目")
    assert "住所として" in page and "丁目まで" in page


def test_match_confidence_is_in_words_with_its_reasons(counselor: User) -> None:
    client = client_for(counselor)
    register_person(client)
    page = results(client, "たかはし かずこ")
    assert "同一人物の可能性" in page and "が一致" in page
    assert "0." not in page.split("</table>", 1)[0]  # no raw decimal score
    words = match_words(
        Match(score=0.95, reasons=("氏名（漢字）一致", "生年月日一致", "電話番号一致"))
    )
    assert words == "同一人物の可能性が高い：氏名（漢字）・生年月日・電話番号が一致"
    assert match_words(Match(score=0.1, reasons=("住所の一部が一致",))).startswith(
        "名前が似ている（生年月日などで確かめてください）：住所の一部が一致"
    )


def test_an_empty_field_of_ones_own_record_shows_empty(counselor: User) -> None:
    client = client_for(counselor)
    person = register_person(client, phone="", address="", postal_code="")
    page = client.get(f"/people/{person.pk}/").content.decode()
    assert "共有されていません" not in page


def test_no_english_blank_choice(counselor: User) -> None:
    """A select with an empty choice (the referral's つなぎ先 and 本人同意) said
    「- Select an option -」: Django 6.1 has no Japanese for it."""
    from tsunagu.consultations.tests.test_pages import take_consultation

    client = client_for(counselor)
    consultation = take_consultation(client, register_person(client))
    referral = f"/referrals/new/?consultation={consultation.pk}"
    for url in ("/people/new/", "/consultations/new/", referral):
        page = client.get(url).content.decode()
        assert "Select an option" not in page and "---------" not in page, url
    referral_form = client.get(referral)
    assert "（選んでください）" in referral_form.content.decode()
