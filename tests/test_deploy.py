"""deploy/: the capstone's road to Heroku, Docker Compose and Kubernetes, checked with none of them.

Each platform's files are read by a validator of their own format: kubernetes-validate against the
API schemas of one pinned Kubernetes version, in strict mode (an unknown field fails); the
compose-spec parser and the official compose-spec JSON schema; JSON for app.json. Then the files
are checked against each other and against the contract, which is read from docs/capstone.md and
never copied here: every process runs its Procfile command, every platform gives exactly the
variables of the Environment table, the formation is the same everywhere and the clock runs once.
"""
from __future__ import annotations

import copy
import json
import re
import shlex
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import kubernetes_validate
import pytest
import yaml
from compose_spec import PyCompose

from grader.platform import procfile
from grader.platform.quota import QUOTA

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
CONTRACT = ROOT / "docs" / "capstone.md"
K8S_VERSION = "1.34.0"  # the Kubernetes API the manifests are written for
PROCESS_TYPES = ("web", "worker", "clock")
# The only words a platform adds to the Procfile's web command: Heroku sets $PORT, which gunicorn
# binds by itself; Compose and Kubernetes give the port.
WEB_BIND = ["--bind", "0.0.0.0:8000"]
WEB_PORT = 8000
GRACE_SECONDS = 30  # Heroku's SIGTERM-to-SIGKILL window, kept on every platform
# Config vars that Heroku add-ons set themselves, under the names the app reads.
ADDON_VARIABLES = {"heroku-postgresql": {"DATABASE_URL"}, "heroku-redis": {"REDIS_URL"}}
PLACEHOLDER = "REPLACE-ME"
UNITS = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30}


# -- the contract, read from docs/capstone.md ------------------------------------------------------
def contract_rows(section: str) -> list[list[str]]:
    """The cells of the table under the docs/capstone.md heading that starts with ``section``."""
    body = CONTRACT.read_text().split(f"\n## {section}", 1)[1].split("\n## ", 1)[0]
    rows = [line.strip().strip("|").split("|") for line in body.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row] for row in rows[2:]]  # after the header and the ---


def backticked(cell: str) -> list[str]:
    return re.findall(r"`([^`]+)`", cell)


def contract_variables() -> set[str]:
    names = {name for row in contract_rows("Environment") for name in backticked(row[0])}
    assert len(names) >= 10, f"docs/capstone.md's Environment table names only {sorted(names)}"
    return names


def contract_procfile() -> dict[str, list[str]]:
    cell = next(row[1] for row in contract_rows("Files") if row[0] == "`Procfile`")
    return procfile.parse("\n".join(backticked(cell)))


def deploy_procfile() -> dict[str, list[str]]:
    return procfile.parse((DEPLOY / "Procfile").read_text())


# -- the platforms' files --------------------------------------------------------------------------
def app_json() -> dict:
    return json.loads((DEPLOY / "heroku" / "app.json").read_text())


def compose() -> dict:
    """compose.yaml as the Compose tools see it: YAML merge keys (``<<: *tally``) resolved."""
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text())


def manifests() -> list[tuple[str, dict]]:
    """(file name, resource) for every document of every deploy/kubernetes/*.yaml."""
    found = []
    for path in sorted((DEPLOY / "kubernetes").glob("*.yaml")):
        found += [(path.name, doc) for doc in yaml.safe_load_all(path.read_text()) if doc]
    return found


def resources_of(kind: str) -> list[dict]:
    return [doc for _, doc in manifests() if doc["kind"] == kind]


def deployments() -> dict[str, dict]:
    """Process type -> its Deployment, by the app.kubernetes.io/component label."""
    return {doc["metadata"]["labels"]["app.kubernetes.io/component"]: doc
            for doc in resources_of("Deployment")}


def pod_specs() -> dict[str, dict]:
    """Every pod template: the Deployments' by process type, the CronJob's as ``cronjob``."""
    pods = {kind: doc["spec"]["template"]["spec"] for kind, doc in deployments().items()}
    for job in resources_of("CronJob"):
        pods["cronjob"] = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return pods


def the_container(pod: dict) -> dict:
    (container,) = pod["containers"]
    return container


def validate_manifest(doc: dict) -> None:
    """Raise kubernetes_validate.ValidationError unless ``doc`` fits the pinned API, strictly."""
    kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


def compose_schema() -> dict:
    """The official compose-spec JSON schema, as vendored by check-jsonschema (works offline)."""
    schema = resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    return json.loads(schema.read_text())


def validate_compose(document: dict) -> None:
    """Raise unless both the compose-spec parser and the official JSON schema accept ``document``."""
    PyCompose.from_json(json.dumps(document))  # ValueError; it reads no YAML merge keys, hence JSON
    jsonschema.Draft202012Validator(compose_schema()).validate(document)


def quantity(text: str | int) -> int:
    """Bytes in a Kubernetes quantity ("512Mi") or a Compose byte value ("512m")."""
    number, unit = re.fullmatch(r"(\d+)([A-Za-z]*)", str(text)).groups()
    return int(number) * UNITS[unit]


def seconds(text: str | int) -> float:
    """Seconds in a Compose duration ("30s", "1m30s") or a plain number."""
    if isinstance(text, int):
        return float(text)
    parts = re.findall(r"(\d+(?:\.\d+)?)(h|m|s|ms)", text)
    assert "".join(n + u for n, u in parts) == text, f"not a duration: {text!r}"
    return sum(float(n) * {"h": 3600, "m": 60, "s": 1, "ms": 0.001}[u] for n, u in parts)


def expected_command(kind: str) -> list[str]:
    argv = deploy_procfile()[kind]
    return argv + WEB_BIND if kind == "web" else argv


# -- the Procfile ----------------------------------------------------------------------------------
def test_deploy_procfile_is_the_contracts_procfile():
    assert deploy_procfile() == contract_procfile()
    assert tuple(deploy_procfile()) == PROCESS_TYPES


# -- validators: the files pass, and a broken file does not ----------------------------------------
@pytest.mark.parametrize("name,doc", manifests(), ids=lambda v: v if isinstance(v, str) else v["kind"])
def test_every_kubernetes_manifest_is_valid_for_the_pinned_api(name, doc):
    validate_manifest(doc)


def test_kubernetes_validation_rejects_a_replica_count_that_is_not_a_number():
    broken = copy.deepcopy(deployments()["web"])
    broken["spec"]["replicas"] = "three"
    with pytest.raises(kubernetes_validate.ValidationError, match="three"):
        validate_manifest(broken)


def test_kubernetes_validation_rejects_an_unknown_field():
    broken = copy.deepcopy(deployments()["worker"])
    the_container(broken["spec"]["template"]["spec"])["comand"] = ["python", "worker.py"]
    with pytest.raises(kubernetes_validate.ValidationError, match="comand"):
        validate_manifest(broken)


def test_compose_file_is_valid_for_the_compose_specification():
    validate_compose(compose())


def test_compose_validation_rejects_an_unknown_field():
    broken = compose()
    broken["services"]["worker"]["stop_grace_perod"] = "30s"
    with pytest.raises(ValueError, match="stop_grace_perod"):
        PyCompose.from_json(json.dumps(broken))
    with pytest.raises(jsonschema.ValidationError, match="stop_grace_perod"):
        jsonschema.Draft202012Validator(compose_schema()).validate(broken)


def test_compose_validation_rejects_a_replica_count_that_is_not_a_number():
    broken = compose()
    broken["services"]["web"]["deploy"]["replicas"] = "three"
    with pytest.raises(ValueError, match="three"):
        validate_compose(broken)


def test_compose_file_refers_only_to_what_it_defines():
    document = compose()
    services, volumes = document["services"], set(document["volumes"])
    for name, service in services.items():
        assert set(service.get("depends_on", {})) <= set(services), name
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            if source.startswith("."):
                assert (DEPLOY / source).is_file(), f"{name} mounts {source}, which deploy/ lacks"
            else:
                assert source in volumes, f"{name} mounts the undeclared volume {source}"
        if "build" in service:
            assert (DEPLOY / service["build"]["dockerfile"]).is_file()


def test_app_json_declares_the_procfile_formation_addons_and_buildpack():
    manifest = app_json()
    assert set(manifest["formation"]) == set(deploy_procfile())
    assert all(entry["size"] == "standard-1x" for entry in manifest["formation"].values())
    addons = {addon.split(":")[0] for addon in manifest["addons"]}
    assert set(ADDON_VARIABLES) <= addons and "bucketeer" in addons
    assert manifest["buildpacks"] == [{"url": "heroku/python"}]
    assert manifest["env"]["SECRET_KEY"]["generator"] == "secret"
    assert "postdeploy" not in manifest.get("scripts", {})  # tables are created at start-up


# -- the contract, kept on every platform ---------------------------------------------------------
def heroku_variables() -> dict[str, set[str]]:
    """Process type -> what Heroku gives it: app.json's config vars and its add-ons' own."""
    manifest = app_json()
    addons = {addon.split(":")[0] for addon in manifest["addons"]}
    given = set(manifest["env"]).union(*(ADDON_VARIABLES.get(addon, set()) for addon in addons))
    return {kind: given for kind in manifest["formation"]}


def compose_variables() -> dict[str, set[str]]:
    services = compose()["services"]
    return {kind: set(services[kind]["environment"]) for kind in PROCESS_TYPES}


def kubernetes_variables() -> dict[str, set[str]]:
    data = {(doc["kind"], doc["metadata"]["name"]): set(doc.get("data", doc.get("stringData", {})))
            for doc in resources_of("ConfigMap") + resources_of("Secret")}
    given = {}
    for kind, pod in pod_specs().items():
        container = the_container(pod)
        names = {entry["name"] for entry in container.get("env", [])}
        for source in container.get("envFrom", []):
            for key, resource in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                if key in source:
                    names |= data[(resource, source[key]["name"])]
        assert pod.get("enableServiceLinks") is False, f"{kind}: Kubernetes would add Docker-link variables"
        given[kind] = names
    return given


@pytest.mark.parametrize("platform", [heroku_variables, compose_variables, kubernetes_variables],
                         ids=["heroku", "compose", "kubernetes"])
def test_each_platform_gives_exactly_the_contracts_variables(platform):
    wanted = contract_variables()
    for kind, given in platform().items():
        assert given == wanted, (f"{kind} gets {sorted(given - wanted)} beyond the contract and lacks "
                                 f"{sorted(wanted - given)}")


def test_each_process_runs_its_procfile_command_everywhere():
    services = compose()["services"]
    pods = {kind: pod for kind, pod in pod_specs().items() if kind in PROCESS_TYPES}
    assert set(pods) == set(PROCESS_TYPES)
    for kind in PROCESS_TYPES:
        assert services[kind]["command"] == expected_command(kind), f"compose {kind}"
        container = the_container(pods[kind])
        assert container["args"] == expected_command(kind), f"kubernetes {kind}"
        assert "command" not in container, f"kubernetes {kind} replaces the image's ENTRYPOINT (tini)"
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert json.loads(re.search(r"^CMD (.+)$", dockerfile, re.M)[1]) == expected_command("web")
    assert json.loads(re.search(r"^ENTRYPOINT (.+)$", dockerfile, re.M)[1]) == ["tini", "--"]


def test_the_formation_is_the_same_on_every_platform():
    heroku = {kind: entry["quantity"] for kind, entry in app_json()["formation"].items()}
    services = compose()["services"]
    assert {kind: services[kind]["deploy"]["replicas"] for kind in PROCESS_TYPES} == heroku
    assert {kind: doc["spec"]["replicas"] for kind, doc in deployments().items()} == heroku


def test_exactly_one_clock_and_one_scheduler_run_everywhere():
    assert app_json()["formation"]["clock"]["quantity"] == 1
    assert compose()["services"]["clock"]["deploy"]["replicas"] == 1
    clock = deployments()["clock"]
    assert clock["spec"]["replicas"] == 1
    assert clock["spec"]["strategy"] == {"type": "Recreate"}, "a rollout must not overlap two clocks"
    active_cronjobs = [job for job in resources_of("CronJob") if not job["spec"].get("suspend", False)]
    assert clock["spec"]["replicas"] + len(active_cronjobs) == 1, "two schedulers run every cleanup twice"


def test_no_router_pins_a_client_to_one_web_process():
    for service in resources_of("Service"):
        assert service["spec"].get("sessionAffinity", "None") == "None", service["metadata"]["name"]
    config = (DEPLOY / "nginx.conf").read_text()
    directives = [line.split("#")[0].strip() for line in config.splitlines()]
    assert not [d for d in directives if re.match(r"(ip_hash|hash|sticky|least_conn)\b", d)]
    assert f"server web:{WEB_PORT} resolve;" in directives, "each scaled web replica must be reached"
    assert any(d.startswith("resolver 127.0.0.11") for d in directives), "Docker's DNS, asked again"
    web = compose()["services"]["web"]
    assert "ports" not in web and "container_name" not in web, "`--scale web=3` needs neither"


def test_pods_keep_scratch_in_an_emptydir_on_a_read_only_root():
    for kind, pod in pod_specs().items():
        container = the_container(pod)
        assert container["securityContext"]["readOnlyRootFilesystem"] is True, kind
        volumes = {volume["name"]: volume for volume in pod["volumes"]}
        mounts = {mount["mountPath"]: mount["name"] for mount in container["volumeMounts"]}
        assert set(mounts) == {"/tmp"}, f"{kind} writes elsewhere: {sorted(mounts)}"
        assert "emptyDir" in volumes[mounts["/tmp"]], f"{kind}'s /tmp is not an emptyDir"


def test_every_process_gets_a_small_dynos_memory_everywhere():
    for kind, pod in pod_specs().items():
        limits = the_container(pod)["resources"]
        assert quantity(limits["requests"]["memory"]) == quantity(limits["limits"]["memory"]) == QUOTA, kind
    services = compose()["services"]
    assert all(quantity(services[kind]["mem_limit"]) == QUOTA for kind in PROCESS_TYPES)


def test_every_process_gets_herokus_thirty_seconds_to_stop():
    for kind, pod in pod_specs().items():
        assert pod["terminationGracePeriodSeconds"] == GRACE_SECONDS, kind
    services = compose()["services"]
    assert all(seconds(services[kind]["stop_grace_period"]) == GRACE_SECONDS for kind in PROCESS_TYPES)


def test_web_probes_read_the_home_page_on_the_port_gunicorn_binds():
    container = the_container(deployments()["web"]["spec"]["template"]["spec"])
    ports = {port["name"]: port["containerPort"] for port in container["ports"]}
    assert ports == {"http": int(WEB_BIND[1].rsplit(":", 1)[1])}
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/", "port": "http"}, probe
    (service,) = resources_of("Service")
    assert service["spec"]["selector"] == deployments()["web"]["spec"]["selector"]["matchLabels"]
    assert [port["targetPort"] for port in service["spec"]["ports"]] == ["http"]


def test_secrets_and_images_are_marked_placeholders():
    for secret in resources_of("Secret"):
        for key, value in secret["stringData"].items():
            assert PLACEHOLDER in value, f"{key} looks like a real secret; mark it {PLACEHOLDER}"
    for kind, pod in pod_specs().items():
        assert the_container(pod)["image"].endswith(f":{PLACEHOLDER}"), kind


def test_assets_are_built_once_into_the_release():
    steps = [line for line in (DEPLOY / "Dockerfile").read_text().splitlines() if re.match(r"[A-Z]+ ", line)]
    build = steps.index("RUN python build.py")
    assert steps.index("COPY . ./") < build < steps.index("USER 10001"), "build the copied app, as root"
    assert "static/" in (DEPLOY / ".dockerignore").read_text().split(), "a laptop's static/ would ship"
    hook = DEPLOY / "heroku" / "bin" / "post_compile"
    assert hook.stat().st_mode & 0o111, "the buildpack runs bin/post_compile only as a program"
    assert "python build.py" in hook.read_text().splitlines()


def test_compose_urls_name_the_backing_services_of_the_same_file():
    services = compose()["services"]
    env = services["web"]["environment"]
    postgres = services["postgres"]["environment"]
    database = urlsplit(env["DATABASE_URL"])
    assert database.scheme == "postgresql" and database.hostname == "postgres"
    assert (database.username, database.password, database.path) == (
        postgres["POSTGRES_USER"], postgres["POSTGRES_PASSWORD"], "/" + postgres["POSTGRES_DB"])
    assert urlsplit(env["REDIS_URL"]).hostname == "redis"
    assert urlsplit(env["AWS_ENDPOINT_URL"]).hostname == "minio"
    minio, bucket = services["minio"]["environment"], services["createbucket"]["environment"]
    assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) == (
        minio["MINIO_ROOT_USER"], minio["MINIO_ROOT_PASSWORD"])
    assert bucket["S3_BUCKET"] == env["S3_BUCKET"], "the app's bucket must be the one created"
    made = shlex.split(" ".join(services["createbucket"]["command"]).replace("&&", " "))
    assert "local/$$S3_BUCKET" in made and "--ignore-existing" in made


GRADER_ACTIONS = ("private disk", "routing", "cluster.restart", "crash", "sigterm", "deploy",
                  "set_config", "scale", "restart of redis", "memory quota", "build.py", "backing services")


def test_the_readme_maps_every_grader_action_to_every_platform():
    text = (DEPLOY / "README.md").read_text()
    table = text.split("## What the grader did")[1].split("\n## ")[0]
    rows = [[cell.strip() for cell in line.strip().strip("|").split(" | ")]
            for line in table.splitlines() if line.startswith("| ")]
    assert rows[0] == ["the grader", "Heroku", "Docker Compose", "Kubernetes"]
    body = rows[1:]
    assert all(len(row) == 4 and all(row) for row in body), "every action needs all three platforms"
    named = [re.match(r"\*\*(.+?)\*\*", row[0])[1].lower() for row in body]
    for action in GRADER_ACTIONS:
        assert sum(action in name for name in named) == 1, f"no row (or two) for {action!r}: {named}"
