// The README's commands as written: every shell line uses `npx encore` (or npm), never a bare
// `encore` (not on the PATH after `npm install`), and every `npx encore …` in the README, in
// code blocks and inline, names a real command and only options that command's --help lists;
// every `npm run` script exists. (.ci/readme-commands runs the command sequence itself through
// npx from a clean clone.)
import { describe, expect, it } from "vitest";
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const README = readFileSync(fileURLToPath(new URL("../README.md", import.meta.url)), "utf8");
const PKG = JSON.parse(readFileSync(fileURLToPath(new URL("../package.json", import.meta.url)), "utf8")) as { scripts: Record<string, string> };
const CLI = fileURLToPath(new URL("../build/js/src/cli/main.js", import.meta.url));

/** Lines of the README's ```sh blocks, comments and blank lines dropped. */
function shellLines(): string[] {
  return [...README.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => m[1].split("\n")).map((l) => l.replace(/\s+#.*$/, "").trim()).filter((l) => l && !l.startsWith("#"));
}

/** Every `npx encore …` the README shows: shell lines and inline code spans. */
function encoreCommands(): string[] {
  const inline = [...README.matchAll(/`(npx encore [a-z][^`]*)`/g)].map((m) => m[1]);
  return [...shellLines().filter((l) => l.startsWith("npx encore ")), ...inline];
}

const helpCache = new Map<string, string>();
function help(command: string): string {
  let h = helpCache.get(command);
  if (h === undefined) {
    const r = spawnSync(process.execPath, [CLI, ...(command ? [command] : []), "--help"], { encoding: "utf8" });
    h = r.status === 0 ? r.stdout : "";
    helpCache.set(command, h);
  }
  return h;
}

describe("README commands", () => {
  it("shell lines use npx encore or npm, never a bare encore", () => {
    const lines = shellLines();
    expect(lines.length).toBeGreaterThan(8);
    for (const l of lines) {
      expect(l, l).not.toMatch(/^encore\b/);
      expect(l, l).toMatch(/^(npx encore |npm |ENCORE_[A-Z_]+=\S+ (\S+=\S+ )*npm )/);
    }
  });

  it("every npm run script the README names exists", () => {
    const scripts = [...README.matchAll(/npm run ([a-z:]+)/g)].map((m) => m[1]);
    expect(scripts.length).toBeGreaterThan(5);
    for (const s of scripts) expect(PKG.scripts[s], `npm run ${s}`).toBeDefined();
  });

  it.skipIf(!existsSync(CLI))("every npx encore command and option the README shows exists", () => {
    const commands = encoreCommands();
    expect(commands.length).toBeGreaterThan(15);
    const top = help("");
    for (const c of commands) {
      const [, , name, ...rest] = c.split(/\s+/);
      expect(top, `'${c}': no command ${name}`).toMatch(new RegExp(`\\n  ${name}\\b`));
      const h = help(name);
      for (const flag of rest.filter((t) => /^--[a-z]/.test(t)).map((t) => t.replace(/[=,…].*$/, ""))) {
        expect(h, `'${c}': ${name} has no option ${flag}`).toMatch(new RegExp(`\\s${flag}\\b`));
      }
    }
  }, 60_000);
});
