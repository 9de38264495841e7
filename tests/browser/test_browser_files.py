"""A card's image is shown through its record: it loads for whoever may read the record,
and its address gives nothing to a user who may not."""

from __future__ import annotations

from playwright.sync_api import expect

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
       b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
       b"\x00\x00IEND\xaeB`\x82")


def test_a_saved_image_loads_through_the_record_and_stays_private(live, boss, new_page, sign_in, tmp_path):
    live.rt.schema.create_table(boss, {"label": "Products", "fields": [
        {"label": "Name", "type": "text"}, {"label": "Photo", "type": "image"}]})
    live.rt.users.create("vera", "vera-password", actor=boss)  # in no group: may read nothing
    photo = tmp_path / "photo.png"
    photo.write_bytes(PNG)

    page = new_page()
    sign_in(page)
    page.goto("/t/products/new")
    page.wait_for_selector("body[data-ready]")
    page.get_by_label("Name").fill("Lamp")
    page.get_by_label("Photo").set_input_files(str(photo))
    expect(page.locator(".file-preview img")).to_be_visible()
    with page.expect_navigation():
        page.get_by_role("button", name="Create").click()
    expect(page.locator("h1")).to_have_text("Lamp")
    image = page.locator(".file-preview img")
    src = image.get_attribute("src")
    assert "/api/v1/tables/products/records/" in src and "/files/photo/" in src
    page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=image.element_handle())

    other = new_page()
    sign_in(other, "vera", "vera-password")
    response = other.request.get(src)
    assert response.status in (403, 404)
    sha = src.split("/files/photo/")[1].split("?")[0]
    assert other.request.get(f"/api/v1/files/{sha}").status == 404
