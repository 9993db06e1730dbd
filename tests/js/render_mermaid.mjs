// Renders each Mermaid file named with the real mermaid library in headless Chromium
// (playwright-core, the system's browser: $CHROMIUM or /usr/bin/chromium), as GitHub's
// viewer does, and prints one JSON line per file: errors, the drawing's text, how many
// nodes and edge paths it drew, and the ids of the nodes classed `error`.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { launchBrowser } from "./browser.mjs";

const require = createRequire(import.meta.url);
const mermaidJs = require.resolve("mermaid/dist/mermaid.min.js");
const browser = await launchBrowser();
try {
  for (const file of process.argv.slice(2)) {
    const page = await browser.newPage();
    const errors = [];
    page.on("console", (msg) => { if (msg.type() === "error") errors.push(msg.text()); });
    page.on("pageerror", (err) => errors.push(String(err)));
    await page.setContent("<!DOCTYPE html><html><body><div id=out></div></body></html>");
    await page.addScriptTag({ path: mermaidJs });
    const drawn = await page.evaluate(async (text) => {
      mermaid.initialize({ startOnLoad: false, securityLevel: "strict" });
      try {
        const { svg } = await mermaid.render("picture", text);
        const out = document.getElementById("out");
        out.innerHTML = svg;
        return {
          ok: true,
          text: Array.from(out.querySelectorAll("g.node, g.cluster, .edgeLabel")).map((g) => g.textContent).join("\n"),
          nodes: out.querySelectorAll("g.node").length,
          edges: out.querySelectorAll(".edgePaths path, path.flowchart-link").length,
          red: Array.from(out.querySelectorAll("g.node.error")).map((g) => g.id),
        };
      } catch (err) {
        return { ok: false, error: String(err && err.message ? err.message : err) };
      }
    }, readFileSync(file, "utf8"));
    console.log(JSON.stringify({ file, errors, ...drawn }));
    await page.close();
  }
} finally {
  await browser.close();
}
