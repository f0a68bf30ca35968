#!/usr/bin/env python3
"""The click-to-chat browser test (issue 7): confabd loads the click-to-chat plugin, a SIP agent
(tests/integration/sipclient.py) signs in and answers every visitor text, and headless Debian
chromium, driven by playwright-core (click_to_chat.browser.js), opens the plugin's page, clicks
"Chat with us", asks a question and waits for the agent's reply. A screenshot of the chat goes
to the output directory (CONFAB_WEB_OUTPUT, else ./output) and its path is printed.

Exits 77 (CTest: skipped) with a clear message when chromium or node is missing. playwright-core
(pinned in package.json / package-lock.json) is installed with `npm ci` into
CONFAB_WEB_NODE_DIR (default: <output>/node) when it is not there yet.

Environment: CONFABD, CONFABCTL, CONFAB_CLICK_TO_CHAT_PLUGIN (set by CTest), CONFAB_CHROMIUM
(default /usr/bin/chromium)."""

import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

SKIP = 77
QUESTION = "Do you ship to Norway?"
ANSWER = "Yes, we ship to Norway in 3-5 days. <b>Free</b> over 50 EUR."


def skip(reason):
    print("SKIPPED: " + reason)
    sys.exit(SKIP)


def ensure_playwright(node_dir):
    """playwright-core in node_dir/node_modules, from the lock file (idempotent)."""
    module = os.path.join(node_dir, "node_modules", "playwright-core", "package.json")
    lock = os.path.join(HERE, "package-lock.json")
    stamp = os.path.join(node_dir, "package-lock.json")
    if os.path.exists(module) and os.path.exists(stamp) and \
            open(stamp).read() == open(lock).read():
        return
    os.makedirs(node_dir, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(os.path.join(HERE, name), os.path.join(node_dir, name))
    env = dict(os.environ, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD="1")
    print("installing playwright-core into %s (npm ci)" % node_dir, flush=True)
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=node_dir,
                   env=env, check=True, timeout=300)


def main():
    chromium = os.environ.get("CONFAB_CHROMIUM", "/usr/bin/chromium")
    if not os.access(chromium, os.X_OK):
        skip("no chromium at %s (tools/install-deps.sh test installs Debian's chromium)" %
             chromium)
    if shutil.which("node") is None or shutil.which("npm") is None:
        skip("node/npm not found (tools/install-deps.sh test installs them)")
    output = os.path.abspath(os.environ.get("CONFAB_WEB_OUTPUT", os.path.join(os.getcwd(),
                                                                           "output")))
    os.makedirs(output, exist_ok=True)
    node_dir = os.environ.get("CONFAB_WEB_NODE_DIR", os.path.join(output, "node"))
    ensure_playwright(node_dir)

    # Imported late: they need the integration helpers on sys.path (and skip without a plugin).
    import unittest
    from test_click_to_chat import ChatAgent, chat_server, web_port, Visitor
    from confabtest import poll

    started = time.monotonic()
    try:
        server = chat_server(["alice"])
    except unittest.SkipTest as e:
        skip(str(e))
    agent = None
    try:
        server.start()
        port = web_port(server)
        agent = ChatAgent(server, "alice").sign_in()
        questions = []

        def answer(text):
            questions.append(text)
            return ANSWER
        agent.start_auto_reply(answer)

        def available():
            v = Visitor(port)
            try:
                return v.hello().get("available") is True
            finally:
                v.close()
        if not poll(available, timeout=10, interval=0.1):
            raise AssertionError("the plugin never saw the agent online\n" + server.stderr_tail())

        screenshot = os.path.join(output, "click_to_chat.png")
        if os.path.exists(screenshot):
            os.unlink(screenshot)
        env = dict(os.environ, NODE_PATH=os.path.join(node_dir, "node_modules"),
                   CONFAB_CHROMIUM=chromium)
        browser_started = time.monotonic()
        result = subprocess.run(
            ["node", os.path.join(HERE, "click_to_chat.browser.js"),
             "http://127.0.0.1:%d/" % port, QUESTION, "we ship to Norway", screenshot],
            env=env, timeout=120)
        browser_s = time.monotonic() - browser_started
        if result.returncode != 0:
            raise AssertionError("the browser part failed (exit %d)\n%s" % (
                result.returncode, server.stderr_tail(30)))
        if questions != [QUESTION]:
            raise AssertionError("the agent got %r, expected [%r]" % (questions, QUESTION))
        if not os.path.exists(screenshot) or os.path.getsize(screenshot) < 1000:
            raise AssertionError("no screenshot at " + screenshot)
        print("screenshot: %s" % screenshot)
        print("timing: browser %.1f s, whole test %.1f s" % (browser_s,
                                                            time.monotonic() - started))
        agent.close()  # before the server goes, so its reader does not see the socket close
        agent = None
        server.stop()
    finally:
        if agent is not None:
            agent.close()
        server.cleanup(keep_dir=False)
    print("1 passed, 0 failed")


if __name__ == "__main__":
    main()
