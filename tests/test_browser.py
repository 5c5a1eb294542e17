"""The first lesson in a real JupyterLab, driven by a real browser (Debian's Chromium, via Playwright).

Some things only a browser shows: JupyterLab's own CSS can break the grader's report (words split
mid-way, headers aligned apart from their columns), and a widget only lives in a live front end. The
test also takes the screenshots the README shows: into the test's own folder, or over docs/images/
with ``FACTOR_SIX_UPDATE_IMAGES=1`` (so a test run leaves the working tree as it was).

In CI (``CI=true``) a missing browser fails the test; elsewhere it is skipped with the reason.
"""
from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from importlib.util import find_spec
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COURSE = ROOT / "course"
CHROMIUM = Path("/usr/bin/chromium")
IMAGES = ROOT / "docs" / "images"  # the README shows these; FACTOR_SIX_UPDATE_IMAGES=1 rewrites them
UPDATE_IMAGES = "FACTOR_SIX_UPDATE_IMAGES"
MAX_IMAGE = 400_000  # bytes a committed screenshot may take
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WIDTHS = (1440, 1024)  # pixels: a laptop, and a narrow window or a split screen
HEIGHT = 900
SERVER_READY = 60.0  # seconds for JupyterLab to answer /api/status
DASHBOARD_ANSWER = 45.0  # seconds for a click on "send" to show its request in the log
RUN_ALL = 150.0  # seconds for every cell of the lesson to run
STOP_GRACE = 5.0  # seconds between SIGTERM and SIGKILL when the server is torn down
QUIET = {"fetchNews": "false", "checkForUpdates": False, "doNotDisturbMode": True}

pytestmark = pytest.mark.timeout(300)


def require_browser() -> None:
    missing = [what for what, found in [(f"Chromium at {CHROMIUM}", CHROMIUM.exists()),
                                        ("the playwright package", find_spec("playwright"))] if not found]
    if not missing:
        return
    reason = (f"needs {' and '.join(missing)}; .ci/run installs them "
              "(apt-get install chromium; pip install -e '.[test]')")
    if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
        pytest.fail(f"CI must run the browser test: it {reason}")
    pytest.skip(reason)


def lesson() -> Path:
    found = sorted(COURSE.glob("01.00-*.ipynb"))
    assert found, "course/ has no 01.00-*.ipynb lesson"
    return found[0]


# --- a JupyterLab server, declared, probed for readiness, and torn down with its whole process tree ---

class JupyterLab:
    def __init__(self, root: Path, scratch: Path, base_url: str = "/"):
        self.token = secrets.token_hex(16)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}{base_url.rstrip('/')}"  # with the base URL, as Binder serves it
        self.log = scratch / "jupyterlab.log"
        settings = scratch / "settings"
        quiet = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
        quiet.parent.mkdir(parents=True)
        quiet.write_text(json.dumps(QUIET))
        self.argv = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
                     f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
                     f"--ServerApp.token={self.token}", f"--ServerApp.root_dir={root}",
                     "--ServerApp.allow_root=True", f"--ServerApp.base_url={base_url}",
                     f"--LabApp.user_settings_dir={settings}",
                     f"--LabApp.workspaces_dir={scratch / 'workspaces'}"]
        path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        self.env = {**os.environ, "PYTHONPATH": path, "JUPYTER_RUNTIME_DIR": str(scratch / "runtime"),
                    "JUPYTER_CONFIG_DIR": str(scratch / "config")}
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "JupyterLab":
        with open(self.log, "wb") as log:
            self.process = subprocess.Popen(self.argv, env=self.env, stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, failure, *_) -> None:
        self.stop()
        if failure is not None:  # pytest shows a failing test's stdout: the server's log, kernels' included
            print(f"--- the end of JupyterLab's log ({self.log}) ---\n{self.log_tail(80)}")

    def api(self, method: str, path: str):
        request = urllib.request.Request(self.url + path, method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=10) as reply:
            body = reply.read()
        return json.loads(body) if body else None

    def wait_ready(self) -> None:
        deadline = time.monotonic() + SERVER_READY
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"JupyterLab exited with {self.process.returncode}:\n{self.log_tail()}")
            with contextlib.suppress(OSError):
                self.api("GET", "/api/status")
                return
            time.sleep(0.1)
        raise AssertionError(f"JupyterLab did not answer /api/status within {SERVER_READY:g} s:\n{self.log_tail()}")

    def stop(self) -> None:
        """Shut the kernels down through the server first, so each runs its own cleanup (the clusters
        a notebook started stop with it), then TERM and, after a grace period, KILL every process group
        of the server's tree: kernels run in sessions of their own."""
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(OSError, ValueError):
            for kernel in self.api("GET", "/api/kernels"):
                self.api("DELETE", f"/api/kernels/{kernel['id']}")
        groups = {group for pid in [self.process.pid, *descendants(self.process.pid)]
                  if (group := _group(pid)) is not None}
        signal_groups(groups, signal.SIGTERM)
        try:
            self.process.wait(timeout=STOP_GRACE)
        except subprocess.TimeoutExpired:
            pass
        signal_groups(groups, signal.SIGKILL)
        self.process.wait()

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid``, read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                stat = Path(f"/proc/{entry.name}/stat").read_bytes()
                children.setdefault(int(stat.rsplit(b")", 1)[1].split()[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        below = children.get(todo.pop(), [])
        found += below
        todo += below
    return found


def _group(pid: int) -> int | None:
    """The process group of ``pid``, or None when it has exited meanwhile."""
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


def signal_groups(groups: set[int], signum: int) -> None:
    for group in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signum)


# --- what the browser does and measures ---

PROGRESS = """() => {
    const prompts = [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell .jp-InputPrompt')]
        .map(prompt => prompt.textContent.trim());
    const kernel = document.querySelector('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator');
    return {prompts, kernel: kernel ? kernel.dataset.status : null};
}"""


def open_notebook(page, lab: "JupyterLab", path: str, reset: bool = False) -> None:
    """Open a notebook (``?reset``: in a fresh workspace) and wait until its kernel is idle."""
    page.goto(f"{lab.url}/lab/tree/{path}?{'reset&' if reset else ''}token={lab.token}")
    page.wait_for_selector('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status="idle"]', timeout=60_000)


def run_all_cells(page, limit: float = RUN_ALL, locale: str | None = None) -> None:
    """Run → Run All Cells, then wait until no cell is queued or running and the kernel is idle.

    Raises AssertionError naming the cells that did not run (a cell raised) or, on timeout, the
    cells still queued.
    """
    deadline = time.monotonic() + limit
    choose_run_all(page, deadline, locale)
    while True:
        progress = page.evaluate(PROGRESS)
        prompts = progress["prompts"]
        started = prompts and re.fullmatch(r"\[\d+\]:", prompts[0])
        if started and "[*]:" not in prompts and progress["kernel"] == "idle":
            break
        if time.monotonic() > deadline:
            raise AssertionError(f"the lesson did not finish within {limit:g} s: {progress}")
        page.wait_for_timeout(250)
    unrun = [index for index, prompt in enumerate(prompts) if not re.fullmatch(r"\[\d+\]:", prompt)]
    if unrun:
        errors = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
        raise AssertionError(f"code cells {unrun} did not run; the notebook's stderr outputs:\n"
                             + "\n---\n".join(errors.all_text_contents())[-4000:])


def interface_label(text: str, locale: str | None) -> str:
    """What JupyterLab's menus show for ``text`` in ``locale``: the language pack's translation, or the
    English text where the pack has none (most of JupyterLab's labels, in the Greek pack of today)."""
    if not locale:
        return text
    spec = find_spec(f"jupyterlab_language_pack_{locale}")
    assert spec is not None, f"the JupyterLab language pack for {locale} is not installed"
    catalog = Path(spec.origin).parent / "locale" / locale / "LC_MESSAGES" / "jupyterlab.json"
    translated = json.loads(catalog.read_text(encoding="utf-8")).get(text)
    return translated[0] if translated else text


def choose_run_all(page, deadline: float, locale: str | None = None) -> None:
    """Click Run → Run All Cells until the cells are queued. JupyterLab disables the command until the
    notebook is the current widget with a kernel, which can come after the kernel reports idle."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    run_menu = re.compile(f"^{re.escape(interface_label('Run', locale))}$")
    label = page.locator(".lm-Menu-itemLabel",
                         has_text=re.compile(f"^{re.escape(interface_label('Run All Cells', locale))}$"))
    item = page.locator(".lm-Menu-item", has=label)
    dismissed, focus = [], True
    while time.monotonic() < deadline:
        if dismiss_startup_dialog(page, dismissed):
            focus = True
            continue
        try:
            if focus:
                page.locator(".jp-NotebookPanel .jp-Cell").first.click(timeout=5_000)
                focus = False
            page.locator(".lm-MenuBar-itemLabel", has_text=run_menu).click(timeout=5_000)
            item.wait_for(timeout=5_000)
        except PlaywrightTimeout:
            continue  # a dialog opened over the menu; the next round deals with it
        if "lm-mod-disabled" in (item.get_attribute("class") or "").split():
            page.keyboard.press("Escape")
        else:
            item.click()
            with contextlib.suppress(PlaywrightTimeout):
                page.wait_for_function(f"() => ({PROGRESS})().prompts.some(p => p !== '' && p !== '[ ]:')",
                                       timeout=5_000)
                return
        page.wait_for_timeout(250)
    raise AssertionError(f"Run → Run All Cells never queued the cells (dialogs dismissed: {dismissed})")


def dismiss_startup_dialog(page, dismissed: list) -> bool:
    """Close a dialog JupyterLab opened before any cell ran, and say so on stdout.

    Before Run All, no code of the lesson has run, so a dialog there is JupyterLab's own doing, not
    the lesson's (one covered the Run menu in a loaded CI run; which one, its log did not say). It is
    printed, so the next one is named, and closed with its default button, at most three times; a
    dialog once the cells run still fails the test (`no_dialog`).
    """
    dialog = page.locator(".jp-Dialog")
    if not dialog.count():
        return False
    text = dialog.first.inner_text()[:300]
    if len(dismissed) >= 3:
        raise AssertionError(f"JupyterLab keeps opening dialogs before the cells run: {dismissed + [text]}")
    dismissed.append(text)
    print(f"dismissed a dialog before Run All: {text!r}", flush=True)
    accept = dialog.first.locator(".jp-Dialog-button.jp-mod-accept")
    if accept.count():
        accept.first.click()
    else:
        page.keyboard.press("Escape")
    dialog.first.wait_for(state="detached", timeout=10_000)
    return True


# For each feedback <pre>: its computed word-break, and the places where a line wraps between two
# letters or digits, i.e. inside a word ("everywher|e"). Wraps are found from each character's box.
MEASURE_REPORT = """table => {
    const cells = [...table.querySelectorAll('th, td')].map(cell => getComputedStyle(cell).textAlign);
    const pres = [...table.querySelectorAll('pre')].map(pre => {
        const text = pre.textContent, range = document.createRange(), node = pre.firstChild;
        const splits = [];
        let top = null;
        for (let i = 0; node && i < text.length; i++) {
            if (text[i] === '\\n') { top = null; continue; }
            range.setStart(node, i); range.setEnd(node, i + 1);
            const box = range.getBoundingClientRect();
            if (top !== null && box.top > top + 2 && /\\w/.test(text[i]) && /\\w/.test(text[i - 1]))
                splits.push(text.slice(Math.max(0, i - 12), i) + '|' + text.slice(i, i + 12));
            top = box.top;
        }
        return {wordBreak: getComputedStyle(pre).wordBreak, splits};
    });
    return {cells, pres};
}"""


# Bring the report's cell, with the prose cell above it, to the top of the notebook's view; returns
# where that landed, since cells above may still grow as they render and push it down again.
SCROLL_TO_SECTION = """table => {
    const cell = table.closest('.jp-Cell'), section = cell.previousElementSibling || cell;
    section.scrollIntoView({block: 'start'});
    return section.getBoundingClientRect().top;
}"""


def scroll_to_report(page, report) -> None:
    """Scroll the report's section to the top, again until it stays put (at most ~5 s)."""
    landed = None
    for _ in range(20):
        page.wait_for_timeout(250)
        top = report.evaluate(SCROLL_TO_SECTION)
        if top == landed:
            return
        landed = top


def check_report_reads_well(report, width: int) -> None:
    measured = report.evaluate(MEASURE_REPORT)
    assert measured["pres"], "the report has no feedback <pre>"
    breaks = {pre["wordBreak"] for pre in measured["pres"]}
    assert "break-all" not in breaks, f"at {width} px the feedback inherits word-break {breaks}"
    splits = [split for pre in measured["pres"] for split in pre["splits"]]
    assert not splits, f"at {width} px feedback lines wrap inside words: {splits[:5]}"
    assert set(measured["cells"]) == {"left"}, f"at {width} px th/td text-align is {set(measured['cells'])}"


# The lesson's dashboard (grader.board) sets no class of its own: it is the widget box holding a
# "restart all" button, and its request log is the one <pre> inside it.
DASHBOARD = '.f6-dashboard, .widget-vbox:has(> .widget-hbox button:text-is("restart all"))'
LAST_REQUEST = r"#(\d+) "


def use_the_dashboard(page, shot: Path) -> None:
    """Click the first dashboard's "send" button, see its request land in the log, take a picture.

    The log keeps a fixed number of lines, so "grows" means: a request numbered higher than any
    before it appears. Raises AssertionError when the lesson shows no dashboard.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    boards = page.locator(DASHBOARD)
    assert boards.count() > 0, "the lesson shows no dashboard (cluster.dashboard()) after Run All"
    board = boards.first
    board.evaluate("box => box.closest('.jp-Cell').scrollIntoView({block: 'start'})")
    log = board.locator("pre").first
    before = max(map(int, re.findall(LAST_REQUEST, log.text_content())), default=0)
    board.get_by_role("button", name="send", exact=True).click()
    # The log is re-rendered on every change (a new <pre> each time), so it is looked up in the
    # dashboard afresh at every poll: a handle to the <pre> itself may point at a node the next redraw
    # has already replaced, and then never changes.
    try:  # a request takes milliseconds; the margin is for a machine loaded by the rest of the suite
        page.wait_for_function(
            """([box, before]) => {
                const log = box.querySelector('pre');
                return !!log && [...log.textContent.matchAll(/#(\\d+) /g)].some(m => Number(m[1]) > before);
            }""",
            arg=[board.element_handle(), before], timeout=DASHBOARD_ANSWER * 1000)
    except PlaywrightTimeout:
        raise AssertionError(f"no new request in the dashboard's log {DASHBOARD_ANSWER:g} s after clicking "
                             f"send; the dashboard shows:\n{board.inner_text()[-3000:]}") from None
    assert re.search(rf"#{before + 1} POST \S+ on web\.\d", log.text_content()), log.text_content()
    page.wait_for_timeout(300)  # the chart redraws after the log; let the picture show both
    height = board.evaluate("box => box.closest('.jp-Cell').getBoundingClientRect().height")
    page.set_viewport_size({"width": WIDTHS[0], "height": min(max(HEIGHT, round(height) + 200), 1400)})
    board.evaluate("box => box.closest('.jp-Cell').scrollIntoView({block: 'start'})")
    screenshot(page, shot)


def screenshot(page, path: Path) -> None:
    """The page as it stands, without the hover highlight of whatever row the mouse last crossed."""
    page.mouse.move(0, 0)
    page.screenshot(path=str(path))


def test_lesson_in_jupyterlab_report_reads_well_and_dashboard_answers(tmp_path):
    require_browser()
    from playwright.sync_api import sync_playwright

    started = time.monotonic()
    notebook = lesson()
    work = tmp_path / "course"
    shutil.copytree(COURSE, work, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    images = IMAGES if os.environ.get(UPDATE_IMAGES) == "1" else tmp_path / "images"
    images.mkdir(parents=True, exist_ok=True)
    with JupyterLab(work, tmp_path) as lab, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": WIDTHS[0], "height": HEIGHT})
            open_notebook(page, lab, notebook.name)
            run_all_cells(page)
            heading = page.locator("th", has_text="what happened")
            report = page.locator(".jp-OutputArea-output table", has=heading).first
            report.wait_for(timeout=10_000)
            for width in WIDTHS:
                page.set_viewport_size({"width": width, "height": HEIGHT})
                scroll_to_report(page, report)
                check_report_reads_well(report, width)
                screenshot(page, images / "lesson-report.png" if width == WIDTHS[0]
                           else tmp_path / f"lesson-report-{width}.png")
            page.set_viewport_size({"width": WIDTHS[0], "height": HEIGHT})
            use_the_dashboard(page, images / "lesson-dashboard.png")
        finally:
            browser.close()
    for image in ("lesson-report.png", "lesson-dashboard.png"):
        size = (images / image).stat().st_size
        assert size < MAX_IMAGE, f"docs/images/{image} takes {size} bytes; crop it or shrink the viewport"
    print(f"the browser test took {time.monotonic() - started:.1f} s")


# --- every lesson, in one JupyterLab served under a base URL as Binder serves it ---

BINDER_BASE = "/user/learner/"
LESSON_RUN = 240.0  # seconds for the slowest lesson's Run All in a browser on a loaded machine
PROXY_NOTEBOOK = "proxy-check.ipynb"


def lessons(edition: Path = COURSE) -> list[Path]:
    return sorted(edition.glob("[0-9][0-9].[0-9][0-9]-*.ipynb"))


def click_every_dashboard(page, lang: str = "en") -> int:
    """Click "send" (its label in the notebook's language) on every dashboard of the page and see each
    answer land in its own log."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    from grader.i18n import translate
    send = translate("send", lang)
    boards = page.locator(DASHBOARD if lang == "en" else ".f6-dashboard")
    for index in range(boards.count()):
        board = boards.nth(index)
        board.evaluate("box => box.closest('.jp-Cell').scrollIntoView({block: 'start'})")
        before = max(map(int, re.findall(LAST_REQUEST, board.locator("pre").first.text_content())), default=0)
        board.get_by_role("button", name=send, exact=True).click()
        try:
            page.wait_for_function(
                """([box, before]) => {
                    const log = box.querySelector('pre');
                    return !!log && [...log.textContent.matchAll(/#(\\d+) /g)].some(m => Number(m[1]) > before);
                }""", arg=[board.element_handle(), before], timeout=DASHBOARD_ANSWER * 1000)
        except PlaywrightTimeout:
            raise AssertionError(f"dashboard {index} did not answer its send button:\n"
                                 f"{board.inner_text()[-2000:]}") from None
    return boards.count()


def proxy_notebook(folder: Path, app: Path) -> None:
    """A notebook that starts a sessions app as three workers and shows its front door's address."""
    import nbformat
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(f"import grader\ncluster = grader.start({str(app)!r}, workers=3)"),
                nbformat.v4.new_code_cell("cluster.open()")]
    nbformat.write(nb, folder / PROXY_NOTEBOOK)


LOGIN_ACROSS_WORKERS = """async (door) => {
    const call = async (method, path, body) => {
        const reply = await fetch(door + path.slice(1), {method, credentials: 'same-origin',
            headers: {'Content-Type': 'application/json'}, body: body && JSON.stringify(body)});
        return {worker: reply.headers.get('X-Served-By'), body: await reply.json()};
    };
    const login = await call('POST', '/login', {user: 'ada'});
    const seen = [];
    for (let i = 0; i < 3; i++) seen.push(await call('GET', '/me'));
    return {login, seen};
}"""


@pytest.mark.xdist_group("browser-every-lesson")
@pytest.mark.timeout(1200)
def test_every_lesson_runs_clean_in_jupyterlab_under_a_base_url_and_its_dashboards_answer(tmp_path):
    require_browser()
    from playwright.sync_api import sync_playwright

    work = tmp_path / "repo"
    shutil.copytree(COURSE, work / "course", ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "work"))
    proxy_notebook(work, ROOT / "tests" / "apps" / "sessions" / "redis_sessions")
    with JupyterLab(work, tmp_path, base_url=BINDER_BASE) as lab, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            report = run_every_lesson(browser, lab, lessons(), "course")
            page = browser.new_page(viewport={"width": WIDTHS[0], "height": HEIGHT})
            open_notebook(page, lab, PROXY_NOTEBOOK, reset=True)
            run_all_cells(page, LESSON_RUN)
            link = page.locator(".jp-OutputArea-output a[target=_blank]").first
            href = link.get_attribute("href")
            # the address of this local server's proxy (on Binder the same path, without the host)
            assert href.startswith(f"{lab.url}/proxy/") and href.endswith("/"), href
            with page.context.expect_page() as opened:
                link.click()
            tab = opened.value
            tab.wait_for_load_state()
            # the app's own answer to / (Flask's 404 page, which Jupyter's own 404 does not look like)
            assert "The requested URL was not found on the server" in tab.content() and tab.url == href
            answers = tab.evaluate(LOGIN_ACROSS_WORKERS, href)
            assert answers["login"]["body"] == {"user": "ada"}, answers
            assert all(seen["body"] == {"user": "ada"} for seen in answers["seen"]), answers
            assert len({seen["worker"] for seen in answers["seen"]} | {answers["login"]["worker"]}) == 3, answers
            shut_down_kernels(lab)
        finally:
            browser.close()
    print("lessons in the browser (seconds, dashboards):", report)


def run_every_lesson(browser, lab: JupyterLab, notebooks: list[Path], folder: str,
                     locale: str | None = None, lang: str = "en") -> dict:
    """Open each lesson in a page of its own, Run All, click every dashboard's "send", and fail on a
    cell that raised, a dialog, a widget that did not render or an error in the browser's console.
    Returns {lesson: (seconds, dashboards)}."""
    report = {}
    for notebook in notebooks:
        page = browser.new_page(viewport={"width": WIDTHS[0], "height": HEIGHT})
        errors = []
        page.on("console", lambda message, errors=errors: errors.append(message.text)
                if message.type == "error" else None)
        page.on("pageerror", lambda error, errors=errors: errors.append(str(error)))
        started = time.monotonic()
        open_notebook(page, lab, f"{folder}/{notebook.name}", reset=True)
        run_all_cells(page, LESSON_RUN, locale)
        no_dialog(page, notebook.name)
        dashboards = click_every_dashboard(page, lang)
        assert page.locator(".jp-OutputArea-output .widget-box, .jp-OutputArea-output .widget-hbox").count() \
            >= dashboards, f"{notebook.name}: widgets did not render"
        assert not errors, f"{notebook.name}: the browser console reported errors: {errors[:5]}"
        report[notebook.name] = (round(time.monotonic() - started, 1), dashboards)
        shut_down_kernels(lab)
        page.close()
    return report


# In the English lessons' group, so that it runs after them, not beside them: two JupyterLabs running
# lessons at once are too much for 2 cores shared with the rest of the suite.
@pytest.mark.xdist_group("browser-every-lesson")
@pytest.mark.timeout(1200)
def test_the_greek_start_page_switches_jupyterlab_to_greek_and_every_greek_lesson_runs_clean(tmp_path):
    """The Greek edition as a Greek learner takes it: the start page's one menu choice
    (Settings → Language → Greek) turns JupyterLab Greek, then every lesson of course/el/ runs clean
    there, under Binder's base URL, its dashboards answering."""
    require_browser()
    from playwright.sync_api import sync_playwright

    work = tmp_path / "repo"
    shutil.copytree(COURSE, work / "course", ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "work"))
    greek = lessons(COURSE / "el")
    assert [notebook.name for notebook in greek] == [notebook.name for notebook in lessons()]
    start = nbformat_text(greek[0])
    assert "Settings → Language → Greek (Greece) - Ελληνικά (Ελλάδα)" in start, "the start page no longer says how"
    with JupyterLab(work, tmp_path, base_url=BINDER_BASE) as lab, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": WIDTHS[0], "height": HEIGHT})
            open_notebook(page, lab, f"course/el/{greek[0].name}", reset=True)
            switch_to_greek(page)
            assert lab.api("GET", "/lab/api/translations/el_GR")["data"]["jupyterlab"]["Theme"] == ["Θέμα"]
            shut_down_kernels(lab)
            page.close()
            report = run_every_lesson(browser, lab, greek, "course/el", locale="el_GR", lang="el")
        finally:
            browser.close()
    print("Greek lessons in the browser (seconds, dashboards):", report)


def nbformat_text(notebook: Path) -> str:
    return "\n".join("".join(cell["source"]) for cell in json.loads(notebook.read_text(encoding="utf-8"))["cells"])


def switch_to_greek(page) -> None:
    """Settings → Language → Greek, confirmed, as the Greek start page says. After the reload the page
    is Greek (``<html lang="el-GR">``) and shows what the Greek pack translates: the Settings Editor's
    names of settings, such as «Κονσόλα κώδικα» (Code Console); the menus stay English, untranslated."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Settings$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile("^Language$")).click()
    page.locator(".lm-Menu-itemLabel", has_text="Greek (Greece) - Ελληνικά (Ελλάδα)").click()
    with page.expect_navigation(timeout=60_000):
        page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept").click()  # "Change and reload"
    page.wait_for_selector('.jp-NotebookPanel .jp-Notebook-ExecutionIndicator[data-status="idle"]', timeout=60_000)
    assert page.evaluate("document.documentElement.lang") == "el-GR"
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{interface_label('Settings', 'el_GR')}$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{interface_label('Settings Editor', 'el_GR')}$")).click()
    page.get_by_text("Κονσόλα κώδικα").first.wait_for(timeout=30_000)

def no_dialog(page, name: str) -> None:
    """Fail, quoting it, if JupyterLab opened a dialog over the notebook (a kernel that died, say)."""
    dialog = page.locator(".jp-Dialog")
    if dialog.count():
        raise AssertionError(f"{name}: JupyterLab shows a dialog: {dialog.first.inner_text()[:500]!r}")


def shut_down_kernels(lab: JupyterLab) -> None:
    """Stop every kernel, so each lesson's clusters stop before the next lesson starts its own."""
    for kernel in lab.api("GET", "/api/kernels"):
        lab.api("DELETE", f"/api/kernels/{kernel['id']}")
