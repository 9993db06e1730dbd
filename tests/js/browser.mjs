// The one way the page tests start a browser: the system's Chromium ($CHROMIUM or
// /usr/bin/chromium) driven by playwright-core, headless, with the flags a closed
// network needs (no background connections, no first-run pages).
import { chromium } from "playwright-core";

export function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
  });
}
