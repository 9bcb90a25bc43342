"""The library in headless Chromium, against a live server and a real Celery worker.

Extensions run on the offline providers (serving the public names where no
credentials are configured), so the AI tags are real model outputs: a large
red image is tagged "Red", and a blue disc on white has a background to remove.
Screenshots are kept in test-artifacts/.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from tests.factories import AssetFactory, CustomMetadataFieldFactory, LibraryUserFactory

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip(
        "browser tests need Debian's Chromium at /usr/bin/chromium "
        "(apt-get install -y chromium); Playwright cannot download its own here",
        allow_module_level=True,
    )

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
WIDE = {"width": 1400, "height": 900}
NARROW = {"width": 390, "height": 844}
# Extensions finish on the worker; generous, as CI machines are small.
WORK_TIMEOUT_MS = 60_000


def png(draw: str) -> dict:
    """A PNG for Playwright's file chooser: "red" (all red) or "disc" (blue disc on white)."""
    if draw == "red":
        image = Image.new("RGB", (320, 240), (220, 20, 20))
    else:
        image = Image.new("RGB", (320, 240), "white")
        ImageDraw.Draw(image).ellipse((90, 50, 230, 190), fill=(20, 40, 220))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return {"name": f"{draw}.png", "mimeType": "image/png", "buffer": buffer.getvalue()}


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    # Playwright's sync API keeps an asyncio loop set on this thread while it
    # is open, which Django's ORM takes for an async context: the test's own
    # ORM calls (factories, the database flush) are plain synchronous ones.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(chromium, live_server) -> Iterator:
    ARTIFACTS.mkdir(exist_ok=True)
    contexts = []
    # The pages' Content-Security-Policy must not block anything they use.
    violations: list[str] = []

    def open_page(viewport: dict) -> Page:
        context = chromium.new_context(viewport=viewport, base_url=live_server.url)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.on(
            "console",
            lambda message: (
                violations.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert violations == []


def sign_in(page: Page) -> None:
    LibraryUserFactory(username="alice")
    page.goto("/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("User name").fill("alice")
    page.get_by_label("Password").fill("password")
    page.get_by_label("Password").press("Enter")
    expect(page.get_by_role("heading", name="All files")).to_be_visible()
    # The heading shows as soon as the HTML is parsed; the deferred app.js that wires the
    # buttons may still be loading on a busy machine, and a click then does nothing.
    page.wait_for_load_state("load")


def units(page: Page) -> int:
    return int(page.locator("#unit-balance strong").inner_text())


def drop_files(page: Page, target: str, files: list[dict]) -> None:
    """Drop `files` on `target` as a drag from the desktop would."""
    data_transfer = page.evaluate_handle(
        """files => {
            const data = new DataTransfer();
            for (const f of files) {
                data.items.add(new File([new Uint8Array(f.bytes)], f.name, {type: f.mimeType}));
            }
            return data;
        }""",
        [{"name": f["name"], "mimeType": f["mimeType"], "bytes": list(f["buffer"])} for f in files],
    )
    page.dispatch_event(target, "drop", {"dataTransfer": data_transfer})


def upload(page: Page, files: list[dict], *, auto_tag: bool = True, drop: bool = False) -> None:
    page.get_by_role("button", name="Upload files").click()
    dialog = page.locator("#upload-dialog")
    expect(dialog).to_be_visible()
    if drop:
        drop_files(page, "#upload-dialog [data-dropzone]", files)
    else:
        dialog.locator("#upload-files").set_input_files(files)
    expect(dialog.locator(".upload-message", has_text="Ready")).to_have_count(len(files))
    dialog.get_by_label("Auto-tag").set_checked(auto_tag)
    if auto_tag:
        dialog.get_by_label("Min. confidence (%)").fill("20")
    dialog.get_by_role("button", name="Upload", exact=True).click()
    rows = dialog.locator(".upload-row")
    expect(rows).to_have_count(len(files))
    for index in range(len(files)):
        expect(rows.nth(index)).to_have_attribute("data-state", "done")
        expect(rows.nth(index).locator("progress")).to_have_attribute("value", "100")
    if auto_tag:
        expect(rows.first).to_contain_text("Google tags:")
    dialog.get_by_role("button", name="Close", exact=True).click()
    expect(dialog).to_be_hidden()


def open_card(page: Page, name_start: str) -> None:
    page.locator(".asset-link", has_text=name_start).click()
    expect(page.locator("#panel-title")).to_contain_text(name_start)


def test_it_uploads_tags_removes_a_background_searches_and_restores(open_page, celery_worker):
    page = open_page(WIDE)
    sign_in(page)
    units_at_start = units(page)

    upload(page, [png("red"), png("disc")])
    cards = page.locator("#results .asset")
    expect(cards).to_have_count(2)
    expect(cards.first.locator(".badge")).to_contain_text("Google tags")

    # The AI tags of the red image, with their confidence and source.
    open_card(page, "red")
    red_tag = page.locator(
        ".ai-tag", has=page.locator(".ai-tag-name", has_text=re.compile("^Red$"))
    )
    expect(red_tag).to_be_visible(timeout=WORK_TIMEOUT_MS)
    expect(red_tag.locator(".ai-tag-source")).to_have_text("google-auto-tagging")
    page.screenshot(path=ARTIFACTS / "library-wide.png")

    # Auto-tag again from the panel, with the other provider and its parameters.
    panel = page.locator("#panel")
    auto_tag = panel.locator("form[data-action='auto-tag']")
    auto_tag.get_by_label("Provider").select_option("aws-auto-tagging")
    auto_tag.get_by_label("Minimum confidence (%)").fill("50")
    auto_tag.get_by_label("Maximum tags").fill("1")
    auto_tag.get_by_role("button", name="Auto-tag").click()
    aws_run = panel.locator(".run", has_text="aws-auto-tagging")
    expect(aws_run.locator(".badge")).to_have_text("Success", timeout=WORK_TIMEOUT_MS)
    expect(panel.locator(".ai-tag", has_text="aws-auto-tagging")).to_have_count(1)

    # Remove the disc's background: pending, then a new version with alpha.
    open_card(page, "disc")
    panel.get_by_role("button", name="Remove background").click()
    expect(panel.locator(".version-name").first).to_have_text("Version 2", timeout=WORK_TIMEOUT_MS)
    expect(panel.locator(".run", has_text="remove-bg").first.locator(".badge")).to_have_text(
        "Success"
    )
    expect(panel.locator(".details")).to_contain_text("TransparencyYes")
    compare = panel.locator(".compare")
    expect(compare.locator("img")).to_have_count(2)
    for image in compare.locator("img").all():
        expect(image).to_have_js_property("complete", True)
        assert image.evaluate("img => img.naturalWidth") == 320
    panel.get_by_label("Slide between before and after").fill("20")
    expect(compare).to_have_attribute("style", re.compile(r"--pos: 20%"))
    page.screenshot(path=ARTIFACTS / "asset-panel-wide.png")
    assert units(page) < units_at_start

    # Restore the original: a third version, without transparency.
    panel.locator(".version", has_text="Version 1").get_by_role("button", name="Restore").click()
    expect(panel.locator(".version.current .version-name")).to_have_text("Version 3")
    expect(panel.locator(".version.current")).to_contain_text("Restore")
    expect(panel.locator(".details")).to_contain_text("TransparencyNo")

    # Esc closes the panel and gives the focus back to the card.
    page.keyboard.press("Escape")
    expect(page.locator("#panel-body")).to_have_count(0)
    expect(page.locator(".asset-link", has_text="disc")).to_be_focused()

    # Search by the AI tag: only the red image has it.
    page.get_by_label("Search in").select_option("ai_tags")
    page.get_by_label("Search", exact=True).fill("Red")
    page.get_by_label("Search", exact=True).press("Enter")
    expect(page).to_have_url(re.compile(r"q=Red"))
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("red")
    page.screenshot(path=ARTIFACTS / "library-search-wide.png")


def test_it_fits_a_narrow_screen_and_works_from_the_keyboard(open_page):
    page = open_page(NARROW)
    sign_in(page)
    upload(page, [png("red")], auto_tag=False, drop=True)
    page.screenshot(path=ARTIFACTS / "library-narrow.png", full_page=True)

    card = page.locator(".asset-link").first
    card.focus()
    page.keyboard.press("Enter")
    panel = page.locator("#panel")
    expect(page.locator("#panel-title")).to_be_focused()
    box = panel.bounding_box()
    assert box is not None and box["width"] == NARROW["width"]
    page.screenshot(path=ARTIFACTS / "asset-panel-narrow.png")

    # Tags are edited in place; Enter saves them, and the panel shows them as stored.
    tags = panel.get_by_label("Tags, separated by commas")
    tags.fill(" summer ,sale,")
    with page.expect_response(re.compile(r"/assets/[0-9a-f]{24}/$")):
        tags.press("Enter")
    expect(page.locator("#toast")).to_have_text("Tags saved.")
    expect(panel.get_by_label("Tags, separated by commas")).to_have_value("summer, sale")

    page.keyboard.press("Escape")
    expect(page.locator("#panel-body")).to_have_count(0)
    expect(card).to_be_focused()
    no_overflow = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert no_overflow

    # Delete, confirmed in a dialog whose default button is Cancel.
    page.keyboard.press("Enter")
    panel.get_by_role("button", name="Delete…").click()
    confirm = page.get_by_role("dialog", name=re.compile("^Delete red"))
    expect(confirm.get_by_role("button", name="Cancel")).to_be_focused()
    confirm.get_by_role("button", name="Delete", exact=True).click()
    expect(page.locator("#results .asset")).to_have_count(0)
    expect(page.locator("#panel-body")).to_have_count(0)
    page.reload()
    expect(page.locator("#results")).to_contain_text("No files here yet")


def test_it_edits_custom_metadata_with_an_input_per_field_type(open_page):
    CustomMetadataFieldFactory(
        name="price", label="Price", schema={"type": "Number", "minValue": 0, "maxValue": 100}
    )
    CustomMetadataFieldFactory(
        name="colours",
        label="Colours",
        schema={"type": "MultiSelect", "selectOptions": ["red", "blue", "green"]},
    )
    asset = AssetFactory(name="shoe.png", custom_metadata={"price": 10, "colours": ["red"]})
    page = open_page(WIDE)
    sign_in(page)
    open_card(page, "shoe")
    form = page.locator("form[data-action='save-metadata']")

    # Out of range: the server's message in the panel, the input marked, nothing saved.
    form.get_by_label("Price").fill("250")
    form.get_by_role("button", name="Save metadata").click()
    expect(form.locator("[data-status]")).to_have_text("Price is more than 100.")
    expect(form.get_by_label("Price")).to_have_attribute("aria-invalid", "true")

    form.get_by_label("Price").fill("42.5")
    form.get_by_label("blue").check()
    form.get_by_label("red").uncheck()
    form.get_by_role("button", name="Save metadata").click()
    expect(page.locator("#toast")).to_have_text("Custom metadata saved.")
    # The panel reloads with the values as stored.
    form = page.locator("form[data-action='save-metadata']")
    expect(form.get_by_label("Price")).to_have_value("42.5")
    expect(form.get_by_label("blue")).to_be_checked()
    expect(form.get_by_label("red")).not_to_be_checked()
    page.screenshot(path=ARTIFACTS / "asset-panel-metadata.png")
    asset.refresh_from_db()
    assert asset.custom_metadata == {"price": 42.5, "colours": ["blue"]}
