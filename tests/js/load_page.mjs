// Opens each HTML or SVG file named in real headless Chromium (playwright-core driving
// the system's browser, $CHROMIUM or /usr/bin/chromium) and prints one JSON line per
// file: the console errors and page errors seen, and the page's text.
import { pathToFileURL } from "node:url";
import { launchBrowser } from "./browser.mjs";

const browser = await launchBrowser();
try {
  for (const file of process.argv.slice(2)) {
    const page = await browser.newPage();
    const errors = [];
    const requests = [];
    page.on("console", (msg) => { if (msg.type() === "error") errors.push(msg.text()); });
    page.on("pageerror", (err) => errors.push(String(err)));
    page.on("request", (req) => { if (!req.url().startsWith("file:")) requests.push(req.url()); });
    await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
    const text = await page.evaluate(() => document.documentElement.textContent);
    const red = await page.evaluate(() => Array.from(document.querySelectorAll("g.node.error")).map((g) => g.dataset.name));
    const drawn = await page.evaluate(() => Array.from(document.querySelectorAll("g.node rect")).filter((r) => r.getBBox().width > 0).length);
    console.log(JSON.stringify({ file, errors, requests, text, red, drawn }));
    await page.close();
  }
} finally {
  await browser.close();
}
