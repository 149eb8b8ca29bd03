"""The ``linecare`` command."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from collector.structured_logging import use_json_logs
from launcher import (
    credential_admin,
    evaluate_command,
    knowledge_cli,
    model_admin,
    parts_cli,
    ticket_cli,
)
from launcher.local_services import LocalServices
from models.plant import load_plant
from settings.linecare_settings import Settings
from storage.database import prepare_database


def _services(settings: Settings, action: str) -> int:
    services = LocalServices.from_settings(settings)
    if action == "up":
        started = services.up()
        print("started: " + (", ".join(started) if started else "nothing (all running)"))
    elif action == "down":
        services.down()
    for name, state in services.status().items():
        print(f"{name:12} {state}")
    return 0


def _migrate(settings: Settings) -> int:
    plant = load_plant(settings.plant_file)
    features = asyncio.run(prepare_database(settings.dsn(), plant, settings.retention))
    print(
        f"database ready: TimescaleDB {features.edition} edition, rollup {features.rollup},"
        f" retention by {features.retention}"
    )
    return 0


# Failures of a browse that get one line rather than a traceback (and OPC UA errors).
_BROWSE_FAILURES: tuple[type[Exception], ...] = (OSError, TimeoutError, ValueError)


def _opcua(settings: Settings, args: argparse.Namespace) -> int:
    """``opcua browse`` and ``opcua trust``, with the collector's certificates and logins."""
    # Imported here: only these commands need the OPC UA stack.
    from asyncua.ua.uaerrors import UaError

    from collector.opcua_browse import browse_endpoint, plant_file_snippet, render_tree
    from collector.opcua_commissioning import establish_trust, login_for
    from collector.opcua_refusal import certificate_refusal
    from collector.opcua_security import UntrustedServerError
    from models.opcua_source import OpcUaSecurity

    policy, _, mode = str(args.security).partition(",")
    secured = policy not in ("", "None")
    try:
        credentials = login_for(
            settings.opcua_credentials(args.url),
            user=args.user,
            password_file=args.password_file,
            password_env=settings.opcua_password.get_secret_value()
            if settings.opcua_password
            else None,
            ask=getpass.getpass if sys.stdin.isatty() else None,
        )
        security = OpcUaSecurity.model_validate(
            {
                "policy": policy,
                "mode": mode or policy,
                "user_login": credentials.username is not None,
            }
        )
        if args.opcua_command == "trust":
            result = asyncio.run(
                establish_trust(
                    args.url,
                    security,
                    credentials,
                    wait_s=args.wait,
                    say=lambda line: print(f"linecare: {line}", file=sys.stderr, flush=True),
                )
            )
            print(result.message if result.connected else f"linecare: gave up: {result.message}")
            return 0 if result.connected else 3
        tree = asyncio.run(
            browse_endpoint(args.url, depth=args.depth, security=security, credentials=credentials)
        )
    except Exception as error:
        if certificate_refusal(error, secured=secured) is not None:
            print(
                f"linecare: {args.url} refused LineCare's client certificate; run"
                f" `linecare opcua trust {args.url} --security {args.security}` to see which"
                " certificate to trust and wait until it is",
                file=sys.stderr,
            )
            return 3
        if not isinstance(
            error, OSError | TimeoutError | UaError | UntrustedServerError | ValueError
        ):
            raise
        print(f"linecare: cannot browse {args.url}: {error}", file=sys.stderr)
        return 1
    print(render_tree(tree))
    print()
    print(plant_file_snippet(tree), end="")
    return 0


def _users(settings: Settings, args: argparse.Namespace) -> int:
    """Accounts: bad input exits 2 with one line, an unreachable database 1."""
    # Imported here: `services` and `migrate` do not need it.
    import psycopg

    from launcher import user_admin

    dsn = settings.dsn()
    try:
        if args.users_command in credential_admin.COMMANDS:
            needs_plant = getattr(args, "api_key_command", None) == "add"
            plant = load_plant(settings.plant_file) if needs_plant else None
            credential_admin.run(args, dsn, plant)
        elif args.users_command == "add":
            plant = load_plant(settings.plant_file)
            new = user_admin.new_user(
                plant,
                login=args.login,
                role=args.role,
                customer_id=args.customer_id,
                display_name=args.name,
            )
            issued = asyncio.run(user_admin.add_user(dsn, plant, new))
            _print_token(f"created {user_admin.describe(issued.user)}", issued.token)
        elif args.users_command == "rotate":
            issued = asyncio.run(user_admin.rotate_token(dsn, args.login))
            _print_token(f"new token for {user_admin.describe(issued.user)}", issued.token)
        elif args.users_command == "revoke":
            account, before = asyncio.run(user_admin.revoke_user(dsn, args.login))
            state = "was already revoked" if before else "is revoked: its token no longer works"
            print(f"{user_admin.describe(account.user)} {state}")
        else:
            print(user_admin.render_accounts(asyncio.run(user_admin.list_users(dsn))))
    except user_admin.UserAdminError as error:
        print(f"linecare: {error}", file=sys.stderr)
        return 2
    except (OSError, ValueError, psycopg.Error) as error:
        # Plant file, database: the first line says enough (psycopg adds hints below it).
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        print(f"linecare: {first_line}", file=sys.stderr)
        return 1
    return 0


def _print_token(what: str, token: str) -> None:
    # The token alone on stdout, so that `TOKEN=$(linecare users add ...)` works.
    print(f"linecare: {what}; its token, shown only this once:", file=sys.stderr)
    print(token)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="linecare",
        description="Remote monitoring and predictive maintenance for production lines.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument(
        "--log-format",
        choices=["text", "json"],
        default="text",
        help="json: one JSON object per line, for log shippers",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    services = commands.add_parser("services", help="local TimescaleDB and Mosquitto")
    services.add_argument("action", choices=["up", "down", "status"])

    commands.add_parser("migrate", help="create or update the database schema")

    for name, text in (
        ("demo", "run the simulated plant and the whole pipeline, console on the API port"),
        ("simulate", "run only the plant simulator (OPC UA server and MQTT publisher)"),
    ):
        command = commands.add_parser(name, help=text)
        command.add_argument("--speed", type=float, help="simulated seconds per wall second")
        command.add_argument("--seed", type=int, help="random seed of the scenarios")
    commands.add_parser("collect", help="run the OPC UA and MQTT collectors")
    commands.add_parser("analyze", help="run OEE, anomaly scoring and alert rules")
    api = commands.add_parser("api", help="run the REST API and web console")
    api.add_argument("--host", help="address to listen on (default 127.0.0.1)")
    api.add_argument("--port", type=int, help="port to listen on (default 8000)")
    api.add_argument(
        "--workers",
        type=int,
        default=1,
        help="API processes sharing the port, e.g. one per core (default 1)",
    )
    demo = commands.choices["demo"]
    demo.add_argument(
        "--reset", action="store_true", help="start from an empty database (drops the demo data)"
    )
    demo.add_argument(
        "--no-story",
        dest="story",
        action="store_false",
        help="leave the bearing warning's ticket to you (by default demo people work it)",
    )
    opcua = commands.add_parser("opcua", help="OPC UA tools for connecting a new line")
    opcua_tools = opcua.add_subparsers(dest="opcua_command", required=True)
    browse = opcua_tools.add_parser(
        "browse", help="print a server's address space and a plant-file node mapping"
    )
    browse.add_argument("url", help="e.g. opc.tcp://10.0.0.5:4840/")
    browse.add_argument("--depth", type=int, default=4, help="levels below Objects (default 4)")
    browse.add_argument(
        "--security", default="None", help="POLICY,MODE, e.g. Basic256Sha256,SignAndEncrypt"
    )
    trust = opcua_tools.add_parser(
        "trust",
        help="connect as the collector will; on a refused certificate, say which to trust"
        " and retry until it is",
    )
    trust.add_argument("url", help="e.g. opc.tcp://10.0.0.5:4840/")
    trust.add_argument(
        "--wait", type=float, default=600.0, help="seconds to keep retrying (default 600)"
    )
    for command in (browse, trust):
        if command is trust:
            command.add_argument(
                "--security",
                default="Basic256Sha256,SignAndEncrypt",
                help="POLICY,MODE (default Basic256Sha256,SignAndEncrypt)",
            )
        command.add_argument(
            "--user",
            help="log in as this user; default: the login LINECARE_OPCUA_LOGINS has for the URL",
        )
        command.add_argument(
            "--password-file",
            type=Path,
            help="read the password from this file (else LINECARE_OPCUA_PASSWORD, the"
            " configured login, or a prompt)",
        )
    _add_users_parser(commands)
    evaluate_command.add_parser(commands)
    model_admin.add_parser(commands)
    ticket_cli.add_parser(commands)
    parts_cli.add_parser(commands)
    knowledge_cli.add_parser(commands)
    return parser


def _add_users_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    users = commands.add_parser("users", help="accounts of the API and console, and their tokens")
    actions = users.add_subparsers(dest="users_command", required=True)
    add = actions.add_parser("add", help="create a user and print its token once")
    add.add_argument("login", help="e.g. anna.berger or anna@nordbrau.example")
    add.add_argument(
        "--role",
        required=True,
        help="admin, desk, support, field_engineer, parts_manager or customer",
    )
    add.add_argument(
        "--customer-id", help="the plant-file customer a customer user sees; only for customers"
    )
    add.add_argument("--name", help="display name (default: the login)")
    actions.add_parser("list", help="the users, their roles and whether they are revoked")
    revoke = actions.add_parser("revoke", help="stop a user's token from working, for good")
    revoke.add_argument("login")
    rotate = actions.add_parser("rotate", help="give a user a new token; the old one stops working")
    rotate.add_argument("login")
    credential_admin.add_parsers(actions)


def _settings_from(args: argparse.Namespace) -> Settings:
    overrides: dict[str, object] = {}
    if getattr(args, "speed", None) is not None:
        overrides["simulation_speed"] = args.speed
    if getattr(args, "seed", None) is not None:
        overrides["simulation_seed"] = args.seed
    if getattr(args, "host", None) is not None:
        overrides["api_host"] = args.host
    if getattr(args, "port", None) is not None:
        overrides["api_port"] = args.port
    return Settings(**overrides)  # type: ignore[arg-type]


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    level = logging.DEBUG if args.verbose else logging.INFO
    if args.log_format == "json":
        use_json_logs(level)
    else:
        logging.basicConfig(level=level, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    logging.getLogger("asyncua").setLevel(logging.WARNING)
    # The demo story's API calls would log a line each.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # On a lost server asyncua logs a traceback per session; our subscriber logs
    # the loss once and reconnects, so these add only noise.
    logging.getLogger("asyncua.client.ua_session").setLevel(logging.CRITICAL)
    settings = _settings_from(args)
    try:
        if args.command == "services":
            return _services(settings, args.action)
        if args.command == "migrate":
            return _migrate(settings)
        if args.command == "opcua":
            return _opcua(settings, args)
        if args.command == "users":
            return _users(settings, args)
        if args.command == "evaluate":
            return evaluate_command.run_evaluate(args, settings.plant_file)
        if args.command == "models":
            return model_admin.run_models(args, settings)
        if args.command == "tickets":
            return ticket_cli.run_tickets(args, settings)
        if args.command == "parts":
            return parts_cli.run_parts(args, settings)
        if args.command == "knowledge":
            return knowledge_cli.run_knowledge(args, settings)
        # Imported here so that `services` and `migrate` work before the rest is set up.
        from launcher import api_workers, demo

        plant = load_plant(settings.plant_file)
        if args.command == "api" and args.workers > 1:
            asyncio.run(demo.prepare_api_database(settings, plant))
            api_workers.serve_api_workers(
                settings, args.workers, api_workers.worker_environment(settings)
            )
            return 0
        runners = {
            "demo": lambda: demo.run_demo(settings, plant, reset=args.reset, story=args.story),
            "simulate": lambda: demo.run_simulator_only(settings, plant),
            "collect": lambda: demo.run_collector_only(settings, plant),
            "analyze": lambda: demo.run_analytics_only(settings, plant),
            "api": lambda: demo.run_api_only(settings, plant),
        }
        asyncio.run(runners[args.command]())
    except KeyboardInterrupt:
        return 130
    except demo_errors() as error:
        print(f"linecare: {error}", file=sys.stderr)
        return 1
    return 0


def demo_errors() -> tuple[type[Exception], ...]:
    """Errors that carry a message for the user rather than a stack trace."""
    from launcher.demo import DemoError
    from services.mosquitto_broker import BrokerError
    from services.postgres_cluster import ClusterError

    return (DemoError, BrokerError, ClusterError)


if __name__ == "__main__":
    sys.exit(main())
