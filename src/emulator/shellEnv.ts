/**
 * Environment variables as POSIX shell text: `export NAME='value'` lines that `source FILE`, `. FILE`
 * and `eval "$(…)"` read the same way in sh, dash, bash, ksh and zsh; the env file (written whole,
 * mode 0600, since it holds a client secret); and the reader of such lines for the CLI's own commands.
 */
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * `value` as one shell word that stands for exactly itself: single-quoted, each `'` written `'\''`
 * (nothing is special inside single quotes: `$`, backticks, `\`, `!` in scripts, newlines).
 */
export function shellQuote(value: string): string {
  if (value.includes("\0")) throw new RangeError("A shell word cannot hold a NUL character");
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * `export NAME='value'` lines, one per variable, in the given order; `comments` first as `# …` lines.
 * Throws on a name that is not a shell identifier.
 */
export function exportLines(
  vars: Readonly<Record<string, string>>,
  comments: readonly string[] = [],
): string {
  const lines = comments.map((comment) => `# ${comment.replace(/\n/g, " ")}`);
  for (const [name, value] of Object.entries(vars)) {
    if (!NAME.test(name)) throw new RangeError(`"${name}" is not a shell variable name`);
    lines.push(`export ${name}=${shellQuote(value)}`);
  }
  return `${lines.join("\n")}\n`;
}

/**
 * Reads `NAME=value` / `export NAME=value` lines as a shell would for the words this module writes
 * and the plain forms people write by hand: single quotes, double quotes (with `\` before `$`, `` ` ``,
 * `"`, `\` and a newline), backslash escapes and bare words. Comments and blank lines are skipped.
 * No expansion: `$X` stays `$X`. Throws on an unterminated quote.
 */
export function parseExportLines(text: string): Record<string, string> {
  const vars: Record<string, string> = {};
  let i = 0;
  const atLineEnd = () => i >= text.length || text[i] === "\n";
  const skipBlanks = () => {
    while (i < text.length && (text[i] === " " || text[i] === "\t")) i++;
  };
  const skipLine = () => {
    while (!atLineEnd()) i++;
    i++;
  };
  while (i < text.length) {
    skipBlanks();
    if (atLineEnd() || text[i] === "#") {
      skipLine();
      continue;
    }
    if (text.startsWith("export", i) && (text[i + 6] === " " || text[i + 6] === "\t")) {
      i += 6;
      skipBlanks();
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(text.slice(i, i + 256))?.[0];
    if (!name || text[i + name.length] !== "=") {
      skipLine(); // not an assignment (e.g. a command): ignored
      continue;
    }
    i += name.length + 1;
    let value = "";
    while (!atLineEnd() && text[i] !== " " && text[i] !== "\t" && text[i] !== ";") {
      const c = text[i];
      if (c === "'") {
        const end = text.indexOf("'", i + 1);
        if (end < 0) throw new SyntaxError(`Unterminated ' in the value of ${name}`);
        value += text.slice(i + 1, end);
        i = end + 1;
      } else if (c === '"') {
        i++;
        while (text[i] !== '"') {
          if (i >= text.length) throw new SyntaxError(`Unterminated " in the value of ${name}`);
          if (text[i] === "\\" && '$`"\\\n'.includes(text[i + 1] ?? "")) {
            if (text[i + 1] !== "\n") value += text[i + 1];
            i += 2;
          } else value += text[i++];
        }
        i++;
      } else if (c === "\\") {
        if (text[i + 1] !== "\n") value += text[i + 1] ?? "";
        i += 2;
      } else value += text[i++];
    }
    vars[name] = value;
    skipLine();
  }
  return vars;
}

/**
 * Writes `text` to `file` whole: into a new file (mode 0600) beside it, then renamed over it, so that
 * a reader never sees half a file and the result is readable by its owner only, whatever was there.
 */
export async function writePrivateFile(file: string, text: string): Promise<void> {
  const temporary = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${randomBytes(6).toString("hex")}`,
  );
  try {
    await fs.writeFile(temporary, text, { mode: 0o600, flag: "wx" });
    await fs.chmod(temporary, 0o600);
    await fs.rename(temporary, file);
  } catch (error) {
    await fs.rm(temporary, { force: true });
    throw error;
  }
}

/** Removes `file` if it still holds `text` (another emulator may have written it since). */
export async function removeFileIfUnchanged(file: string, text: string): Promise<void> {
  try {
    if ((await fs.readFile(file, "utf8")) === text) await fs.rm(file, { force: true });
  } catch {
    // already gone, or unreadable: leave it
  }
}
