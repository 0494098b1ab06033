"""WCAG 2.2 AA proof for every page in pages.txt: axe-core, reflow at 320 CSS px and 200% zoom,
prefers-reduced-motion and prefers-contrast.

axe-core runs in the page through tests/browser/helpers.run_axe (tags wcag2a/aa, wcag21a/aa, wcag22aa).
The brief's bar is zero serious or critical violations; minor and moderate ones are printed so they are seen.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.browser.helpers import describe_violations, login, run_axe

pytestmark = pytest.mark.browser

PAGES_FILE = Path(__file__).with_name("pages.txt")
WIDGET = "[data-guichet-widget]"
BLOCKING_IMPACTS = {"serious", "critical"}
# 200% zoom of a 1280x800 window lays pages out in 640x400 CSS pixels.
ZOOM_200_VIEWPORT = {"width": 640, "height": 400}
NARROW_VIEWPORT = {"width": 320, "height": 640}

# Horizontal overflow of the document and of the open widget panel (which is position: fixed, so it never
# makes the document scroll: it is measured on its own, together with its place in the viewport).
OVERFLOW = """() => {
  const root = document.scrollingElement || document.documentElement;
  const result = {document: root.scrollWidth - root.clientWidth, panel: 0, panelOutside: 0};
  const host = document.querySelector('[data-guichet-widget]');
  const panel = host && host.shadowRoot && host.shadowRoot.querySelector('section.panel');
  if (panel && panel.getClientRects().length) {
    const box = panel.getBoundingClientRect();
    result.panel = panel.scrollWidth - panel.clientWidth;
    result.panelOutside = Math.max(0, -box.left, box.right - window.innerWidth);
  }
  return result;
}"""

# Longest transition or animation (seconds) on any element, widget shadow root included. `colourOnly` leaves
# out transitions that only fade colours (no movement): Django's own admin stylesheet has those, which Guichet
# cannot restyle without a settings change (see docs/accessibility.md, 2.3.3 / known exceptions).
LONGEST_MOTION = """(colourOnly) => {
  const COLOUR = /^(color|background|background-color|border-color|outline-color)$/;
  const seconds = (value) => Math.max(0, ...value.split(',').map((part) => {
    const number = parseFloat(part);
    return part.trim().endsWith('ms') ? number / 1000 : number || 0;
  }));
  const walk = (root) => [...root.querySelectorAll('*')].flatMap((node) =>
    node.shadowRoot ? [node, ...walk(node.shadowRoot)] : [node]);
  let longest = 0;
  for (const node of walk(document)) {
    const style = getComputedStyle(node);
    if (style.animationName !== 'none') longest = Math.max(longest, seconds(style.animationDuration));
    const properties = style.transitionProperty.split(',').map((part) => part.trim());
    if (!(colourOnly && properties.every((property) => COLOUR.test(property)))) {
      longest = Math.max(longest, seconds(style.transitionDuration));
    }
  }
  return longest;
}"""


@dataclass(frozen=True)
class ScannedPage:
    path: str
    who: str
    prepare: str

    @property
    def id(self) -> str:
        return f"{self.path}[{self.who}]"


def read_pages() -> list[ScannedPage]:
    pages = []
    for line in PAGES_FILE.read_text(encoding="utf-8").splitlines():
        fields = line.split("#", 1)[0].split()
        if fields:
            pages.append(ScannedPage(fields[0], fields[1], fields[2] if len(fields) > 2 else ""))
    return pages


PAGES = read_pages()


@pytest.fixture(scope="module")
def placeholders(browser, live_server) -> dict[str, str]:
    """Values for {conversation}, {article}, {timeline} and {survey}: real objects of the demo data."""
    context = browser.new_context(base_url=live_server.url)
    try:
        citizen = context.new_page()
        citizen.goto("/demo/benefits/")
        citizen.locator(f"{WIDGET} button.launcher").click()
        citizen.locator(f"{WIDGET} #gw-input").fill(f"Accessibility scan question {secrets.token_hex(3)}")
        citizen.locator(f"{WIDGET} #gw-input").press("Enter")
        notes = citizen.locator(f"{WIDGET} #gw-notes")
        notes.filter(has_text="GC-").wait_for()
        conversation = re.search(r"GC-\d{4}-\d{6}", notes.inner_text()).group(0)
        editor = context.browser.new_context(base_url=live_server.url).new_page()
        login(editor, live_server, "admin")
        editor.goto("/knowledge/")
        article = re.search(r"/knowledge/(\d+)/edit/", editor.content()).group(1)
        editor.context.close()
        agent = context.browser.new_context(base_url=live_server.url).new_page()
        login(agent, live_server, "agent_bi")
        agent.goto(f"/desk/c/{conversation}/")
        timeline = agent.locator("a[href*='/timeline/']").first.get_attribute("href")
        agent.context.close()
        # The survey page citizens reach from an email or SMS link: ask for a rating on this conversation.
        survey = live_server.manage("shell", "--no-imports", "-c", (
            "from guichet.analytics.actions import ask_survey, survey_token; "
            "from guichet.conversations.models import Conversation; "
            f"print(survey_token(ask_survey(Conversation.objects.get(reference='{conversation}'))))"))
        return {"conversation": conversation, "article": article, "timeline": timeline,
                "survey": survey.stdout.strip()}
    finally:
        context.close()


def open_scanned_page(new_page, live_server, placeholders, scanned: ScannedPage, **context_options):
    page = new_page(**context_options)
    if scanned.who != "anonymous":
        login(page, live_server, scanned.who)
    response = page.goto(scanned.path.format(**placeholders))
    assert response is not None and response.status == 200, f"{scanned.path} answered {response and response.status}"
    if scanned.prepare == "open-widget":
        page.locator(f"{WIDGET} button.launcher").click()
        page.locator(f"{WIDGET} section.panel").wait_for(state="visible")
        page.locator(f"{WIDGET} details.options summary").click()
    page.wait_for_load_state("networkidle")
    return page


def test_pages_file_lists_every_required_page():
    paths = {page.path for page in PAGES}
    required = {"/", "/fr/", "/accounts/login/", "/desk/", "/desk/c/{conversation}/", "/supervisor/",
                "/knowledge/", "/knowledge/{article}/edit/", "/bot/insights/", "/reports/", "/admin/login/"}
    assert required <= paths, required - paths
    assert {page.prepare for page in PAGES if page.path in {"/", "/fr/"}} == {"open-widget"}


@pytest.mark.parametrize("scanned", PAGES, ids=lambda scanned: scanned.id)
def test_no_serious_or_critical_axe_violations(new_page, live_server, placeholders, scanned):
    page = open_scanned_page(new_page, live_server, placeholders, scanned)
    violations = run_axe(page)
    blocking = [violation for violation in violations if violation["impact"] in BLOCKING_IMPACTS]
    if violations:
        print(f"axe on {scanned.id}:", describe_violations(violations))
    assert blocking == [], describe_violations(blocking)


@pytest.mark.parametrize("scanned", PAGES, ids=lambda scanned: scanned.id)
def test_reflow_at_320_css_pixels_and_200_percent_zoom(new_page, live_server, placeholders, scanned):
    page = open_scanned_page(new_page, live_server, placeholders, scanned, viewport=NARROW_VIEWPORT)
    narrow = page.evaluate(OVERFLOW)
    page.set_viewport_size(ZOOM_200_VIEWPORT)
    zoomed = page.evaluate(OVERFLOW)
    assert narrow["document"] <= 1 and zoomed["document"] <= 1, (narrow, zoomed)
    assert narrow["panel"] <= 1 and zoomed["panel"] <= 1, (narrow, zoomed)
    assert narrow["panelOutside"] <= 1 and zoomed["panelOutside"] <= 1, (narrow, zoomed)


@pytest.mark.parametrize("scanned", PAGES, ids=lambda scanned: scanned.id)
def test_reduced_motion_stops_every_transition_and_animation(new_page, live_server, placeholders, scanned):
    page = open_scanned_page(new_page, live_server, placeholders, scanned, reduced_motion="reduce")
    colour_fades_allowed = scanned.path.startswith("/admin/")
    assert page.evaluate(LONGEST_MOTION, colour_fades_allowed) == 0


@pytest.mark.parametrize("path, who", [("/", "anonymous"), ("/desk/", "agent_bi")])
def test_more_contrast_darkens_text_and_borders_and_still_passes_axe(new_page, live_server, placeholders,
                                                                     path, who):
    scanned = ScannedPage(path, who, "open-widget" if path == "/" else "")
    page = open_scanned_page(new_page, live_server, placeholders, scanned, contrast="more")
    colours = page.evaluate("""() => {
      const root = getComputedStyle(document.documentElement);
      const host = document.querySelector('[data-guichet-widget]');
      const gw = host && host.shadowRoot.querySelector('.gw');
      return {fg: root.getPropertyValue('--fg').trim(), border: root.getPropertyValue('--border').trim(),
              widgetBorder: gw ? getComputedStyle(gw).getPropertyValue('--gw-border').trim() : null};
    }""")
    assert colours["fg"] == "#000" and colours["border"] == "#000"
    if path == "/":
        assert colours["widgetBorder"] == "#000"
    violations = run_axe(page)
    assert [v for v in violations if v["impact"] in BLOCKING_IMPACTS] == [], describe_violations(violations)


# Is the focused element (inside the widget's shadow root too) at least partly visible, not hidden under a
# fixed or sticky element such as the chat launcher? Checks the centre and the four inner corners.
FOCUS_OBSCURED = """() => {
  let active = document.activeElement;
  while (active && active.shadowRoot && active.shadowRoot.activeElement) active = active.shadowRoot.activeElement;
  if (!active || active === document.body) return null;
  const box = active.getBoundingClientRect();
  if (!box.width || !box.height) return null;
  const root = active.getRootNode();
  const points = [[box.left + box.width / 2, box.top + box.height / 2], [box.left + 2, box.top + 2],
                  [box.right - 2, box.top + 2], [box.left + 2, box.bottom - 2], [box.right - 2, box.bottom - 2]];
  const visible = points.some(([x, y]) => {
    if (x < 0 || y < 0 || x >= innerWidth || y >= innerHeight) return false;
    const top = (root.elementFromPoint ? root : document).elementFromPoint(x, y);
    return top && (top === active || active.contains(top) || top.contains(active));
  });
  return visible ? null : (active.id || active.tagName) + ' ' + (active.textContent || '').trim().slice(0, 40);
}"""

# WCAG 1.4.12 text spacing: the four overrides a reader may apply, in the page and in the widget.
TEXT_SPACING = """() => {
  const css = '* { line-height: 1.5 !important; letter-spacing: .12em !important; word-spacing: .16em !important; }' +
              ' p { margin-bottom: 2em !important; }';
  const add = (root) => { const style = document.createElement('style'); style.textContent = css; root.appendChild(style); };
  add(document.head);
  const host = document.querySelector('[data-guichet-widget]');
  if (host && host.shadowRoot) add(host.shadowRoot);
}"""


@pytest.mark.parametrize("scanned", PAGES, ids=lambda scanned: scanned.id)
def test_keyboard_focus_is_never_hidden_under_fixed_content(new_page, live_server, placeholders, scanned):
    page = open_scanned_page(new_page, live_server, placeholders, scanned, viewport={"width": 1024, "height": 600})
    hidden = []
    for _ in range(40):
        page.keyboard.press("Tab")
        # Content the citizen opened (the chat panel) may cover the focus only if Escape reveals it without
        # moving the focus (WCAG 2.4.11, understanding note on user-opened content).
        if page.evaluate(FOCUS_OBSCURED):
            page.keyboard.press("Escape")
        obscured = page.evaluate(FOCUS_OBSCURED)
        if obscured:
            hidden.append(obscured)
    assert hidden == []


@pytest.mark.parametrize("scanned", PAGES, ids=lambda scanned: scanned.id)
def test_text_spacing_overrides_lose_nothing(new_page, live_server, placeholders, scanned):
    page = open_scanned_page(new_page, live_server, placeholders, scanned, viewport={"width": 1024, "height": 768})
    page.evaluate(TEXT_SPACING)
    overflow = page.evaluate(OVERFLOW)
    assert overflow["document"] <= 1 and overflow["panel"] <= 1 and overflow["panelOutside"] <= 1, overflow


def test_right_to_left_messages_are_laid_out_right_to_left_in_the_widget_and_the_desk(new_page, live_server):
    """WCAG 1.3.2 / 3.1.2: an Arabic message reads right to left for the citizen and for the agent."""
    arabic = f"مرحبا، أحتاج مساعدة في طلب جواز السفر {secrets.token_hex(3)}"
    citizen = new_page()
    citizen.goto("/demo/benefits/")
    citizen.locator(f"{WIDGET} button.launcher").click()
    citizen.locator(f"{WIDGET} #gw-input").fill(arabic)
    citizen.locator(f"{WIDGET} #gw-input").press("Enter")
    mine = citizen.locator(f"{WIDGET} ol.log li.msg--contact[data-state=sent] .msg__body", has_text=arabic)
    mine.wait_for()
    assert mine.evaluate("node => getComputedStyle(node).direction") == "rtl"
    notes = citizen.locator(f"{WIDGET} #gw-notes")
    notes.filter(has_text="GC-").wait_for()
    reference = re.search(r"GC-\d{4}-\d{6}", notes.inner_text()).group(0)

    agent = new_page()
    login(agent, live_server, "agent_bi")
    agent.goto(f"/desk/c/{reference}/")
    body = agent.locator("#transcript .msg-body", has_text=arabic)
    assert body.evaluate("node => getComputedStyle(node).direction") == "rtl"
