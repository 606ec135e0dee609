// Rewrites the finding catalog in docs/findings.md from shared/domain/codes.ts: `npm run docs:catalog`.
import { readFileSync, writeFileSync } from "node:fs";
import { catalogMarkdown } from "../shared/domain/codes.ts";

const path = new URL("../docs/findings.md", import.meta.url);
const text = readFileSync(path, "utf8");
const start = "<!-- catalog:start -->";
const end = "<!-- catalog:end -->";
const i = text.indexOf(start);
const j = text.indexOf(end);
if (i < 0 || j < i) throw new Error("docs/findings.md has no catalog markers");
writeFileSync(path, `${text.slice(0, i + start.length)}\n${catalogMarkdown()}\n${text.slice(j)}`);
