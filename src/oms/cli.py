"""The ``oms`` command: serve, migrate, manage keys, load the demo retailer, import CSV files."""

import asyncio
from typing import Annotated

import typer
from rich.console import Console

from .bootstrap import build_context, prepare
from .config import Settings
from .domain.errors import OmsError

app = typer.Typer(help="Order Management System for omnichannel retail.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
keys_app = typer.Typer(help="API keys.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
console = Console()
err = Console(stderr=True)


def run(coro_fn):
    """Run an async command on a fresh context; domain errors become a clear message and exit code 1."""
    async def main():
        ctx = build_context(Settings())
        try:
            await prepare(ctx)
            return await coro_fn(ctx)
        finally:
            await ctx.db.dispose()

    try:
        return asyncio.run(main())
    except OmsError as exc:
        err.print(f"[red]error:[/red] {exc.detail}")
        raise typer.Exit(1) from None


@app.command()
def serve(host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
          port: Annotated[int, typer.Option(help="TCP port")] = 8000,
          workers: Annotated[int, typer.Option(help="Server processes (PostgreSQL only)")] = 1):
    """Apply pending migrations, then serve the API (and /docs)."""
    import uvicorn

    settings = Settings()
    if workers > 1 and settings.database_url.startswith("sqlite"):
        err.print("[red]error:[/red] several workers need PostgreSQL (OMS_DATABASE_URL=postgresql://…)")
        raise typer.Exit(2)
    run(lambda ctx: asyncio.sleep(0))  # migrate once, before any worker starts
    console.print(f"OMS serving on [bold]http://{host}:{port}[/bold] — API docs at http://{host}:{port}/docs")
    uvicorn.run("oms.bootstrap:build_app", factory=True, host=host, port=port, workers=workers,
                log_level="warning", access_log=False)


@db_app.command("upgrade")
def db_upgrade():
    """Apply pending migrations."""
    from .db.migrate import current_revision

    revision = run(lambda ctx: current_revision(ctx.db.engine))
    console.print(f"database at revision {revision}")


@keys_app.command("create")
def keys_create(role: Annotated[str, typer.Option(help="admin, channel, node or viewer")],
                scope: Annotated[str | None, typer.Option(help="the channel (channel keys) or node id (node keys)")] = None,
                name: Annotated[str, typer.Option(help="a label for the key")] = ""):
    """Create an API key and print it (it is stored hashed: this is the only time it is shown)."""
    from .services.keys import create_key

    key, principal = run(lambda ctx: create_key(ctx.db, role=role, scope=scope, name=name))
    console.print(f"{principal.role}{' ' + principal.scope if principal.scope else ''}: [bold]{key}[/bold]")
