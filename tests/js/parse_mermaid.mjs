// Parses Mermaid text with the real mermaid library: each file named (or standard input)
// gives one JSON line {file, ok, type} or {file, ok: false, error}; exit 1 if any fails. Mermaid wants a DOM
// (DOMPurify): jsdom gives it one in node.
import { readFileSync } from "node:fs";
import { JSDOM } from "jsdom";

const dom = new JSDOM("<!DOCTYPE html><html><body></body></html>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
for (const name of ["DOMParser", "Element", "HTMLElement", "Node", "navigator"]) {
  if (!(name in globalThis)) {
    Object.defineProperty(globalThis, name, { value: dom.window[name], configurable: true });
  }
}

const { default: mermaid } = await import("mermaid");
const files = process.argv.slice(2);
let failed = false;
for (const file of files.length ? files : [0]) {
  const text = readFileSync(file, "utf8");
  try {
    const result = await mermaid.parse(text);
    console.log(JSON.stringify({ file, ok: true, type: result.diagramType }));
  } catch (err) {
    failed = true;
    console.log(JSON.stringify({ file, ok: false, error: String(err && err.message ? err.message : err) }));
  }
}
process.exit(failed ? 1 : 0);
