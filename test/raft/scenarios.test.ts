// Replays test/raft/testdata/*.txt against real RaftCores (see harness.ts for the commands).
// A file is a list of cases: a command line, `----`, the expected output, a blank line; lines
// starting with # are comments. `UPDATE=1 bun test test/raft` rewrites the expected outputs
// (review the diff). A file that plants no bug must also show no safety violation and no panic.

import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Harness, parseCommand } from "./harness.ts";

interface Case {
  /** Comments and blank lines before the command, verbatim. */
  prefix: string[];
  command: string;
  expected: string[];
}

function parseFile(text: string): { cases: Case[]; trailer: string[] } {
  const lines = text.split("\n");
  const cases: Case[] = [];
  let prefix: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (line.trim() === "" || line.startsWith("#")) {
      prefix.push(line);
      i++;
      continue;
    }
    const command = line;
    i++;
    if (lines[i] !== "----") throw new Error(`line ${i + 1}: expected ---- after "${command}"`);
    i++;
    const expected: string[] = [];
    while (i < lines.length && lines[i].trim() !== "") expected.push(lines[i++]);
    cases.push({ prefix, command, expected });
    prefix = [];
  }
  return { cases, trailer: prefix };
}

function render(cases: Case[], outputs: string[], trailer: string[]): string {
  const parts: string[] = [];
  cases.forEach((c, k) => {
    parts.push(...c.prefix, c.command, "----");
    if (outputs[k] !== "") parts.push(outputs[k]);
  });
  parts.push(...trailer);
  let text = parts.join("\n");
  if (!text.endsWith("\n")) text += "\n";
  return text;
}

const dir = join(import.meta.dir, "testdata");
const files = readdirSync(dir).filter((f) => f.endsWith(".txt")).sort();
const update = process.env.UPDATE === "1";

describe("raft scenarios", () => {
  for (const file of files) {
    test(file, () => {
      const path = join(dir, file);
      const original = readFileSync(path, "utf8");
      const { cases, trailer } = parseFile(original);
      // Blank lines separate cases, so the blank line after each output belongs to the next prefix.
      const harness = new Harness();
      const outputs = cases.map((c) => harness.run(parseCommand(c.command)));
      const actual = render(cases, outputs, trailer);
      const expected = render(cases, cases.map((c) => c.expected.join("\n")), trailer);
      if (update) {
        if (actual !== original) writeFileSync(path, actual);
      } else {
        expect(actual).toBe(expected);
      }
      if (!harness.bugsPlanted) expect(harness.problems).toEqual([]);
    });
  }
});
