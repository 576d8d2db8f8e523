"""The dashboard in real headless Chromium against a real `dlrkit serve` fed through its webhooks:
login, every page without console errors, charts with data marks, filters that change what is
shown (through htmx, without reloading the page), message drill-down, suppression forms, the
code browser. Each page's screenshot is saved into docs/screenshots/."""

from __future__ import annotations

import re
from collections import Counter

from playwright.sync_api import BrowserContext, Page, expect

from tests.dashboard.conftest import Served, Watch, screenshot, watch

FAILED = ("undelivered", "rejected", "expired")


def _count(served: Served, **where: str) -> Counter[str]:
    """States of the sent SMS messages matching `where` (country=...)."""
    return Counter(
        m["state"]
        for m in served.sent.messages.values()
        if all(m[k] == v for k, v in where.items())
    )


def _marks(page: Page, chart: str) -> int:
    """Data marks (bars, line points) drawn in one server-rendered chart."""
    return page.locator(f'svg[data-chart="{chart}"] .role-mark path').count()


def _mark_page(page: Page) -> None:
    """Set a flag that a full page load would erase (to prove htmx swapped in place)."""
    page.evaluate("window.__stayed = true")


def _settled(page: Page) -> None:
    """Wait until htmx has finished the last swap: content it swapped in gets its listeners
    when it settles (~20 ms later), so a change made before that would be lost (a user never
    is that quick; a test is)."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, "
        ".htmx-added')"
    )


def _stayed(page: Page) -> bool:
    return bool(page.evaluate("window.__stayed === true"))


def test_login_with_the_form_sets_an_http_only_cookie(
    context: BrowserContext, served: Served
) -> None:
    page = context.new_page()
    w = watch(page, Watch(allow=["status of 401"]))
    page.goto(f"{served.url}/dashboard/failures?by=country")
    assert page.url == f"{served.url}/dashboard/login?next=%2Fdashboard%2Ffailures%3Fby%3Dcountry"
    screenshot(page, "login")
    page.fill("#key", "dlrk_wrong")
    page.click("button[type=submit]")
    expect(page.locator(".error")).to_have_text("That key is unknown or revoked.")
    page.fill("#key", served.key)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{served.url}/dashboard/failures?by=country")
    [cookie] = context.cookies()
    assert (cookie["name"], cookie["httpOnly"], cookie["sameSite"], cookie["path"]) == (
        "dlrkit_session",
        True,
        "Strict",
        "/dashboard",
    )
    assert served.key not in cookie["value"]
    assert "dlrk_" not in cookie["value"]
    page.click("text=Log out")
    expect(page).to_have_url(re.compile(r"/dashboard/login$"))
    assert context.cookies() == []
    assert w.unexpected() == []


def test_a_key_in_the_address_is_not_used(context: BrowserContext, served: Served) -> None:
    page = context.new_page()
    w = watch(page, Watch())
    page.goto(f"{served.url}/dashboard/messages?key={served.key}&state=rejected")
    expect(page.locator(".note")).to_contain_text("Keys are not accepted in the address")
    assert served.key not in page.url
    assert page.url.startswith(f"{served.url}/dashboard/login?next=")
    assert context.cookies() == []
    page.fill("#key", served.key)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{served.url}/dashboard/messages?state=rejected")
    assert w.unexpected() == []


def test_overview_totals_and_charts(page: Page, served: Served) -> None:
    states = served.sent.states
    expect(page.locator("#total-messages")).to_have_text(str(sum(states.values())))
    expect(page.locator("#total-delivered")).to_have_text(str(states["delivered"]))
    expect(page.locator("#total-failed")).to_have_text(str(sum(states[s] for s in FAILED)))
    rate = states["delivered"] / (states["delivered"] + sum(states[s] for s in FAILED))
    expect(page.locator("#delivery-rate")).to_have_text(f"{rate * 100:.1f} %")
    assert _marks(page, "delivery") > 0
    assert _marks(page, "latency") > 0
    unknown = page.locator("section", has_text="Codes not in the catalog")
    expect(unknown.locator("td").first).to_have_text("infobip:error:general:4242")
    screenshot(page, "overview")


def test_overview_filters_change_the_totals_in_place(page: Page, served: Served) -> None:
    _mark_page(page)
    page.select_option("#f-provider", "plivo")
    expect(page.locator("#total-messages")).to_have_text(str(len(served.sent.calls)))
    expect(page.locator("#total-delivered")).to_have_text("0")
    assert "provider=plivo" in page.url
    _settled(page)
    page.select_option("#f-provider", "")
    total = str(sum(served.sent.states.values()))
    expect(page.locator("#total-messages")).to_have_text(total)  # swapped: the form is new
    _settled(page)
    page.fill("#f-country", "DE")
    page.press("#f-country", "Enter")
    german = _count(served, country="DE")
    expect(page.locator("#total-messages")).to_have_text(str(sum(german.values())))
    expect(page.locator("#total-delivered")).to_have_text(str(german["delivered"]))
    assert _stayed(page), "filters swap the page in place (htmx), no reload"
    _settled(page)
    page.fill("#f-country", "D1")
    page.press("#f-country", "Enter")
    expect(page.locator(".errors")).to_contain_text("country: 'D1' is not a two-letter")


def test_failures_by_each_dimension(page: Page, served: Served) -> None:
    page.click("nav[aria-label=dashboard] >> text=Failures")
    table = page.locator("#failures-table tbody tr")
    expect(table.first).to_be_visible()
    shown = {
        row.locator("td").nth(0).inner_text(): int(row.locator("td").nth(1).inner_text())
        for row in table.all()
    }
    assert shown == {r.replace("_", " "): n for r, n in served.sent.reasons.items()}
    assert _marks(page, "failures") == 3 * len(shown)  # one bar per state and value
    screenshot(page, "failures")

    _mark_page(page)
    page.click("nav.tabs >> text=country")
    expect(page).to_have_url(re.compile(r"by=country"))
    expect(page.locator("h1")).to_contain_text("Failures by country")
    rows = page.locator("#failures-table tbody tr")
    by_country = {
        r.locator("td").nth(0).inner_text(): int(r.locator("td").nth(1).inner_text())
        for r in rows.all()
    }
    assert by_country == dict(served.sent.countries)

    page.select_option("#f-channel", "voice")
    expect(page.locator("#failed-total")).to_have_text(str(len(served.sent.calls)))
    assert _stayed(page)
    _settled(page)
    page.click("nav.tabs >> text=code")
    expect(page.locator("#failures-table")).to_contain_text("plivo hangup cause 3010 Busy Line")


def test_unknown_codes_are_marked_in_the_code_breakdown(page: Page) -> None:
    page.goto(page.url + "/failures?by=code")
    row = page.locator("#failures-table tr", has_text="infobip error 4242")
    expect(row.locator(".badge")).to_have_text("not in catalog")
    known = page.locator("#failures-table a", has_text="EC_ABSENT_SUBSCRIBER")
    known.click()
    expect(page.locator("h1")).to_contain_text("infobip error 27")


def test_message_search_and_drill_down(page: Page, served: Served, watched: Watch) -> None:
    # Enter in the id field both changes and submits the filters: the browser may abort the
    # first of the two searches when the second (or the page it leads to) replaces it
    watched.allow.append(
        "id=ib-late&recipient=&state=rejected&reason=&provider=&channel=&country=&period= net::ERR_ABORTED"
    )
    page.click("nav[aria-label=dashboard] >> text=Messages")
    page.select_option("#f-state", "rejected")
    rows = page.locator("#messages-table tbody tr")
    expect(rows).to_have_count(served.sent.states["rejected"])
    assert {r.locator("td").nth(6).inner_text() for r in rows.all()} == {"rejected"}
    screenshot(page, "messages")

    _settled(page)
    page.fill("#f-id", "ib-late")
    page.press("#f-id", "Enter")
    expect(page.locator("h1")).to_contain_text("ib-late")
    expect(page).to_have_url(f"{served.url}/dashboard/messages/infobip/ib-late")
    history = page.locator("#history-table tbody tr")
    expect(history).to_have_count(2)  # the final report, then the earlier pending one
    expect(page.locator("#outcome .badge").first).to_have_text("delivered")

    call = served.sent.calls[0]
    page.goto(f"{served.url}/dashboard/messages/plivo/{call}")
    advice = page.request.get(
        f"{served.url}/messages/{call}/advice", headers={"X-API-Key": served.key}
    ).json()
    expect(page.locator("#advice h2")).to_contain_text(advice["action"])
    expect(page.locator("#advice")).to_contain_text("to channel sms")
    page.locator("#history-table summary").click()
    expect(page.locator("#history-table pre")).to_contain_text('"HangupCauseCode": "3010"')
    screenshot(page, "message")
    page.locator("#outcome a", has_text="Busy Line").click()
    expect(page.locator("h1")).to_contain_text("plivo hangup cause 3010")


def test_suppression_list_forms(page: Page, served: Served) -> None:
    page.click("nav[aria-label=dashboard] >> text=Suppressions")
    api = page.request.get(
        f"{served.url}/suppressions?limit=1000", headers={"X-API-Key": served.key}
    ).json()
    rows = page.locator("#suppressions-table tbody tr")
    expect(rows).to_have_count(min(len(api["items"]), 50))
    opted_out = {e["recipient"] for e in api["items"] if e["reason"] == "recipient_opted_out"}
    assert opted_out, "opt-outs were suppressed automatically at ingest"

    page.fill("#a-recipient", "+33 6 99 88 77 66")
    page.select_option("#a-reason", "recipient_blocked")
    page.fill("#a-note", "complaint #42")
    page.click("#add-form button")
    expect(page.locator("#done")).to_have_text(
        "Suppressed +33699887766 (recipient_blocked) permanently."
    )
    page.fill("#check", "0033699887766")
    page.click("form.inline button")
    expect(page.locator("#check-result")).to_contain_text("+33699887766 is suppressed")
    screenshot(page, "suppressions")
    page.locator("#suppressions-table tr", has_text="+33699887766").locator("button").click()
    expect(page.locator("#done")).to_have_text("Lifted the suppression of +33699887766.")
    _settled(page)
    page.select_option("#f-source", "manual")
    expect(page.locator(".empty")).to_have_text("No suppression matches.")


def test_code_browser_and_relations(page: Page) -> None:
    page.click("nav[aria-label=dashboard] >> text=Codes")
    expect(page.locator("#namespaces tbody tr")).to_have_count(8)
    page.fill("#f-q", "absent subscriber")
    page.press("#f-q", "Enter")
    expect(page.locator("#codes-table")).to_contain_text("EC_ABSENT_SUBSCRIBER")
    screenshot(page, "codes")
    page.locator("#codes-table a", has_text="27").first.click()
    expect(page.locator("h1").first).to_contain_text("27")
    screenshot(page, "code")
    page.click("text=map error 27")
    expect(page.locator("h1")).to_contain_text("map error")
    built_on = page.locator("h2", has_text="Provider codes built on it")
    expect(built_on).to_be_visible()
    expect(page.locator("ul.relations").last).to_contain_text("infobip error 27")


def test_unknown_pages_and_codes(page: Page, served: Served, watched: Watch) -> None:
    watched.allow.append("status of 404")
    page.goto(f"{served.url}/dashboard/codes/infobip/error/general/99999")
    expect(page.locator(".errors")).to_contain_text("has no code '99999'")
    expect(page.locator("text=Closest known codes")).to_be_visible()
    page.goto(f"{served.url}/dashboard/messages/infobip/no-such-message")
    expect(page.locator(".errors")).to_contain_text("no report about infobip message")
