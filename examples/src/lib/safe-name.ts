import path from "node:path";

/** Extensions refused by the upload demo (executables and scripts), lower case, no dot. */
export const FORBIDDEN_EXTENSIONS: ReadonlySet<string> = new Set([
  "exe",
  "bat",
  "cmd",
  "com",
  "sh",
  "bash",
  "zsh",
  "ps1",
  "psm1",
  "msi",
  "scr",
  "vbs",
  "vbe",
  "jar",
  "dll",
  "so",
  "dylib",
  "pif",
  "cpl",
  "reg",
  "lnk",
  "hta",
  "wsf",
  "app",
]);

/** Longest stored file name (without the id prefix), in UTF-16 code units. */
export const MAX_NAME_LENGTH = 120;

export type NameCheck =
  | { ok: true; name: string; extension: string }
  | { ok: false; code: "bad-name" | "forbidden-extension"; error: string };

/**
 * Turns an untrusted client file name into a plain file name that stays inside the
 * folder it is joined to: only the last path segment is kept, control characters
 * (NUL included) are refused, anything outside a conservative character set becomes
 * `_`, leading dots are replaced (no hidden files, no `..`) and trailing dots and
 * spaces are dropped (Windows would otherwise run `evil.exe.`).
 */
export function checkFileName(raw: unknown): NameCheck {
  if (typeof raw !== "string" || raw.length === 0 || raw.length > 1024) {
    return { ok: false, code: "bad-name", error: "file name must be a non-empty string" };
  }
  if (/[\u0000-\u001f\u007f]/.test(raw)) {
    return { ok: false, code: "bad-name", error: "file name contains control characters" };
  }
  const segments = raw.split(/[/\\]/);
  let name = (segments[segments.length - 1] ?? "").normalize("NFC");
  name = name.replace(/[^\p{L}\p{N} ._()+,=@-]/gu, "_");
  name = name.replace(/[. ]+$/u, "");
  name = name.replace(/^[. ]+/u, (lead) => "_".repeat(lead.length));
  if (name.length === 0 || /^_+$/.test(name)) {
    return { ok: false, code: "bad-name", error: "file name is empty once its path is removed" };
  }
  const dot = name.lastIndexOf(".");
  const extension = dot > 0 ? name.slice(dot + 1).toLowerCase() : "";
  if (FORBIDDEN_EXTENSIONS.has(extension)) {
    return {
      ok: false,
      code: "forbidden-extension",
      error: `.${extension} files are not accepted`,
    };
  }
  if (name.length > MAX_NAME_LENGTH) {
    const tail = extension ? `.${extension}`.slice(0, 16) : "";
    name = name.slice(0, MAX_NAME_LENGTH - tail.length) + tail;
  }
  return { ok: true, name, extension };
}

/**
 * Joins `fileName` to `dir` and proves the result is a direct child of `dir`; throws
 * otherwise. A second line of defence behind {@link checkFileName}.
 */
export function resolveInside(dir: string, fileName: string): string {
  const base = path.resolve(dir);
  const full = path.resolve(base, fileName);
  if (path.dirname(full) !== base || path.basename(full) !== fileName) {
    throw new Error(`refusing path outside ${base}: ${JSON.stringify(fileName)}`);
  }
  return full;
}
