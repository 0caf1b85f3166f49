"""docker-compose.yml, Dockerfile and .dockerignore, checked without a Docker engine.

The compose file is validated against the Compose specification
(``check-jsonschema --builtin-schema vendor.compose-spec``, offline), then
read as YAML: services, ports, healthchecks, start order, and the worker's
environment against what the code reads (``okot.settings.Settings`` and the
``TEMPORAL_*`` variables of ``temporalio.envconfig``). The one-shot that
creates the namespace and registers the search attributes (``okot temporal
setup``) is run for real against a Temporal dev server.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import timedelta
from graphlib import TopologicalSorter
from pathlib import Path
from typing import Any

import pytest
import yaml
from cli_helpers import OKOT
from sqlalchemy.engine import make_url
from temporalio.api.enums.v1 import IndexedValueType
from temporalio.api.operatorservice.v1 import ListSearchAttributesRequest
from temporalio.api.workflowservice.v1 import DescribeNamespaceRequest

from okot.settings import Settings
from okot.temporal import search_attributes as sa
from okot_dev import (
    devserver,
    ports,
)

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "docker-compose.yml"
BIN = Path(sys.executable).parent

# Settings that the compose file leaves unset on purpose; their defaults are
# right for the stack (documented in docker-compose.yml beside the worker's
# environment). Anything else in Settings must be set explicitly.
SAFE_DEFAULTS = {
    "mail_dir": "unset: mails go over SMTP to Mailpit, not to files",
    "smtp_username": "Mailpit accepts mail without a login",
    "smtp_password": "Mailpit accepts mail without a login",
    # only the web service signs sessions and logs people in: set there
    "web_secret": "set for the web service only",
    "web_session_hours": "set for the web service only (default 8)",
    "oidc_issuer": "set for the web service only",
    "oidc_client_id": "set for the web service only",
    "oidc_client_secret": "set for the web service only",
    "ui_origin": "set for the web service only (its codec server answers the Web UI)",
    "build_id": "unset: the package version (the image has no git checkout); a deploy may set it",
}
# TEMPORAL_* variables that temporalio.envconfig reads but the stack does not
# need (Temporal Cloud, TLS, profiles from a config file).
OPTIONAL_TEMPORAL = {
    "TEMPORAL_PROFILE", "TEMPORAL_CONFIG_FILE", "TEMPORAL_API_KEY", "TEMPORAL_TLS",
    "TEMPORAL_TLS_CA_CERT_PATH", "TEMPORAL_TLS_CA_CERT_DATA", "TEMPORAL_TLS_CLIENT_CERT_PATH",
    "TEMPORAL_TLS_CLIENT_CERT_DATA", "TEMPORAL_TLS_CLIENT_KEY_PATH",
    "TEMPORAL_TLS_CLIENT_KEY_DATA", "TEMPORAL_TLS_SERVER_NAME",
    "TEMPORAL_TLS_DISABLE_HOST_VERIFICATION", "TEMPORAL_GRPC_META",
    "TEMPORAL_CODEC_ENDPOINT", "TEMPORAL_CODEC_AUTH",
}
REQUIRED_TEMPORAL = {"TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE"}
OKOT_SERVICES = ("okot-migrate", "temporal-setup", "vdab-sim", "worker", "web")

_INTERPOLATION = re.compile(r"\$\{([A-Z0-9_]+)(?::?-([^}]*))?\}")


def interpolate(value: str) -> str:
    """Compose's ``${VAR:-default}`` with an empty environment, and ``$$`` -> ``$``."""
    marker = "\0"
    value = value.replace("$$", marker)
    value = _INTERPOLATION.sub(lambda m: m.group(2) or "", value)
    return value.replace(marker, "$")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = compose["services"]
    return result


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: interpolate(str(v)) for k, v in env.items()}


def host_ports(service: dict[str, Any]) -> set[int]:
    ports = set()
    for entry in service.get("ports", []):
        text = str(entry["published"] if isinstance(entry, dict) else entry)
        ports.add(int(text.split(":")[0]))
    return ports


def image_of(service: dict[str, Any]) -> str:
    return interpolate(str(service.get("image", "")))


# ------------------------------------------------------------------ the spec


def test_compose_file_follows_the_compose_spec() -> None:
    result = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# -------------------------------------------------------------- the services


def test_services_and_images(services: dict[str, dict[str, Any]]) -> None:
    assert set(services) >= {
        "postgresql", "temporal", "temporal-setup", "temporal-ui", "mailpit", *OKOT_SERVICES,
    }
    assert image_of(services["postgresql"]).startswith("postgres:")
    assert image_of(services["temporal"]).split(":")[0] in (
        "temporalio/server", "temporalio/auto-setup"
    )
    assert image_of(services["temporal-ui"]).startswith("temporalio/ui:")
    assert image_of(services["mailpit"]).startswith("axllent/mailpit:")
    for name in services:
        assert not image_of(services[name]).endswith(":latest"), name


def test_temporal_runs_on_postgresql(services: dict[str, dict[str, Any]]) -> None:
    env = environment(services["temporal"])
    assert env["DB"].startswith("postgres")
    assert env["POSTGRES_SEEDS"] == "postgresql"
    assert env.get("VISIBILITY_STORE", "postgresql") == "postgresql"


def test_published_ports(services: dict[str, dict[str, Any]]) -> None:
    assert 7233 in host_ports(services["temporal"])
    assert host_ports(services["temporal-ui"]) & {8080, 8233}
    assert {8025, 1025} <= host_ports(services["mailpit"])
    assert 8088 in host_ports(services["vdab-sim"])


def test_okot_services_are_built_from_the_dockerfile(services: dict[str, dict[str, Any]]) -> None:
    commands = {name: services[name]["command"] for name in OKOT_SERVICES}
    for name in OKOT_SERVICES:
        build = services[name]["build"]
        context = build if isinstance(build, str) else build.get("context", ".")
        assert Path(ROOT / context).resolve() == ROOT, name
        assert (ROOT / "Dockerfile").exists()
    assert commands["okot-migrate"] == ["okot", "db", "upgrade"]
    assert commands["temporal-setup"][:3] == ["okot", "temporal", "setup"]
    assert commands["worker"][:2] == ["okot", "worker"] or commands["worker"][-1] == "worker.py"
    sim = commands["vdab-sim"]
    assert sim[:2] == ["okot", "vdab-sim"]
    assert sim[sim.index("--host") + 1] == "0.0.0.0"  # reachable from the worker's container
    assert sim[sim.index("--port") + 1] == "8088"
    assert services["okot-migrate"].get("restart") == "no"
    assert services["temporal-setup"].get("restart") == "no"


# --------------------------------------------------------- start-up ordering


def _test_command(service: dict[str, Any]) -> list[str]:
    test = service["healthcheck"]["test"]
    return [test] if isinstance(test, str) else list(test)


def test_healthchecks(services: dict[str, dict[str, Any]]) -> None:
    for name in ("postgresql", "temporal", "mailpit", "vdab-sim", "worker"):
        check = services[name].get("healthcheck")
        assert check and check.get("test") and not check.get("disable"), name
        assert check["test"][0] in ("CMD", "CMD-SHELL"), name
        for key in ("interval", "timeout", "retries"):
            assert key in check, (name, key)
    # the python healthchecks are valid Python and hit real routes and ports
    sim = _test_command(services["vdab-sim"])
    assert "http://127.0.0.1:8088/health" in sim[-1]
    compile(sim[-1], "vdab-sim healthcheck", "exec")
    worker = _test_command(services["worker"])
    metrics = environment(services["worker"])["OKOT_METRICS_PORT"]
    assert f"http://127.0.0.1:{metrics}/metrics" in worker[-1]
    compile(worker[-1], "worker healthcheck", "exec")


def test_depends_on_conditions_give_a_start_order(services: dict[str, dict[str, Any]]) -> None:
    graph: dict[str, set[str]] = {}
    for name, service in services.items():
        depends = service.get("depends_on", {})
        assert isinstance(depends, dict), f"{name}: use the long depends_on form with conditions"
        graph[name] = set(depends)
        for target, spec in depends.items():
            assert target in services, (name, target)
            condition = spec["condition"]
            if condition == "service_healthy":
                assert "healthcheck" in services[target], (name, target)
            elif condition == "service_completed_successfully":
                assert services[target].get("restart") == "no", (name, target)
            else:
                pytest.fail(f"{name} -> {target}: condition {condition!r} does not wait for readiness")
    order = list(TopologicalSorter(graph).static_order())  # raises on a cycle
    assert order.index("postgresql") < order.index("temporal") < order.index("temporal-setup")
    worker = services["worker"]["depends_on"]
    assert worker["okot-migrate"]["condition"] == "service_completed_successfully"
    assert worker["temporal-setup"]["condition"] == "service_completed_successfully"
    assert worker["temporal"]["condition"] == "service_healthy"
    assert worker["mailpit"]["condition"] == "service_healthy"
    assert worker["vdab-sim"]["condition"] == "service_healthy"
    assert services["okot-migrate"]["depends_on"]["postgresql"]["condition"] == "service_healthy"
    assert services["temporal-ui"]["depends_on"]["temporal"]["condition"] == "service_healthy"


# ------------------------------------------------------------ configuration


def test_every_setting_is_configured_for_the_worker(
    services: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = environment(services["worker"])
    fields = set(Settings.model_fields)
    assert set(SAFE_DEFAULTS) <= fields, "a documented safe default no longer exists"
    missing = sorted(
        f"OKOT_{name.upper()}" for name in fields - set(SAFE_DEFAULTS)
        if f"OKOT_{name.upper()}" not in env
    )
    assert not missing, (
        f"set {', '.join(missing)} for the worker in docker-compose.yml "
        "(or document a safe default in SAFE_DEFAULTS)"
    )
    unknown = sorted(
        k for k in env if k.startswith("OKOT_") and k[5:].lower() not in fields
    )
    assert not unknown, f"docker-compose.yml sets unknown settings: {unknown}"
    # and the values are valid settings
    for key in list(os.environ):
        if key.startswith("OKOT_"):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = Settings()
    assert settings.smtp_host == "mailpit" and settings.smtp_port == 1025
    assert settings.registration_gateway == "http"
    assert settings.vdab_url == "http://vdab-sim:8088"
    assert settings.delivery == "relay" and settings.mail_dir is None
    assert settings.metrics_port is not None
    url = make_url(settings.database_url)
    assert url.drivername == "postgresql+psycopg" and url.host == "postgresql"
    # the okot database and role are created on first start of PostgreSQL
    init = yaml.safe_load(COMPOSE.read_text())["configs"]["okot-database"]["content"]
    assert f"CREATE DATABASE {url.database} OWNER {url.username}" in init
    assert f"CREATE ROLE {url.username} LOGIN PASSWORD '{url.password}'" in interpolate(init)


def test_the_mail_relay_sends_what_the_worker_queues(services: dict[str, dict[str, Any]]) -> None:
    relay, worker = services["mail-relay"], services["worker"]
    assert relay["command"] == ["okot", "outbox", "relay"]
    assert relay["environment"] == worker["environment"]  # same database, SMTP and keyring
    assert relay["environment"]["OKOT_DELIVERY"] == "relay"
    assert relay["stop_signal"] == "SIGTERM" and relay["restart"] == "unless-stopped"
    assert {"postgresql", "okot-migrate", "mailpit"} <= set(relay["depends_on"])


def test_the_web_service(services: dict[str, dict[str, Any]],
                         monkeypatch: pytest.MonkeyPatch) -> None:
    web = services["web"]
    command = web["command"]
    assert command[:2] == ["okot", "web"]
    assert command[command.index("--host") + 1] == "0.0.0.0"
    port = int(command[command.index("--port") + 1])
    assert port in host_ports(web)
    check = _test_command(web)
    assert f"http://127.0.0.1:{port}/api/v1/openapi.json" in check[-1]
    compile(check[-1], "web healthcheck", "exec")
    depends = web["depends_on"]
    assert depends["okot-migrate"]["condition"] == "service_completed_successfully"
    assert depends["temporal-setup"]["condition"] == "service_completed_successfully"
    env = environment(web)
    assert environment(services["worker"]).items() <= env.items(), "the worker's settings too"
    for key in ("OKOT_WEB_URL", "OKOT_WEB_SECRET", "OKOT_OIDC_ISSUER", "OKOT_OIDC_CLIENT_ID",
                "OKOT_OIDC_CLIENT_SECRET"):
        assert key in env, key
    for key in list(os.environ):
        if key.startswith("OKOT_"):
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings = Settings()
    assert settings.web_secret and len(settings.web_secret) >= 16
    assert settings.oidc_issuer and settings.oidc_client_id
    assert settings.web_url == "http://localhost:8000"
    # the Web UI decodes payloads with the web app's codec server, cookies included
    ui = environment(services["temporal-ui"])
    assert ui["TEMPORAL_CODEC_ENDPOINT"] == settings.web_url + "/codec"
    assert ui["TEMPORAL_CODEC_INCLUDE_CREDENTIALS"] == "true"
    assert settings.ui_origins == (f"http://localhost:{min(host_ports(services['temporal-ui']))}",)
    # every variable of the IdP is documented at the top of the file
    header = COMPOSE.read_text().split("name: okot-flow")[0]
    for key in ("OKOT_OIDC_ISSUER", "OKOT_OIDC_CLIENT_ID", "OKOT_OIDC_CLIENT_SECRET",
                "OKOT_WEB_SECRET", "OKOT_WEB_URL", "OKOT_UI_ORIGIN"):
        assert key in header, key


def _temporal_variables_in_code() -> set[str]:
    found: set[str] = set()
    files = [*ROOT.glob("okot/**/*.py"), *ROOT.glob("workflows/*.py"),
             *ROOT.glob("activities/*.py"), ROOT / "worker.py", ROOT / "starter.py",
             ROOT / "replay_check.py"]
    for path in files:
        if path.exists():
            found |= set(re.findall(r"\bTEMPORAL_[A-Z][A-Z0-9_]*", path.read_text("utf-8")))
    return found


def test_every_temporal_variable_is_set_or_optional(services: dict[str, dict[str, Any]]) -> None:
    read = _temporal_variables_in_code() | REQUIRED_TEMPORAL
    unexplained = read - REQUIRED_TEMPORAL - OPTIONAL_TEMPORAL
    assert not unexplained, f"the code reads {sorted(unexplained)}: set it in compose or list it"
    for name in ("worker", "okot-migrate", "temporal-setup"):
        env = environment(services[name])
        assert set(env) >= REQUIRED_TEMPORAL, name
        assert env["TEMPORAL_ADDRESS"] == "temporal:7233"
    assert environment(services["temporal-ui"])["TEMPORAL_ADDRESS"] == "temporal:7233"


def test_our_search_attributes_fit_in_sql_visibility() -> None:
    kinds = [key.indexed_value_type.name for key in sa.ALL]
    assert kinds.count("KEYWORD") <= 10 and kinds.count("DATETIME") <= 3
    assert kinds.count("BOOL") <= 3


async def test_setup_one_shot_works_against_a_real_server(
    services: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    """Run the temporal-setup one-shot's command (twice) against a dev server that has
    neither the namespace nor the search attributes."""
    setup = services["temporal-setup"]
    assert setup["command"][0] == "okot"
    command = [*OKOT, *(interpolate(part) for part in setup["command"][1:])]
    assert command[-2:] == ["--retention", "30d"]
    run_env = {k: v for k, v in os.environ.items() if not k.startswith("OKOT_")}  # no keyring
    run_env |= {**environment(setup), "TEMPORAL_NAMESPACE": "okot-compose-test"}
    server = devserver.DevServer(
        db_file=None, port=ports.free_port(), ui_port=None, search_attributes=False,
        log_file=tmp_path / "temporal.log",
    )
    server.start()
    try:
        await server.wait_ready(30)
        client = await server.connect(30)
        run_env["TEMPORAL_ADDRESS"] = server.address
        outputs = []
        for _ in range(2):  # idempotent: a restart of the one-shot changes nothing
            result = await asyncio.to_thread(
                subprocess.run, command, env=run_env, capture_output=True, cwd=ROOT,
                text=True, timeout=120, check=False,
            )
            assert result.returncode == 0, result.stdout + result.stderr
            outputs.append(result.stdout)
        lowered = await asyncio.to_thread(  # TEMPORAL_RETENTION=7d on an existing namespace
            subprocess.run, [*command[:-1], "7d"], env=run_env, capture_output=True, cwd=ROOT,
            text=True, timeout=120, check=False,
        )
        assert lowered.returncode == 0, lowered.stdout + lowered.stderr
        assert "namespace okot-compose-test: exists, retention 7 days (was 30)" in lowered.stdout
        await asyncio.to_thread(
            subprocess.run, command, env=run_env, capture_output=True, cwd=ROOT,
            text=True, timeout=120, check=True,
        )
        listed = await client.operator_service.list_search_attributes(
            ListSearchAttributesRequest(namespace="okot-compose-test")
        )
        described = await client.workflow_service.describe_namespace(
            DescribeNamespaceRequest(namespace="okot-compose-test")
        )
    finally:
        await asyncio.to_thread(server.stop)
    # the retention of closed histories, the other half of erasure (README, "Privacy")
    retention = described.config.workflow_execution_retention_ttl.ToTimedelta()
    assert retention == timedelta(days=30)
    registered = dict(listed.custom_attributes)
    for key in sa.ALL:
        assert registered.get(key.name) == IndexedValueType.ValueType(key.indexed_value_type), key.name
    assert "namespace okot-compose-test: created, retention 30 days" in outputs[0]
    added = f"search attributes: added {', '.join(sorted(key.name for key in sa.ALL))}\n"
    assert added in outputs[0]
    assert "namespace okot-compose-test: exists, retention 30 days\n" in outputs[1]
    assert f"search attributes: all {len(sa.ALL)} present" in outputs[1]


# ------------------------------------------------------------------ the image

RUNTIME_SOURCES = {"pyproject.toml", "README.md", "worker.py", "starter.py", "replay_check.py",
                   "okot", "workflows", "activities"}
"""What the runtime image is installed from: no dev-only tool (okot_dev) among them."""


@dataclass
class BuildStage:
    """One ``FROM`` of the Dockerfile and the instructions under it."""

    base: str
    name: str | None
    instructions: list[tuple[str, str]] = field(default_factory=list)
    """(KEYWORD, arguments), continuation lines joined, comments dropped."""


def dockerfile_stages() -> list[BuildStage]:
    text = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text(encoding="utf-8"))
    stages: list[BuildStage] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, rest = line.partition(" ")
        if keyword.upper() == "FROM":
            found = re.fullmatch(r"(\S+)(?:\s+AS\s+(\S+))?", rest.strip(), re.I)
            assert found, line
            stages.append(BuildStage(base=found.group(1), name=found.group(2)))
        else:
            assert stages, f"{line!r} before the first FROM"
            stages[-1].instructions.append((keyword.upper(), rest.strip()))
    return stages


def built_from(stages: list[BuildStage], target: str | None) -> list[BuildStage]:
    """The stage ``docker build --target target`` builds (the last one without a
    target), then each stage it is built ``FROM``, down to the base image."""
    by_name = {stage.name: stage for stage in stages if stage.name}
    chain = [by_name[target] if target else stages[-1]]
    while chain[-1].base in by_name:
        chain.append(by_name[chain[-1].base])
    return chain


def copied(chain: list[BuildStage]) -> set[str]:
    """Every source path the stages COPY or ADD from the build context."""
    sources: set[str] = set()
    for stage in chain:
        for keyword, rest in stage.instructions:
            if keyword in ("COPY", "ADD"):
                assert "--from" not in rest, rest
                paths = [part for part in rest.split() if not part.startswith("--")]
                sources |= set(paths[:-1])
    return sources


def build_target(service: dict[str, Any]) -> str | None:
    build = service["build"]
    return None if isinstance(build, str) else build.get("target")


def test_dockerfile_builds_a_non_root_image() -> None:
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim\b", text, re.M)
    assert re.search(r"pip install [^\n]*(/src|\.)", text)
    for stage in dockerfile_stages():
        keywords = [keyword for keyword, _ in stage.instructions]
        users = [rest for keyword, rest in stage.instructions if keyword == "USER"]
        if "RUN" in keywords:  # root only while installing, then the okot user again
            last_run = max(i for i, word in enumerate(keywords) if word == "RUN")
            last_user = max(i for i, word in enumerate(keywords) if word == "USER")
            assert last_user > last_run, stage.name
        assert not users or users[-1] not in ("root", "0"), stage.name
    for target in (None, "runtime", "dev-tools"):
        users = [rest for stage in built_from(dockerfile_stages(), target)
                 for keyword, rest in reversed(stage.instructions) if keyword == "USER"]
        assert users and users[0] not in ("root", "0"), target


def test_the_runtime_image_holds_no_dev_tool() -> None:
    stages = dockerfile_stages()
    default = built_from(stages, None)
    assert "runtime" in [stage.name for stage in default], "docker build . must build runtime"
    assert built_from(stages, "runtime")[0] in default
    assert copied(default) == RUNTIME_SOURCES
    for stage in default:
        for keyword, rest in stage.instructions:
            assert "okot_dev" not in rest, (stage.name, keyword, rest)


def test_the_dev_tools_image_adds_okot_dev_to_the_runtime() -> None:
    stages = dockerfile_stages()
    chain = built_from(stages, "dev-tools")
    assert chain[0].base == "runtime"
    assert copied(chain) == RUNTIME_SOURCES | {"okot_dev"}
    assert any(keyword == "RUN" and "pip install" in rest for keyword, rest in chain[0].instructions)


def test_only_the_vdab_simulator_runs_the_dev_tools_image(
    services: dict[str, dict[str, Any]],
) -> None:
    assert build_target(services["vdab-sim"]) == "dev-tools"
    for name in ("okot-migrate", "temporal-setup", "worker", "web"):
        assert build_target(services[name]) in (None, "runtime"), name
        assert image_of(services[name]) != image_of(services["vdab-sim"]), name
        assert "okot_dev" not in copied(built_from(dockerfile_stages(), build_target(services[name])))


def test_dockerignore_keeps_the_context_small() -> None:
    ignored = {
        line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".git", ".venv", "var", "tests", "**/__pycache__"} <= ignored
    assert not ignored & {"okot", "okot_dev", "workflows", "activities", "pyproject.toml",
                          "worker.py"}
