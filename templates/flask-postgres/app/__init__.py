"""A small Flask app the way the team works: PostgreSQL through SQLAlchemy, schema by
Alembic migrations (run by devenv before the app starts), uploads through a storage
abstraction (local disk by default, S3 when configured), and only vendored JS/CSS."""
import os

from flask import Flask, abort, jsonify, render_template, request, send_file
from sqlalchemy import create_engine, text

from .storage import storage_from_env


def create_app():
    app = Flask(__name__, static_folder="../static", static_url_path="/static")
    engine = create_engine(os.environ["DATABASE_URL"], pool_pre_ping=True)
    storage = storage_from_env()

    def uploads():
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT id, filename, size, created_at FROM uploads ORDER BY id DESC LIMIT 50")
            )
            return [dict(r._mapping) for r in rows]

    @app.get("/")
    def index():
        return render_template("index.html", uploads=uploads(), backend=storage.name)

    @app.get("/healthz")
    def healthz():
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return jsonify(status="ok")

    @app.post("/uploads")
    def upload():
        file = request.files.get("file")
        if file is None or not file.filename:
            abort(400, "no file")
        data = file.read()
        key = storage.save(file.filename, data)
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO uploads (filename, stored_as, size) VALUES (:f, :k, :s)"),
                {"f": file.filename, "k": key, "s": len(data)},
            )
        return render_template("_uploads.html", uploads=uploads())

    @app.get("/uploads/<int:upload_id>")
    def download(upload_id):
        with engine.connect() as conn:
            row = conn.execute(
                text("SELECT filename, stored_as FROM uploads WHERE id = :id"), {"id": upload_id}
            ).first()
        if row is None:
            abort(404)
        return send_file(storage.open(row.stored_as), download_name=row.filename)

    return app
