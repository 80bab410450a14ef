"""Alembic environment: the app's engine and metadata, through Flask-Migrate."""

import logging
import re
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
if not logging.getLogger().handlers:  # a process that set up its logging keeps it
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db
config.set_main_option(
    "sqlalchemy.url",
    target_db.engine.url.render_as_string(hide_password=False).replace("%", "%%"),
)


#: Indexes and tables without a model: text search (migrations text_search and
#: sqlite_text_search: trigram indexes on PostgreSQL; FTS5 tables on SQLite, with their
#: shadow tables).
_SEARCH_TABLE = re.compile(r"(activity|milestone)_search(_data|_idx|_docsize|_config)?")


def include_name(name, type_, _parent_names):  # type: ignore[no-untyped-def]
    if name is None:
        return True
    if type_ == "index":
        return not name.endswith("_search")
    return not (type_ == "table" and _SEARCH_TABLE.fullmatch(name))


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_db.metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    def process_revision_directives(_context, _revision, directives):  # type: ignore[no-untyped-def]
        """Write no empty migration when the models did not change."""
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = dict(current_app.extensions["migrate"].configure_args)
    conf_args.setdefault("process_revision_directives", process_revision_directives)
    conf_args.setdefault("include_name", include_name)
    with target_db.engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_db.metadata, **conf_args)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
