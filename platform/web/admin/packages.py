"""``/admin/packages``: configuration packages in the browser (administrators only).

Download the running configuration as a package (a zip of what ``cardfile config export``
writes). Upload a package as a zip (or choose a shipped sample), see the plan of what applying it
would do to this base — conflicts and destructive steps first — and apply it; destructive
steps need a ticked confirmation (a backup is taken first). Below, the history of applies.
An upload is unpacked into ``<data>/package-uploads/<random id>/`` (no absolute paths, no
``..``, at most 2,000 files and 50 MB unpacked) and found again only by that id.
"""

from __future__ import annotations

import io
import re
import secrets
import shutil
import zipfile
from pathlib import Path, PurePosixPath

from flask import current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _

from cardfile.metamodel.errors import CardfileError, InvalidDefinition
from cardfile.metamodel.packages.export import render_package
from cardfile.metamodel.packages.history import history
from cardfile.metamodel.packages.loader import MANIFEST_NAMES
from cardfile.metamodel.packages.samples import sample_names, sample_path
from cardfile.platform.app.factory import get_runtime
from cardfile.platform.config_install import install, load_checked, plan

from ..formatting import format_timestamp
from .views import _admin, bp

UPLOAD_ID = re.compile(r"^(sample:[a-z][a-z0-9-]{0,62}|[0-9a-f]{32})$")
MAX_FILES = 2000
MAX_UNPACKED = 50 * 1024 * 1024


def _uploads() -> Path:
    return Path(get_runtime().settings.data_dir) / "package-uploads"


def _unpack(data: bytes) -> str:
    """Unpack a zip into a fresh folder; returns its id."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise InvalidDefinition(_("The file is not a zip archive."), {"field": "file"}) from None
    members = [m for m in archive.infolist() if not m.is_dir()]
    if len(members) > MAX_FILES or sum(m.file_size for m in members) > MAX_UNPACKED:
        raise InvalidDefinition(_("The archive is too large (at most 2,000 files and 50 MB unpacked)."),
                                {"field": "file"})
    token = secrets.token_hex(16)
    root = _uploads() / token
    for member in members:
        name = PurePosixPath(member.filename.replace("\\", "/"))
        if name.is_absolute() or ".." in name.parts or not name.parts:
            shutil.rmtree(root, ignore_errors=True)
            raise InvalidDefinition(_("The archive holds a file outside its folder: %(name)s", name=member.filename),
                                    {"field": "file"})
        target = root.joinpath(*name.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(archive.read(member))
    return token


def _package_dir(token: str) -> Path:
    if not UPLOAD_ID.match(token or ""):
        raise InvalidDefinition(_("Choose a package first."), {"field": "package"})
    if token.startswith("sample:"):
        return sample_path(token.split(":", 1)[1])
    root = _uploads() / token
    if not root.is_dir():
        raise InvalidDefinition(_("The uploaded package is gone; upload it again."), {"field": "package"})
    if any((root / n).is_file() for n in MANIFEST_NAMES):
        return root
    inner = [p for p in root.iterdir() if p.is_dir() and any((p / n).is_file() for n in MANIFEST_NAMES)]
    if len(inner) != 1:
        raise InvalidDefinition(_("The archive has no package.yaml (at its top or in one folder)."),
                                {"field": "file"})
    return inner[0]


def _history_rows() -> list[dict]:
    rows = history(get_runtime().engine)[:50]
    return [{**r, "when": format_timestamp(r["applied_at"]), "changes": len(r["plan"].get("changes") or []),
             "destructive": sum(1 for c in r["plan"].get("changes") or [] if c.get("destructive"))} for r in rows]


@bp.get("/packages")
def packages():
    _admin()
    return render_template("admin/packages.html", samples=sample_names(), history=_history_rows(),
                           plan=None, token=None)


@bp.post("/packages/plan")
def package_plan():
    admin = _admin()
    rt = get_runtime()
    try:
        upload = request.files.get("file")
        if upload is not None and upload.filename:
            token = _unpack(upload.read())
        else:
            token = f"sample:{request.form.get('sample', '')}"
        pkg = load_checked(_package_dir(token), rt.registry)
        data = plan(rt, admin, pkg).to_dict()
    except CardfileError as exc:
        if exc.code in ("ACCESS_DENIED", "AUTHENTICATION_FAILED"):
            raise
        flash(exc.message, "error")
        return redirect(url_for("admin.packages"))
    changes = data["changes"]
    view = {"package": pkg.title, "name": pkg.name, "version": pkg.version, "previous": data["previous"],
            "conflicts": data["conflicts"],
            "destructive": [c for c in changes if c["destructive"] or c["blocked"]],
            "additions": [c for c in changes if c["action"] in ("create_table", "add_field")
                          and not (c["destructive"] or c["blocked"])],
            "changes": [c for c in changes if c["action"] not in ("create_table", "add_field")
                        and not (c["destructive"] or c["blocked"])],
            "blocked": [c for c in changes if c["blocked"]],
            "local": data["local"], "notices": data["notices"]}
    return render_template("admin/packages.html", samples=sample_names(), history=_history_rows(),
                           plan=view, token=token)


@bp.post("/packages/apply")
def package_apply():
    admin = _admin()
    rt = get_runtime()
    target = url_for("admin.packages")
    token = request.form.get("package", "")
    try:
        path = _package_dir(token)
        pkg = load_checked(path, rt.registry)
        source = token.split(":", 1)[1] if token.startswith("sample:") else str(path.resolve())
        report = install(rt, admin, pkg, current_app.config["SECRET_KEY"],
                         allow_destructive=request.form.get("destructive") == "1",
                         adopt=request.form.get("adopt") == "1", source=source)
    except CardfileError as exc:
        if exc.code in ("ACCESS_DENIED", "AUTHENTICATION_FAILED"):
            raise
        flash(exc.message, "error")
        return redirect(target)
    text = _("%(name)s %(version)s applied: %(n)s change(s).", name=pkg.title, version=pkg.version,
             n=report["applied"])
    if report["backup"]:
        text += " " + _("A backup was taken first: %(file)s", file=Path(report["backup"]).name)
    flash(text, "success")
    return redirect(target)


@bp.get("/packages/export.zip")
def package_export():
    """The running configuration as a package, zipped (the files ``config export`` writes)."""
    admin = _admin()
    files = render_package(get_runtime(), admin)
    name = re.search(r"^name: (\S+)$", files["package.yaml"].decode("utf-8"), flags=re.M).group(1)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for relative, content in files.items():
            archive.writestr(f"{name}/{relative}", content)
    out.seek(0)
    return send_file(out, mimetype="application/zip", as_attachment=True, download_name=f"{name}.zip")
