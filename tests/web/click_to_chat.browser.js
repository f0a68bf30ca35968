// Drives the click-to-chat page in headless Debian chromium through playwright-core:
// open the page, click "Chat with us", ask a question, wait for the agent's reply, take a
// screenshot. Run by run_browser_test.py, which starts confabd and the SIP agent.
//   node click_to_chat.browser.js URL QUESTION EXPECTED_REPLY SCREENSHOT_PATH
"use strict";

const { chromium } = require("playwright-core");

const [url, question, expected, screenshot] = process.argv.slice(2);
const executablePath = process.env.CONFAB_CHROMIUM || "/usr/bin/chromium";
const TIMEOUT_MS = 15000;

async function main() {
  const started = Date.now();
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    // Root in a container has no user namespaces for the sandbox; the page is our own.
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 900, height: 700 } });
    page.setDefaultTimeout(TIMEOUT_MS);
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });

    await page.goto(url);
    await page.click("#confab-chat-open");
    // The bot greets at once.
    await page.locator(".confab-msg-bot").first().waitFor();
    await page.fill("#confab-chat-input", question);
    await page.press("#confab-chat-input", "Enter");
    await page.locator(".confab-msg-visitor", { hasText: question }).waitFor();
    const reply = page.locator(".confab-msg-agent", { hasText: expected });
    await reply.waitFor();
    // Whatever the agent sent is shown as text: no element was made from it.
    const markup = await page.locator(".confab-msg-agent b").count();
    if (markup !== 0) {
      throw new Error("agent text was rendered as HTML");
    }
    await page.screenshot({ path: screenshot, fullPage: true });
    if (errors.length) {
      throw new Error("page errors: " + errors.join("; "));
    }
    const log = await page.locator("#confab-chat-log").innerText();
    console.log("chat log:\n" + log);
    console.log("screenshot: " + screenshot);
    console.log("browser part took " + (Date.now() - started) + " ms");
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error("browser test failed: " + (e && e.stack ? e.stack : e));
  process.exit(1);
});
